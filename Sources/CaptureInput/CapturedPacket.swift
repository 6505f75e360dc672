/// A link-layer type as written in pcap and pcapng headers (LINKTYPE_* values, tcpdump.org/linktypes.html).
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    @inlinable public static var null: LinkType { LinkType(rawValue: 0) }          // BSD loopback, host-order AF_ value
    @inlinable public static var ethernet: LinkType { LinkType(rawValue: 1) }
    @inlinable public static var rawOpenBSD: LinkType { LinkType(rawValue: 14) }    // DLT_RAW on OpenBSD
    @inlinable public static var rawLegacy: LinkType { LinkType(rawValue: 12) }     // DLT_RAW on most systems
    @inlinable public static var raw: LinkType { LinkType(rawValue: 101) }          // LINKTYPE_RAW
    @inlinable public static var loop: LinkType { LinkType(rawValue: 108) }         // OpenBSD loopback, network-order AF_ value
    @inlinable public static var linuxSLL: LinkType { LinkType(rawValue: 113) }
    @inlinable public static var ipv4: LinkType { LinkType(rawValue: 228) }
    @inlinable public static var ipv6: LinkType { LinkType(rawValue: 229) }
    @inlinable public static var linuxSLL2: LinkType { LinkType(rawValue: 276) }

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

    @inlinable
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

    /// A packet of no bytes, to be overwritten (`CaptureReader.next(into:)`).
    @inlinable
    public static var empty: CapturedPacket {
        CapturedPacket(frameNumber: 0, seconds: 0, nanoseconds: 0, linkType: .ethernet, originalLength: 0,
                       data: UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// Microseconds since the Unix epoch.
    public var microseconds: Int64 { seconds &* 1_000_000 &+ Int64(nanoseconds / 1000) }
}
