import CaptureInput

/// IP protocol numbers helloscope looks at.
public enum IPProtocolNumber {
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
    public static let gre: UInt8 = 47
    public static let ipip: UInt8 = 4
    public static let ipv6InIP: UInt8 = 41
}

/// TCP header flags (RFC 9293 §3.1).
public struct TCPFlags: OptionSet, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
}

/// The layers of one packet that helloscope needs: addresses, transport ports, TCP sequence state, payload.
///
/// `payload` points into the captured packet (or the defragmentation buffer) and is valid until the next decode.
public struct DecodedPacket {
    public var source = IPAddress(hi: 0, lo: 0, isIPv6: false)
    public var destination = IPAddress(hi: 0, lo: 0, isIPv6: false)
    public var transport: UInt8 = 0
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    public var tcpSequence: UInt32 = 0
    public var tcpAcknowledgment: UInt32 = 0
    public var tcpFlags = TCPFlags()
    public var tcpWindow: UInt16 = 0
    /// Hop limit / TTL of the outermost decoded IP header that carried the transport.
    public var hopLimit: UInt8 = 0
    /// The IP or transport header claimed more bytes than were captured (snap length or truncation).
    public var truncated = false
    /// Number of tunnel layers removed (GRE, ERSPAN, VXLAN, IP-in-IP).
    public var tunnelDepth = 0
    public var payload = UnsafeRawBufferPointer(start: nil, count: 0)

    public init() {}

    @inlinable public var sourceEndpoint: Endpoint { Endpoint(address: source, port: sourcePort) }
    @inlinable public var destinationEndpoint: Endpoint { Endpoint(address: destination, port: destinationPort) }
}

/// Why a packet did not yield a TCP or UDP payload.
public enum DecodeStatus: Equatable, Sendable {
    case decoded
    /// Not IP (ARP, LLDP, …) or another transport (ICMP, …): nothing to analyse, not an error.
    case notAnalysed
    case unsupportedLinkType
    case malformed(DecodeLayer)
    /// An IP fragment was stored; the datagram is not complete yet.
    case fragmentPending
}

/// The layer at which decoding stopped.
public enum DecodeLayer: String, Sendable {
    case link, vlan, pppoe, mpls, ipv4, ipv6, ipv6Extension = "ipv6_extension", tcp, udp, gre, erspan, vxlan, tunnelDepth = "tunnel_depth"
}

/// Counters of everything the decoder skipped or repaired.
public struct DecodeCounters: Sendable, Equatable {
    public var unsupportedLinkType = 0
    public var notIP = 0
    public var otherTransport = 0
    public var malformed: [String: Int] = [:]
    public var truncatedPackets = 0
    public var ipv4Fragments = 0
    public var ipv6Fragments = 0
    public var datagramsReassembled = 0
    /// Fragments dropped by the defragmentation limits or timeouts, or inconsistent with each other.
    public var fragmentsDropped = 0
    public var greDecapsulated = 0
    public var erspanDecapsulated = 0
    public var vxlanDecapsulated = 0
    public var ipInIPDecapsulated = 0
    public init() {}
}
