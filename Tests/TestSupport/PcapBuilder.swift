/// Builds capture files and packets in memory, for edge cases no real capture shows.
/// Real captures remain the main evidence; these cover layouts (byte orders, block types, tunnels) on demand.
public struct PcapBuilder {
    public enum Resolution: Sendable { case micro, nano }
    public var bigEndian = false
    public var resolution = Resolution.micro
    public var linkType: UInt32 = 1
    public var snapLength: UInt32 = 262_144
    public private(set) var bytes: [UInt8] = []

    public init(bigEndian: Bool = false, resolution: Resolution = .micro, linkType: UInt32 = 1) {
        self.bigEndian = bigEndian
        self.resolution = resolution
        self.linkType = linkType
        let magic: UInt32 = resolution == .micro ? 0xa1b2_c3d4 : 0xa1b2_3c4d
        put32(magic)
        put16(2); put16(4)
        put32(0); put32(0)
        put32(snapLength)
        put32(linkType)
    }

    public mutating func add(_ packet: [UInt8], seconds: UInt32 = 1_700_000_000, fraction: UInt32 = 0, originalLength: Int? = nil) {
        put32(seconds)
        put32(fraction)
        put32(UInt32(packet.count))
        put32(UInt32(originalLength ?? packet.count))
        bytes += packet
    }

    mutating func put16(_ v: UInt16) { bytes += bigEndian ? [UInt8(v >> 8), UInt8(v & 0xff)] : [UInt8(v & 0xff), UInt8(v >> 8)] }
    mutating func put32(_ v: UInt32) {
        let b = [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
        bytes += bigEndian ? b : b.reversed()
    }
}

/// Builds pcapng sections and blocks.
public struct PcapNGBuilder {
    public var bigEndian: Bool
    public private(set) var bytes: [UInt8] = []

    public init(bigEndian: Bool = false) {
        self.bigEndian = bigEndian
        section()
    }

    func u16(_ v: UInt16) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xff)] : [UInt8(v & 0xff), UInt8(v >> 8)] }
    func u32(_ v: UInt32) -> [UInt8] {
        let b = [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
        return bigEndian ? b : b.reversed()
    }

    public mutating func block(type: UInt32, body: [UInt8]) {
        var body = body
        while body.count % 4 != 0 { body.append(0) }
        let length = UInt32(12 + body.count)
        bytes += u32(type) + u32(length) + body + u32(length)
    }

    /// A new Section Header Block (version 1.0, unknown section length).
    public mutating func section() {
        block(type: 0x0a0d_0d0a, body: u32(0x1a2b_3c4d) + u16(1) + u16(0) + [UInt8](repeating: 0xff, count: 8))
    }

    /// An Interface Description Block; `tsresol` is the raw if_tsresol option byte when given.
    public mutating func interface(linkType: UInt16 = 1, snapLength: UInt32 = 0, tsresol: UInt8? = nil) {
        var body = u16(linkType) + u16(0) + u32(snapLength)
        if let tsresol {
            body += u16(9) + u16(1) + [tsresol, 0, 0, 0]
            body += u16(0) + u16(0)
        }
        block(type: 1, body: body)
    }

    public mutating func enhancedPacket(interface: UInt32 = 0, timestamp: UInt64, _ packet: [UInt8], originalLength: Int? = nil) {
        var data = packet
        while data.count % 4 != 0 { data.append(0) }
        block(type: 6, body: u32(interface) + u32(UInt32(timestamp >> 32)) + u32(UInt32(timestamp & 0xffff_ffff))
              + u32(UInt32(packet.count)) + u32(UInt32(originalLength ?? packet.count)) + data)
    }

    public mutating func simplePacket(_ packet: [UInt8]) {
        block(type: 3, body: u32(UInt32(packet.count)) + packet)
    }

    public mutating func obsoletePacket(interface: UInt16 = 0, timestamp: UInt64, _ packet: [UInt8]) {
        var data = packet
        while data.count % 4 != 0 { data.append(0) }
        block(type: 2, body: u16(interface) + u16(0) + u32(UInt32(timestamp >> 32)) + u32(UInt32(timestamp & 0xffff_ffff))
              + u32(UInt32(packet.count)) + u32(UInt32(packet.count)) + data)
    }
}

/// Builds link/IP/TCP/UDP frames.
public enum Frames {
    public static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    public static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }

    public static func ethernet(type: UInt16, _ payload: [UInt8], vlans: [UInt16] = []) -> [UInt8] {
        var out: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]
        for v in vlans { out += be16(0x8100) + be16(v) }
        return out + be16(type) + payload
    }

    public static func ipv4(src: [UInt8], dst: [UInt8], proto: UInt8, _ payload: [UInt8], id: UInt16 = 1,
                            flagsOffset: UInt16 = 0x4000, totalLength: Int? = nil) -> [UInt8] {
        let total = UInt16(totalLength ?? (20 + payload.count))
        var h: [UInt8] = [0x45, 0] + be16(total) + be16(id) + be16(flagsOffset) + [64, proto, 0, 0] + src + dst
        var sum: UInt32 = 0
        for i in stride(from: 0, to: 20, by: 2) { sum += UInt32(h[i]) << 8 | UInt32(h[i + 1]) }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        let c = ~UInt16(sum)
        h[10] = UInt8(c >> 8); h[11] = UInt8(c & 0xff)
        return h + payload
    }

    public static func ipv6(src: [UInt8], dst: [UInt8], next: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0x60, 0, 0, 0] + be16(UInt16(payload.count)) + [next, 64] + src + dst + payload
    }

    public static func tcp(sport: UInt16, dport: UInt16, seq: UInt32, ack: UInt32 = 0, flags: UInt8 = 0x18,
                           _ payload: [UInt8] = []) -> [UInt8] {
        be16(sport) + be16(dport) + be32(seq) + be32(ack) + [0x50, flags] + be16(65535) + [0, 0, 0, 0] + payload
    }

    public static func udp(sport: UInt16, dport: UInt16, _ payload: [UInt8]) -> [UInt8] {
        be16(sport) + be16(dport) + be16(UInt16(8 + payload.count)) + [0, 0] + payload
    }

    /// An Ethernet/IPv4/TCP frame between 10.0.0.1 and 10.0.0.2.
    public static func tcp4(client: Bool, sport: UInt16 = 40000, dport: UInt16 = 443, seq: UInt32, ack: UInt32 = 0,
                            flags: UInt8 = 0x18, _ payload: [UInt8] = []) -> [UInt8] {
        let a: [UInt8] = [10, 0, 0, 1], b: [UInt8] = [10, 0, 0, 2]
        let seg = client ? tcp(sport: sport, dport: dport, seq: seq, ack: ack, flags: flags, payload)
                         : tcp(sport: dport, dport: sport, seq: seq, ack: ack, flags: flags, payload)
        return ethernet(type: 0x0800, ipv4(src: client ? a : b, dst: client ? b : a, proto: 6, seg))
    }

    public static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = s.filter { $0.isHexDigit }.makeIterator()
        while let hi = chars.next(), let lo = chars.next() {
            out.append(UInt8(String([hi, lo]), radix: 16)!)
        }
        return out
    }
}
