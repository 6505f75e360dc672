import TLSParsing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Remembers the JA3, JA4 and JA3S of recently seen hello shapes, so a client that connects again with the same
/// hello (what most clients do: the random, session ID, key shares, SNI value and GREASE values change, the lists
/// do not) is fingerprinted without building and hashing the strings again.
///
/// The key holds every input the fingerprints read, so a hit gives exactly what `JA3(clientHello:)` and
/// `JA4(clientHello:transport:)` would compute: the transport, legacy_version, the cipher suites, the extension
/// types in order, and the data of ALPN, supported_versions, signature_algorithms, supported_groups and
/// ec_point_formats, with GREASE values (which the fingerprints drop) replaced by one placeholder. A client that
/// shuffles its extensions per connection (Chromium) misses on every hello and pays only the key.
///
/// Bounded: at most `capacity` shapes per kind; when full it starts over.
public final class FingerprintCache {
    /// A shape: bytes compared whole, hashed in one pass (an array of bytes would be hashed byte by byte).
    struct Key: Hashable {
        var bytes: [UInt8]
        static func == (a: Key, b: Key) -> Bool {
            a.bytes.count == b.bytes.count && a.bytes.withUnsafeBytes { x in
                b.bytes.withUnsafeBytes { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
            }
        }
        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    public let capacity: Int
    // Used by one analysis thread at a time, never re-entered: no exclusivity checks.
    @exclusivity(unchecked) public private(set) var hits = 0
    @exclusivity(unchecked) public private(set) var misses = 0
    @exclusivity(unchecked) private var clientHellos: [Key: (ja3: JA3?, ja4: JA4)] = [:]
    @exclusivity(unchecked) private var serverHellos: [Key: JA3] = [:]
    @exclusivity(unchecked) private var key = Key(bytes: [])
    /// Where a hello's key is built before it is copied into `key` (whose array, once the dictionary does not share
    /// it, keeps its capacity): no allocation per hello.
    @exclusivity(unchecked) private var scratch: UnsafeMutableBufferPointer<UInt8>

    public init(capacity: Int = 4096) {
        self.capacity = capacity
        scratch = .allocate(capacity: 1024)
    }

    deinit { scratch.deallocate() }

    /// JA3 (nil for the SSL 2.0 format) and JA4 of `hello`.
    public func clientHello(_ hello: ClientHello, transport: JA4.Transport) -> (ja3: JA3?, ja4: JA4) {
        if hello.isSSLv2Format {
            return (JA3(clientHello: hello), JA4(clientHello: hello, transport: transport))
        }
        buildClientKey(hello, transport: transport)
        if let found = clientHellos[key] {
            hits += 1
            return found
        }
        misses += 1
        let value = (JA3(clientHello: hello), JA4(clientHello: hello, transport: transport))
        if clientHellos.count >= capacity { clientHellos.removeAll(keepingCapacity: true) }
        clientHellos[key] = value
        return value
    }

    /// JA3S of `hello`.
    public func serverHello(_ hello: ServerHello) -> JA3 {
        var w = keyWriter(bound: 4 + 2 * hello.extensions.count)
        w.u16(hello.legacyVersion)
        w.u16(hello.cipherSuite)
        for e in hello.extensions { w.u16(e.type) }
        setKey(w)
        if let found = serverHellos[key] {
            hits += 1
            return found
        }
        misses += 1
        let value = JA3(serverHello: hello)
        if serverHellos.count >= capacity { serverHellos.removeAll(keepingCapacity: true) }
        serverHellos[key] = value
        return value
    }

    /// A writer at `scratch`, grown to hold `bound` bytes.
    private func keyWriter(bound: Int) -> KeyWriter {
        if bound > scratch.count {
            scratch.deallocate()
            scratch = .allocate(capacity: max(bound, 2 * scratch.count))
        }
        return KeyWriter(p: scratch.baseAddress!, bound: bound)
    }

    /// Copies what `w` wrote into `key` (whose array keeps its capacity once the dictionary does not share it).
    private func setKey(_ w: KeyWriter) {
        precondition(w.o <= w.bound, "fingerprint key bound")
        key.bytes.removeAll(keepingCapacity: true)
        key.bytes.append(contentsOf: UnsafeBufferPointer(start: scratch.baseAddress!, count: w.o))
    }

    /// The shape: transport, legacy_version, the cipher suites, and each extension's type in order, with the
    /// data of the extensions the fingerprints read (ALPN, supported_versions, signature_algorithms,
    /// supported_groups, ec_point_formats) as sent. A GREASE value (RFC 8701) in those 16-bit lists becomes one
    /// placeholder: the fingerprints drop GREASE values wherever they occur, so hellos that differ only in which
    /// GREASE values they picked share a shape. Every list is length-prefixed, so two hellos give the same bytes
    /// only when the fingerprints read the same inputs.
    private func buildClientKey(_ h: ClientHello, transport: JA4.Transport) {
        let ciphers = h.cipherSuiteList
        h.withExtensions { spans, bytes in
            var bound = 1 + 2 + 2 + 2 * ciphers.count + 2
            for e in spans { bound += 2 + 4 + e.range.count }
            var w = keyWriter(bound: bound)
            switch transport {
            case .tcp: w.u8(0)
            case .quic: w.u8(1)
            case .dtls: w.u8(2)
            }
            w.u16(h.legacyVersion)
            w.u16(UInt16(truncatingIfNeeded: ciphers.count))
            ciphers.withUnsafeBigEndianBytes { w.words($0, from: 0) }
            w.u16(UInt16(truncatingIfNeeded: spans.count))
            for e in spans {
                w.u16Normalised(e.type)
                let wordsFrom: Int
                switch e.type {
                case ExtensionType.applicationLayerProtocolNegotiation, ExtensionType.ecPointFormats: wordsFrom = Int.max
                case ExtensionType.supportedVersions: wordsFrom = 1  // u8 length, then versions
                case ExtensionType.signatureAlgorithms, ExtensionType.supportedGroups: wordsFrom = 2  // u16 length, then values
                default: continue
                }
                w.data(UnsafeBufferPointer(rebasing: bytes[e.range]), wordsFrom: wordsFrom)
            }
            setKey(w)
        }
    }
}

/// Writes a shape key at a pointer with room for it (the caller computes the bound).
private struct KeyWriter {
    let p: UnsafeMutablePointer<UInt8>
    /// The room at `p`, computed by the caller from the hello before writing.
    let bound: Int
    var o = 0

    @inline(__always) mutating func u8(_ v: UInt8) { p[o] = v; o += 1 }

    @inline(__always) mutating func u16(_ v: UInt16) {
        p[o] = UInt8(truncatingIfNeeded: v >> 8)
        p[o + 1] = UInt8(truncatingIfNeeded: v)
        o += 2
    }

    /// A 16-bit value, GREASE (RFC 8701) replaced by one placeholder.
    @inline(__always) mutating func u16Normalised(_ v: UInt16) { u16(isGREASE(v) ? 0x0a0a : v) }

    /// `d` from byte `start` on as big-endian 16-bit words, GREASE normalised; a trailing odd byte as it is.
    @inline(__always) mutating func words(_ d: UnsafeBufferPointer<UInt8>, from start: Int) {
        var k = start
        while k + 1 < d.count {
            u16Normalised(UInt16(d[k]) << 8 | UInt16(d[k + 1]))
            k += 2
        }
        if k < d.count { u8(d[k]) }
    }

    /// Extension data, length-prefixed (32 bits); its bytes before `wordsFrom` as they are, the rest as `words`
    /// (the list the fingerprint reads, at those offsets).
    @inline(__always) mutating func data(_ d: UnsafeBufferPointer<UInt8>, wordsFrom: Int) {
        u16(UInt16(truncatingIfNeeded: d.count))
        u16(UInt16(truncatingIfNeeded: d.count >> 16))
        let plain = min(wordsFrom, d.count)
        if plain > 0 { (p + o).update(from: d.baseAddress!, count: plain); o += plain }
        words(d, from: plain)
    }
}
