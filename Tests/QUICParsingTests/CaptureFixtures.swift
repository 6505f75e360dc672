// Test-only capture walker: classic pcap and pcapng files → UDP payloads with their 1-based frame numbers.
// Link types: Ethernet (with VLAN tags), BSD loopback / NULL and LOOP, raw IP, Linux cooked (SLL, SLL2);
// IPv4 (first fragments only) and IPv6 (hop-by-hop, routing, destination-options and fragment headers skipped).

import Foundation
import QUICParsing

struct UDPDatagram {
    var frame: Int
    var source: EndpointKey
    var destination: EndpointKey
    var payload: [UInt8]
}

enum CaptureFixtures {
    /// `../shared/corpus` relative to the package root.
    static let corpusRoot: String = {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // QUICParsingTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // package root
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus").path
    }()

    static var corpusAvailable: Bool { FileManager.default.fileExists(atPath: corpusRoot + "/EXPECTED.tsv") }

    static func path(_ relative: String) -> String { corpusRoot + "/" + relative }

    struct ReadError: Error, CustomStringConvertible {
        var description: String
    }

    /// Every UDP datagram in the capture, in file order.
    static func udpDatagrams(_ relative: String) throws -> [UDPDatagram] {
        guard let data = FileManager.default.contents(atPath: path(relative)) else {
            throw ReadError(description: "cannot read \(relative)")
        }
        let bytes = [UInt8](data)
        var out: [UDPDatagram] = []
        try forEachPacket(bytes) { frame, linkType, packet in
            if let d = decodeUDP(linkType: linkType, packet) {
                out.append(UDPDatagram(frame: frame, source: d.0, destination: d.1, payload: d.2))
            }
        }
        return out
    }

    /// Rows of EXPECTED.tsv for one capture: (frame, kind).
    static func expectedRows(corpus: String, capture: String) throws -> [(frame: Int, kind: String)] {
        try expectedValues(corpus: corpus, capture: capture).map { ($0.frame, $0.kind) }
    }

    /// Rows of EXPECTED.tsv for one capture: (frame, kind, value).
    static func expectedValues(corpus: String, capture: String) throws -> [(frame: Int, kind: String, value: String)] {
        guard let text = try? String(contentsOfFile: path("EXPECTED.tsv"), encoding: .utf8) else {
            throw ReadError(description: "cannot read EXPECTED.tsv")
        }
        var rows: [(Int, String, String)] = []
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count >= 5, f[0] == corpus, f[1] == capture, let frame = Int(f[2]) else { continue }
            rows.append((frame, String(f[3]), String(f[4])))
        }
        return rows
    }

    // MARK: - File formats

    private static func u16(_ b: [UInt8], _ o: Int, _ le: Bool) -> Int {
        le ? Int(b[o]) | Int(b[o + 1]) << 8 : Int(b[o]) << 8 | Int(b[o + 1])
    }

    private static func u32(_ b: [UInt8], _ o: Int, _ le: Bool) -> Int {
        le ? Int(b[o]) | Int(b[o + 1]) << 8 | Int(b[o + 2]) << 16 | Int(b[o + 3]) << 24
            : Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3])
    }

    static func forEachPacket(_ b: [UInt8], _ body: (Int, Int, ArraySlice<UInt8>) -> Void) throws {
        guard b.count >= 24 else { throw ReadError(description: "short file") }
        let magicBE = u32(b, 0, false)
        if magicBE == 0x0A0D_0D0A { return try forEachPcapng(b, body) }
        let le: Bool
        switch magicBE {
        case 0xa1b2_c3d4, 0xa1b2_3c4d: le = false
        case 0xd4c3_b2a1, 0x4d3c_b2a1: le = true
        default: throw ReadError(description: "not a capture file")
        }
        let linkType = u32(b, 20, le) & 0x0fff_ffff
        var off = 24
        var frame = 0
        while off + 16 <= b.count {
            let incl = u32(b, off + 8, le)
            let start = off + 16
            guard start + incl <= b.count else { break }
            frame += 1
            body(frame, linkType, b[start..<(start + incl)])
            off = start + incl
        }
    }

    private static func forEachPcapng(_ b: [UInt8], _ body: (Int, Int, ArraySlice<UInt8>) -> Void) throws {
        var off = 0
        var le = true
        var linkTypes: [Int] = []
        var frame = 0
        while off + 12 <= b.count {
            if u32(b, off, false) == 0x0A0D_0D0A {
                le = u32(b, off + 8, true) == 0x1A2B_3C4D
                linkTypes = []
            }
            let type = u32(b, off, le)
            let length = u32(b, off + 4, le)
            guard length >= 12, off + length <= b.count else { break }
            switch type {
            case 1:  // Interface Description Block
                linkTypes.append(u16(b, off + 8, le))
            case 6:  // Enhanced Packet Block
                let iface = u32(b, off + 8, le)
                let cap = u32(b, off + 20, le)
                frame += 1
                if iface < linkTypes.count, off + 28 + cap <= off + length {
                    body(frame, linkTypes[iface], b[(off + 28)..<(off + 28 + cap)])
                }
            case 3:  // Simple Packet Block
                let orig = u32(b, off + 8, le)
                let cap = min(orig, length - 16)
                frame += 1
                if !linkTypes.isEmpty { body(frame, linkTypes[0], b[(off + 12)..<(off + 12 + cap)]) }
            case 2:  // Packet Block (obsolete)
                let iface = u16(b, off + 8, le)
                let cap = u32(b, off + 20, le)
                frame += 1
                if iface < linkTypes.count, off + 28 + cap <= off + length {
                    body(frame, linkTypes[iface], b[(off + 28)..<(off + 28 + cap)])
                }
            default:
                break
            }
            off += length
        }
    }

    // MARK: - Link, network and transport layers

    static func decodeUDP(linkType: Int, _ pkt: ArraySlice<UInt8>) -> (EndpointKey, EndpointKey, [UInt8])? {
        let p = Array(pkt)
        var off = 0
        var ethertype = 0
        switch linkType {
        case 1:  // Ethernet
            guard p.count >= 14 else { return nil }
            ethertype = Int(p[12]) << 8 | Int(p[13])
            off = 14
            while ethertype == 0x8100 || ethertype == 0x88a8, p.count >= off + 4 {
                ethertype = Int(p[off + 2]) << 8 | Int(p[off + 3])
                off += 4
            }
        case 0, 108:  // BSD loopback (host byte order) / OpenBSD LOOP (network order)
            guard p.count >= 4 else { return nil }
            let le = u32(p, 0, true)
            let be = u32(p, 0, false)
            let family = linkType == 108 ? be : (le < 256 ? le : be)
            ethertype = family == 2 ? 0x0800 : ([24, 28, 30].contains(family) ? 0x86DD : 0)
            off = 4
        case 12, 101, 14:  // raw IP
            guard let first = p.first else { return nil }
            ethertype = first >> 4 == 4 ? 0x0800 : (first >> 4 == 6 ? 0x86DD : 0)
        case 228: ethertype = 0x0800
        case 229: ethertype = 0x86DD
        case 113:  // Linux cooked v1
            guard p.count >= 16 else { return nil }
            ethertype = Int(p[14]) << 8 | Int(p[15])
            off = 16
        case 276:  // Linux cooked v2
            guard p.count >= 20 else { return nil }
            ethertype = Int(p[0]) << 8 | Int(p[1])
            off = 20
        default:
            return nil
        }
        var proto = 0
        var srcAddr: [UInt8] = []
        var dstAddr: [UInt8] = []
        var l4 = 0
        var l4End = p.count
        if ethertype == 0x0800 {
            guard p.count >= off + 20, p[off] >> 4 == 4 else { return nil }
            let ihl = Int(p[off] & 0x0f) * 4
            let total = Int(p[off + 2]) << 8 | Int(p[off + 3])
            let fragOffset = (Int(p[off + 6]) << 8 | Int(p[off + 7])) & 0x1fff
            guard fragOffset == 0, ihl >= 20 else { return nil }
            proto = Int(p[off + 9])
            srcAddr = Array(p[(off + 12)..<(off + 16)])
            dstAddr = Array(p[(off + 16)..<(off + 20)])
            l4 = off + ihl
            l4End = min(p.count, off + total)
        } else if ethertype == 0x86DD {
            guard p.count >= off + 40 else { return nil }
            let payloadLength = Int(p[off + 4]) << 8 | Int(p[off + 5])
            proto = Int(p[off + 6])
            srcAddr = Array(p[(off + 8)..<(off + 24)])
            dstAddr = Array(p[(off + 24)..<(off + 40)])
            l4 = off + 40
            l4End = min(p.count, l4 + payloadLength)
            while [0, 43, 60, 44].contains(proto), l4 + 8 <= l4End {
                if proto == 44 {
                    if (Int(p[l4 + 2]) << 8 | Int(p[l4 + 3])) & 0xfff8 != 0 { return nil }
                    proto = Int(p[l4])
                    l4 += 8
                } else {
                    proto = Int(p[l4])
                    l4 += (Int(p[l4 + 1]) + 1) * 8
                }
            }
        } else {
            return nil
        }
        guard proto == 17, l4 + 8 <= l4End else { return nil }
        let sport = UInt16(p[l4]) << 8 | UInt16(p[l4 + 1])
        let dport = UInt16(p[l4 + 2]) << 8 | UInt16(p[l4 + 3])
        let udpLength = Int(p[l4 + 4]) << 8 | Int(p[l4 + 5])
        let end = udpLength >= 8 ? min(l4End, l4 + udpLength) : l4End
        guard let s = EndpointKey(addressBytes: srcAddr, port: sport),
              let d = EndpointKey(addressBytes: dstAddr, port: dport) else { return nil }
        return (s, d, Array(p[(l4 + 8)..<end]))
    }
}

/// Minimal ClientHello reader for assertions: cipher count and SNI. `isDTLS` skips the cookie.
struct HelloSummary {
    var cipherCount = 0
    var serverName = ""
    var cookieLength: Int?

    init?(message m: [UInt8], isDTLS: Bool = false) {
        guard m.count >= 4, m[0] == 1 else { return nil }
        var o = 4 + 2 + 32
        guard o < m.count else { return nil }
        o += 1 + Int(m[o])  // session id
        if isDTLS {
            guard o < m.count else { return nil }
            cookieLength = Int(m[o])
            o += 1 + Int(m[o])
        }
        guard o + 2 <= m.count else { return nil }
        let cs = Int(m[o]) << 8 | Int(m[o + 1])
        cipherCount = cs / 2
        o += 2 + cs
        guard o < m.count else { return nil }
        o += 1 + Int(m[o])  // compression methods
        guard o + 2 <= m.count else { return }
        let extEnd = min(m.count, o + 2 + (Int(m[o]) << 8 | Int(m[o + 1])))
        o += 2
        while o + 4 <= extEnd {
            let type = Int(m[o]) << 8 | Int(m[o + 1])
            let len = Int(m[o + 2]) << 8 | Int(m[o + 3])
            let body = o + 4
            if type == 0, body + 5 <= extEnd {
                let nameLen = Int(m[body + 3]) << 8 | Int(m[body + 4])
                if body + 5 + nameLen <= extEnd {
                    serverName = String(decoding: m[(body + 5)..<(body + 5 + nameLen)], as: UTF8.self)
                }
            }
            o = body + len
        }
    }
}

/// JA3 / JA3S strings computed from handshake messages, to compare reassembled bytes with EXPECTED.tsv.
enum JA3Strings {
    static func isGrease(_ v: Int) -> Bool { v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff }

    private static func u16(_ m: [UInt8], _ o: Int) -> Int? { o + 2 <= m.count ? Int(m[o]) << 8 | Int(m[o + 1]) : nil }

    /// `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats` from a ClientHello message.
    static func client(_ m: [UInt8], isDTLS: Bool = false) -> String? {
        guard m.first == 1, let version = u16(m, 4) else { return nil }
        var o = 4 + 2 + 32
        guard o < m.count else { return nil }
        o += 1 + Int(m[o])
        if isDTLS {
            guard o < m.count else { return nil }
            o += 1 + Int(m[o])
        }
        guard let cl = u16(m, o) else { return nil }
        var ciphers: [Int] = []
        for i in stride(from: o + 2, to: o + 2 + cl, by: 2) {
            guard let c = u16(m, i) else { return nil }
            if !isGrease(c) { ciphers.append(c) }
        }
        o += 2 + cl
        guard o < m.count else { return nil }
        o += 1 + Int(m[o])
        var extensions: [Int] = []
        var groups: [Int] = []
        var formats: [Int] = []
        if let el = u16(m, o) {
            var e = o + 2
            let end = min(m.count, o + 2 + el)
            while e + 4 <= end, let type = u16(m, e), let len = u16(m, e + 2) {
                let body = e + 4
                if !isGrease(type) { extensions.append(type) }
                if type == 10, let gl = u16(m, body) {
                    for i in stride(from: body + 2, to: min(body + 2 + gl, body + len), by: 2) {
                        if let g = u16(m, i), !isGrease(g) { groups.append(g) }
                    }
                }
                if type == 11, body < m.count {
                    let fl = Int(m[body])
                    for i in 0..<fl where body + 1 + i < m.count { formats.append(Int(m[body + 1 + i])) }
                }
                e = body + len
            }
        }
        func j(_ a: [Int]) -> String { a.map(String.init).joined(separator: "-") }
        return "\(version),\(j(ciphers)),\(j(extensions)),\(j(groups)),\(j(formats))"
    }

    /// `SSLVersion,Cipher,Extensions` from a ServerHello message.
    static func server(_ m: [UInt8]) -> String? {
        guard m.first == 2, let version = u16(m, 4) else { return nil }
        var o = 4 + 2 + 32
        guard o < m.count else { return nil }
        o += 1 + Int(m[o])
        guard let cipher = u16(m, o) else { return nil }
        o += 3
        var extensions: [Int] = []
        if let el = u16(m, o) {
            var e = o + 2
            let end = min(m.count, o + 2 + el)
            while e + 4 <= end, let type = u16(m, e), let len = u16(m, e + 2) {
                extensions.append(type)
                e += 4 + len
            }
        }
        return "\(version),\(cipher),\(extensions.map(String.init).joined(separator: "-"))"
    }
}
