import CaptureInput
import CPrefetch

/// What the decoder would make of a plain TCP packet, read straight from its bytes: the flow key, the flags, the
/// payload length and whether the packet counts as truncated.
///
/// Read for packets of the read-ahead, to prefetch their flow and, for a segment of a flow whose analysis is over,
/// to count it without decoding it again. Only the common shapes are read: Ethernet (with at most one 802.1Q tag)
/// or raw IP, IPv4 that is not a fragment, IPv6 whose first next header is TCP. For anything else (tunnels,
/// fragments, extension headers, other link types, any header the decoder would call malformed) `init` gives nil
/// and the decoder decides. Wherever it gives a value, it equals the decoder's (`DecodingTests.FlowHint` holds
/// the two together on real and mutated packets).
public struct TCPSegmentPeek {
    public var key: FlowKey
    public var flags: TCPFlags
    /// `DecodedPacket.payload.count`.
    public var payloadCount: Int
    /// `DecodedPacket.truncated`.
    public var truncated: Bool

    public init?(_ packet: CapturedPacket) {
        var peek = TCPSegmentPeek.empty
        guard TCPSegmentPeek.read(packet, into: &peek) else { return nil }
        self = peek
    }

    /// A peek of nothing, to be overwritten (`read(_:into:)`).
    @inline(__always)
    public static var empty: TCPSegmentPeek {
        let none = Endpoint(address: IPAddress(hi: 0, lo: 0, isIPv6: false), port: 0)
        return TCPSegmentPeek(key: FlowKey(low: none, high: none, transport: 0), flags: TCPFlags(rawValue: 0),
                              payloadCount: 0, truncated: false)
    }

    @inline(__always)
    private init(key: FlowKey, flags: TCPFlags, payloadCount: Int, truncated: Bool) {
        self.key = key
        self.flags = flags
        self.payloadCount = payloadCount
        self.truncated = truncated
    }

    /// `init?(_:)` writing the peek where the caller keeps it: false where `init` gives nil (`peek` then holds
    /// whatever was written before the packet turned out not to be plain TCP).
    @inline(__always)
    public static func read(_ packet: CapturedPacket, into peek: inout TCPSegmentPeek) -> Bool {
        var b = packet.data
        var truncated = packet.truncatedRecord || b.count < packet.originalLength
        var version: UInt8 = 0  // 0: either, from the version nibble
        switch packet.linkType {
        case .ethernet:
            guard b.count >= 14 else { return false }
            var type = b.be16(12)
            var offset = 14
            if type == 0x8100 {
                guard b.count >= 18 else { return false }
                type = b.be16(16)
                offset = 18
            }
            guard type == 0x0800 || type == 0x86dd else { return false }
            version = type == 0x0800 ? 4 : 6
            b = b.view(offset, b.count - offset)
        case .raw, .rawLegacy, .rawOpenBSD:
            break
        case .ipv4:
            version = 4
        case .ipv6:
            version = 6
        default:
            return false
        }
        guard b.count >= 1 else { return false }
        let nibble = b[0] >> 4
        guard version == 0 || nibble == version else { return false }
        let source: IPAddress, destination: IPAddress
        let tcpStart: Int
        var end: Int
        switch nibble {
        case 4:
            // As `PacketDecoder.decodeIPv4`, for a datagram that is not a fragment and carries TCP.
            guard b.count >= 20 else { return false }
            let ihl = Int(b[0] & 0x0f) * 4
            let total = Int(b.be16(2))
            guard ihl >= 20, b.count >= ihl, total >= ihl || total == 0,
                  b[9] == IPProtocolNumber.tcp, b.be16(6) & 0x3fff == 0 else { return false }
            end = total == 0 ? b.count : total
            source = .v4(b.be32(12))
            destination = .v4(b.be32(16))
            tcpStart = ihl
        case 6:
            // As `PacketDecoder.decodeIPv6`, when the fixed header's next header is TCP.
            guard b.count >= 40, b[6] == IPProtocolNumber.tcp else { return false }
            let payloadLength = Int(b.be16(4))
            end = payloadLength == 0 ? b.count : 40 + payloadLength
            source = IPAddress.read(b, at: 8, v6: true)
            destination = IPAddress.read(b, at: 24, v6: true)
            tcpStart = 40
        default:
            return false
        }
        if end > b.count { end = b.count; truncated = true }
        // As `PacketDecoder.decodeTransport` for TCP.
        let tcpLength = end - tcpStart
        guard tcpLength >= 20 else { return false }
        let dataOffset = Int(b[tcpStart + 12] >> 4) * 4
        guard dataOffset >= 20, tcpLength >= dataOffset else { return false }
        let s = Endpoint(address: source, port: b.be16(tcpStart))
        let d = Endpoint(address: destination, port: b.be16(tcpStart + 2))
        peek.key = FlowKey.make(source: s, destination: d, transport: IPProtocolNumber.tcp).0
        peek.flags = TCPFlags(rawValue: b[tcpStart + 13])
        peek.payloadCount = tcpLength - dataOffset
        peek.truncated = truncated
        return true
    }
}

extension FlowTable {
    /// Starts loading the slot where `key` would be found first; returns the hash for `prefetchFlow`.
    @inline(__always)
    func prefetchSlot(_ key: FlowKey) -> Int {
        let h = hash(key)
        prefetchSlot(index: h & mask)
        return h
    }

    /// Starts loading the flow with hash `h` if it is within the first slots of its probe run (the home slot was
    /// prefetched a packet earlier). Reads the slot's reference without retaining it. The count-only path reads
    /// bytes 16 to 123 of the object (the key, the counts, both halves' `wantsData`: see `TCPFlow`), two or three
    /// cache lines as the object's 16-byte alignment falls.
    @inline(__always)
    func prefetchFlow(hash h: Int) {
        guard let object = probeReference(hash: h) else { return }
        hs_prefetch(object + 16)
        hs_prefetch(object + 72)
        hs_prefetch(object + 123)
    }
}
