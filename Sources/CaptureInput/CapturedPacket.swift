/// A link-layer type as written in pcap and pcapng headers (LINKTYPE_* values, tcpdump.org/linktypes.html).
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let null = LinkType(rawValue: 0)          // BSD loopback, host-order AF_ value
    public static let ethernet = LinkType(rawValue: 1)
    public static let rawOpenBSD = LinkType(rawValue: 14)    // DLT_RAW on OpenBSD
    public static let rawLegacy = LinkType(rawValue: 12)     // DLT_RAW on most systems
    public static let raw = LinkType(rawValue: 101)          // LINKTYPE_RAW
    public static let loop = LinkType(rawValue: 108)         // OpenBSD loopback, network-order AF_ value
    public static let linuxSLL = LinkType(rawValue: 113)
    public static let ipv4 = LinkType(rawValue: 228)
    public static let ipv6 = LinkType(rawValue: 229)
    public static let linuxSLL2 = LinkType(rawValue: 276)

    public var description: String {
        switch self {
        case .null: return "null"
        case .ethernet: return "ethernet"
        case .raw, .rawLegacy, .rawOpenBSD: return "raw"
        case .loop: return "loop"
        case .linuxSLL: return "linux_sll"
        case .linuxSLL2: return "linux_sll2"
        case .ipv4: return "ipv4"
        case .ipv6: return "ipv6"
        default: return "linktype_\(rawValue)"
        }
    }
}

/// One captured packet: its timestamp, lengths, link type and a view of its bytes.
///
/// `data` points into the mapped file or the stream buffer and is valid only until the reader's next `next()`.
public struct CapturedPacket {
    /// 1-based number of this packet in its capture (as Wireshark numbers frames).
    public var frameNumber: Int
    public var seconds: Int64
    public var nanoseconds: UInt32
    public var linkType: LinkType
    /// Bytes captured (`data.count`), and the length the packet had on the wire.
    public var originalLength: Int
    /// The record said more bytes than the file holds (a truncated last record): `data` is what is there.
    public var truncatedRecord: Bool
    public var data: UnsafeRawBufferPointer

    public init(frameNumber: Int, seconds: Int64, nanoseconds: UInt32, linkType: LinkType, originalLength: Int,
                truncatedRecord: Bool = false, data: UnsafeRawBufferPointer) {
        self.frameNumber = frameNumber
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.linkType = linkType
        self.originalLength = originalLength
        self.truncatedRecord = truncatedRecord
        self.data = data
    }

    /// Microseconds since the Unix epoch.
    public var microseconds: Int64 { seconds &* 1_000_000 &+ Int64(nanoseconds / 1000) }
}
