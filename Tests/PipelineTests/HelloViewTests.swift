import Testing
import TLSParsing
import TestSupport
@testable import Pipeline

/// The ClientHello's lists are read in place from its bytes (`cipherSuiteList`, `supportedGroupList`,
/// `alpnProtocolNames`, `keyShareGroupList`, …). These tests hold them to a plain cursor reading of the same
/// extension data, written here the way the RFC structures read, on every hello of the lab captures and the
/// corpus, and on copies of their extensions cut at every length and with bytes changed.
@Suite struct HelloViews {
    /// The reference: each list read with a bounds-checked cursor into new arrays.
    enum Reference {
        static func u16(_ d: [UInt8], _ o: Int) -> UInt16 { UInt16(d[o]) << 8 | UInt16(d[o + 1]) }

        /// `uint16 values<..>` after a 16-bit length: empty when the length runs past the data or is odd.
        static func list16(_ d: [UInt8]) -> [UInt16] {
            guard d.count >= 2 else { return [] }
            let len = Int(u16(d, 0))
            guard len <= d.count - 2, len % 2 == 0 else { return [] }
            return stride(from: 2, to: 2 + len, by: 2).map { u16(d, $0) }
        }

        /// supported_versions: an 8-bit length, then versions (a trailing odd byte ignored).
        static func versions(_ d: [UInt8]) -> [UInt16] {
            guard let len = d.first, Int(len) <= d.count - 1 else { return [] }
            return (0..<(Int(len) / 2)).map { u16(d, 1 + 2 * $0) }
        }

        static func pointFormats(_ d: [UInt8]) -> [UInt8] {
            guard let len = d.first, Int(len) <= d.count - 1 else { return [] }
            return Array(d[1..<(1 + Int(len))])
        }

        static func alpn(_ d: [UInt8]) -> [[UInt8]] {
            guard d.count >= 2 else { return [] }
            let end = 2 + Int(u16(d, 0))
            guard end <= d.count else { return [] }
            var out: [[UInt8]] = []
            var o = 2
            while o < end {
                let len = Int(d[o])
                guard o + 1 + len <= end else { break }
                out.append(Array(d[(o + 1)..<(o + 1 + len)]))
                o += 1 + len
            }
            return out
        }

        /// key_share: entries of group, 16-bit key length and key; stops at an entry whose key runs past the data.
        static func keyShareGroups(_ d: [UInt8]) -> [UInt16] {
            guard d.count >= 2 else { return [] }
            let end = 2 + Int(u16(d, 0))
            guard end <= d.count else { return [] }
            var out: [UInt16] = []
            var o = 2
            while o + 4 <= end {
                let group = u16(d, o)
                let keyLength = Int(u16(d, o + 2))
                guard o + 4 + keyLength <= d.count else { break }
                out.append(group)
                o += 4 + keyLength
            }
            return out
        }
    }

    static func hellos() throws -> [ClientHello] {
        var paths = Paths.files(under: Paths.packageRoot + "/captures/lab", suffixes: [".pcap"])
        if let corpus = Paths.corpus { paths += Paths.files(under: corpus, suffixes: [".pcap", ".pcapng"]) }
        var out: [ClientHello] = []
        for path in paths { out += try analyze(path).clientHellos.map(\.hello).filter { !$0.isSSLv2Format } }
        return out
    }

    static let watched: [UInt16] = [ExtensionType.supportedGroups, ExtensionType.signatureAlgorithms,
                                    ExtensionType.supportedVersions, ExtensionType.ecPointFormats,
                                    ExtensionType.applicationLayerProtocolNegotiation, ExtensionType.keyShare]

    /// Every view of `h` against the reference reading of the first extension of each type.
    static func check(_ h: ClientHello, _ label: String) -> Int {
        func data(_ type: UInt16) -> [UInt8] { h.extensions.first { $0.type == type }.map { Array($0.data) } ?? [] }
        var checked = 0
        func same<T: Equatable>(_ a: T, _ b: T, _ what: String) {
            #expect(a == b, "\(label): \(what)")
            checked += 1
        }
        same(Array(h.supportedGroupList), Reference.list16(data(ExtensionType.supportedGroups)), "supported_groups")
        same(Array(h.signatureAlgorithmList), Reference.list16(data(ExtensionType.signatureAlgorithms)), "signature_algorithms")
        same(Array(h.supportedVersionList), Reference.versions(data(ExtensionType.supportedVersions)), "supported_versions")
        same(Array(h.ecPointFormatBytes), Reference.pointFormats(data(ExtensionType.ecPointFormats)), "ec_point_formats")
        same(h.alpnProtocolNames.map { Array($0) }, Reference.alpn(data(ExtensionType.applicationLayerProtocolNegotiation)), "alpn")
        same(Array(h.keyShareGroupList), Reference.keyShareGroups(data(ExtensionType.keyShare)), "key_share")
        // The array accessors are the views copied.
        same(h.supportedGroups, Array(h.supportedGroupList), "supportedGroups")
        same(h.keyShareGroups, Array(h.keyShareGroupList), "keyShareGroups")
        same(h.alpnProtocols, h.alpnProtocolNames.map { Array($0) }, "alpnProtocols")
        return checked
    }

    @Test func realHellosReadAsTheReferenceReadsThem() throws {
        let hellos = try Self.hellos()
        #expect(hellos.count > 50)
        var checked = 0
        for (i, h) in hellos.enumerated() {
            checked += Self.check(h, "hello \(i)")
            #expect(!h.cipherSuiteList.isEmpty)
            #expect(Array(h.cipherSuiteList) == h.cipherSuites)
        }
        #expect(checked == hellos.count * 9)
    }

    @Test func cutAndChangedExtensionsReadAsTheReferenceReadsThem() throws {
        // One hello per distinct shape keeps the run short; every watched extension is cut at every length and has
        // each of its first bytes replaced.
        var seen = Set<[UInt16]>()
        let hellos = try Self.hellos().filter { seen.insert($0.extensions.map(\.type)).inserted }.prefix(40)
        #expect(hellos.count >= 10)
        var variants = 0
        for (i, h) in hellos.enumerated() {
            for (k, e) in h.extensions.enumerated() where Self.watched.contains(e.type) {
                let original = Array(e.data)
                var mutated: [[UInt8]] = (0..<original.count).map { Array(original.prefix($0)) }
                for p in 0..<min(original.count, 8) {
                    for v: UInt8 in [0x00, 0x01, 0xff, original[p] ^ 0x01, original[p] &+ 2] {
                        var m = original
                        m[p] = v
                        mutated.append(m)
                    }
                }
                mutated.append(original + [0x00, 0x17, 0x00])  // trailing bytes after the list
                for m in mutated {
                    var v = h
                    v.extensions[k] = TLSExtension(type: e.type, data: m)
                    _ = Self.check(v, "hello \(i) extension \(e.type) \(m.count) bytes")
                    variants += 1
                }
            }
        }
        #expect(variants > 500)
    }

    @Test func changedFieldsAreReadBack() throws {
        let h = try #require(Self.hellos().first)
        var v = h
        v.cipherSuites = [0x1301, 0x0a0a, 0xc02f]
        #expect(Array(v.cipherSuiteList) == [0x1301, 0x0a0a, 0xc02f])
        v.random = Array(repeating: 7, count: 32)
        #expect(v.random == Array(repeating: 7, count: 32))
        v.compressionMethods = [0, 1]
        #expect(v.compressionMethods == [0, 1])
        // The other fields, and the original, are untouched.
        #expect(v.extensions == h.extensions)
        #expect(v.cipherSuites != h.cipherSuites)
        #expect(h.random != v.random)
        #expect(v != h)
        var w = v
        w.cipherSuites = h.cipherSuites
        w.random = h.random
        w.compressionMethods = h.compressionMethods
        #expect(w == h)
    }

    /// `string(utf8:)` writes what `string(String(decoding:as:))` writes, for ASCII and for every other kind of byte.
    @Test func utf8BytesWriteAsTheirDecodedString() {
        var rng = SeededGenerator(seed: 7)
        var samples: [[UInt8]] = [[], Array("h2".utf8), Array("http/1.1".utf8), [0x22, 0x5c, 0x0a, 0x7f], [0xe2, 0x80, 0xa8],
                                  [0xe2, 0x80], [0xc3, 0xa9], [0xff, 0xfe], Array("é".utf8) + [0x00]]
        for _ in 0..<2000 {
            let n = Int.random(in: 0...40, using: &rng)
            let pool: [UInt8] = [0x00, 0x1f, 0x20, 0x22, 0x41, 0x5c, 0x7e, 0x7f, 0x80, 0xa8, 0xc3, 0xe2, 0xff]
            samples.append((0..<n).map { _ in Bool.random(using: &rng) ? pool.randomElement(using: &rng)! : UInt8.random(in: 0x20...0x7e, using: &rng) })
        }
        var nonASCII = 0
        for s in samples {
            var a = JSONWriter()
            a.string(utf8: s[...])
            var b = JSONWriter()
            b.string(String(decoding: s, as: UTF8.self))
            #expect(a.bytes == b.bytes, "\(s)")
            if s.contains(where: { $0 >= 0x80 }) { nonASCII += 1 }
        }
        #expect(nonASCII > 100)
    }
}
