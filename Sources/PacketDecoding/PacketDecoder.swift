import CaptureInput

/// Decodes link, network and transport headers of captured packets, removes tunnels and reassembles IP fragments.
///
/// Lax, as a capture analyser needs: every length is checked; a header that claims more bytes than were
/// captured is cut to what is there (and `truncated` is set); a header that is impossible stops decoding with
/// ``DecodeStatus/malformed(_:)`` naming the layer.
public struct PacketDecoder {
    public var counters = DecodeCounters()
    public var fragments: IPFragmentReassembler
    /// Tunnels nested deeper than this are not opened.
    public static let maximumTunnelDepth = 4
    /// UDP port of VXLAN (RFC 7348).
    public static let vxlanPort: UInt16 = 4789

    public init(fragmentLimits: IPFragmentReassembler.Limits = .init()) {
        fragments = IPFragmentReassembler(limits: fragmentLimits)
    }

    /// Decodes `packet` into `out`. Counts what it skipped.
    public mutating func decode(_ packet: CapturedPacket, into out: inout DecodedPacket) -> DecodeStatus {
        out.truncated = packet.truncatedRecord || packet.data.count < packet.originalLength
        out.tunnelDepth = 0
        let status = decodeLink(packet.data, linkType: packet.linkType, timeSeconds: packet.seconds, into: &out)
        switch status {
        case .decoded: if out.truncated { counters.truncatedPackets += 1 }
        case .notAnalysed, .fragmentPending: break
        case .unsupportedLinkType: counters.unsupportedLinkType += 1
        case .malformed(let layer): counters.malformed[layer.rawValue, default: 0] += 1
        }
        return status
    }

    /// Counts a packet that `TCPSegmentPeek` read in place of `decode`, as `decode` would have counted it, given the
    /// peek's `truncated`.
    @inline(__always)
    public mutating func countPeeked(truncated: Bool) {
        if truncated { counters.truncatedPackets += 1 }
    }

    private mutating func decodeLink(_ b: UnsafeRawBufferPointer, linkType: LinkType, timeSeconds: Int64,
                                     into out: inout DecodedPacket) -> DecodeStatus {
        switch linkType {
        case .ethernet:
            return decodeEthernet(b, timeSeconds: timeSeconds, into: &out)
        case .raw, .rawLegacy, .rawOpenBSD:
            return decodeIPByVersion(b, timeSeconds: timeSeconds, into: &out)
        case .ipv4:
            return decodeIPv4(b, timeSeconds: timeSeconds, into: &out)
        case .ipv6:
            return decodeIPv6(b, timeSeconds: timeSeconds, into: &out)
        case .null, .loop:
            guard b.count >= 4 else { return .malformed(.link) }
            // NULL stores the address family in the capturing host's byte order, LOOP in network order.
            let family = linkType == .loop ? b.be32(0) : (b.le32(0) < 256 ? b.le32(0) : b.be32(0))
            switch family {
            case 2: return decodeIPv4(b.view(4, b.count - 4), timeSeconds: timeSeconds, into: &out)
            case 10, 24, 28, 30: return decodeIPv6(b.view(4, b.count - 4), timeSeconds: timeSeconds, into: &out)
            default: counters.notIP += 1; return .notAnalysed
            }
        case .linuxSLL:
            guard b.count >= 16 else { return .malformed(.link) }
            return decodeEtherType(b.be16(14), b.view(16, b.count - 16), timeSeconds: timeSeconds, into: &out)
        case .linuxSLL2:
            guard b.count >= 20 else { return .malformed(.link) }
            return decodeEtherType(b.be16(0), b.view(20, b.count - 20), timeSeconds: timeSeconds, into: &out)
        default:
            return .unsupportedLinkType
        }
    }

    private mutating func decodeEthernet(_ b: UnsafeRawBufferPointer, timeSeconds: Int64, into out: inout DecodedPacket) -> DecodeStatus {
        guard b.count >= 14 else { return .malformed(.link) }
        return decodeEtherType(b.be16(12), b.view(14, b.count - 14), timeSeconds: timeSeconds, into: &out)
    }

    /// Follows an EtherType through VLAN tags (802.1Q, 802.1ad, QinQ), PPPoE sessions and MPLS label stacks.
    private mutating func decodeEtherType(_ etherType: UInt16, _ payload: UnsafeRawBufferPointer, timeSeconds: Int64,
                                          into out: inout DecodedPacket) -> DecodeStatus {
        var type = etherType
        var b = payload
        var hops = 0
        while hops < 8 {
            hops += 1
            switch type {
            case 0x0800: return decodeIPv4(b, timeSeconds: timeSeconds, into: &out)
            case 0x86dd: return decodeIPv6(b, timeSeconds: timeSeconds, into: &out)
            case 0x8100, 0x88a8, 0x9100, 0x9200:
                guard b.count >= 4 else { return .malformed(.vlan) }
                type = b.be16(2)
                b = b.view(4, b.count - 4)
            case 0x8864:
                // PPPoE session: ver/type(1) code(1) session(2) length(2), then the PPP protocol (2).
                guard b.count >= 8 else { return .malformed(.pppoe) }
                let ppp = b.be16(6)
                let inner = b.view(8, b.count - 8)
                switch ppp {
                case 0x0021: return decodeIPv4(inner, timeSeconds: timeSeconds, into: &out)
                case 0x0057: return decodeIPv6(inner, timeSeconds: timeSeconds, into: &out)
                default: counters.notIP += 1; return .notAnalysed
                }
            case 0x8847, 0x8848:
                // MPLS: pop labels to the bottom of the stack, then guess IP from the version nibble.
                var o = 0
                while true {
                    guard b.count >= o + 4 else { return .malformed(.mpls) }
                    let bottom = b[o + 2] & 0x01 != 0
                    o += 4
                    if bottom { break }
                    if o > 64 { return .malformed(.mpls) }
                }
                return decodeIPByVersion(b.view(o, b.count - o), timeSeconds: timeSeconds, into: &out)
            default:
                counters.notIP += 1
                return .notAnalysed
            }
        }
        return .malformed(.vlan)
    }

    private mutating func decodeIPByVersion(_ b: UnsafeRawBufferPointer, timeSeconds: Int64, into out: inout DecodedPacket) -> DecodeStatus {
        guard b.count >= 1 else { return .malformed(.ipv4) }
        switch b[0] >> 4 {
        case 4: return decodeIPv4(b, timeSeconds: timeSeconds, into: &out)
        case 6: return decodeIPv6(b, timeSeconds: timeSeconds, into: &out)
        default: counters.notIP += 1; return .notAnalysed
        }
    }

    /// IPv4 (RFC 791): version/IHL, total length, identification, flags/fragment offset, TTL, protocol, addresses.
    private mutating func decodeIPv4(_ b: UnsafeRawBufferPointer, timeSeconds: Int64, into out: inout DecodedPacket) -> DecodeStatus {
        guard b.count >= 20, b[0] >> 4 == 4 else { return .malformed(.ipv4) }
        let ihl = Int(b[0] & 0x0f) * 4
        let total = Int(b.be16(2))
        guard ihl >= 20, b.count >= ihl, total >= ihl || total == 0 else { return .malformed(.ipv4) }
        var end = total == 0 ? b.count : total  // 0: TSO-offloaded capture, trust the captured length
        if end > b.count { end = b.count; out.truncated = true }
        out.source = .v4(b.be32(12))
        out.destination = .v4(b.be32(16))
        out.hopLimit = b[8]
        let proto = b[9]
        let flagsOffset = b.be16(6)
        let payload = b.view(ihl, end - ihl)
        if flagsOffset & 0x3fff != 0 {
            // A fragment: more-fragments set or a non-zero offset.
            counters.ipv4Fragments += 1
            let key = IPFragmentReassembler.Key(source: out.source, destination: out.destination,
                                                identification: UInt32(b.be16(4)), protocolNumber: proto)
            let offset = Int(flagsOffset & 0x1fff) * 8
            let more = flagsOffset & 0x2000 != 0
            switch fragments.add(key: key, offset: offset, more: more, data: payload, timeSeconds: timeSeconds) {
            case .pending: return .fragmentPending
            case .dropped: counters.fragmentsDropped += 1; return .fragmentPending
            case .complete(let datagram):
                counters.datagramsReassembled += 1
                return decodeTransport(proto, datagram, timeSeconds: timeSeconds, into: &out)
            }
        }
        return decodeTransport(proto, payload, timeSeconds: timeSeconds, into: &out)
    }

    /// IPv6 (RFC 8200): fixed 40-byte header, then extension headers up to the upper-layer header.
    private mutating func decodeIPv6(_ b: UnsafeRawBufferPointer, timeSeconds: Int64, into out: inout DecodedPacket) -> DecodeStatus {
        guard b.count >= 40, b[0] >> 4 == 6 else { return .malformed(.ipv6) }
        let payloadLength = Int(b.be16(4))
        var end = payloadLength == 0 ? b.count : 40 + payloadLength  // 0: jumbogram or offloaded, use what is there
        if end > b.count { end = b.count; out.truncated = true }
        out.source = IPAddress.read(b, at: 8, v6: true)
        out.destination = IPAddress.read(b, at: 24, v6: true)
        out.hopLimit = b[7]
        var next = b[6]
        var o = 40
        var extensions = 0
        while true {
            switch next {
            case 0, 43, 60, 135, 139, 140:
                // Hop-by-hop, routing, destination options, mobility, HIP, shim6: length in 8-octet units.
                guard end >= o + 8 else { return .malformed(.ipv6Extension) }
                let len = (Int(b[o + 1]) + 1) * 8
                guard end >= o + len else { return .malformed(.ipv6Extension) }
                next = b[o]
                o += len
            case 51:
                // Authentication header: length in 4-octet units, minus 2.
                guard end >= o + 8 else { return .malformed(.ipv6Extension) }
                let len = (Int(b[o + 1]) + 2) * 4
                guard end >= o + len else { return .malformed(.ipv6Extension) }
                next = b[o]
                o += len
            case 44:
                guard end >= o + 8 else { return .malformed(.ipv6Extension) }
                counters.ipv6Fragments += 1
                let proto = b[o]
                let offField = b.be16(o + 2)
                let key = IPFragmentReassembler.Key(source: out.source, destination: out.destination,
                                                    identification: b.be32(o + 4), protocolNumber: proto)
                let data = b.view(o + 8, end - o - 8)
                switch fragments.add(key: key, offset: Int(offField >> 3) * 8, more: offField & 1 != 0, data: data,
                                     timeSeconds: timeSeconds) {
                case .pending: return .fragmentPending
                case .dropped: counters.fragmentsDropped += 1; return .fragmentPending
                case .complete(let datagram):
                    counters.datagramsReassembled += 1
                    return decodeTransport(proto, datagram, timeSeconds: timeSeconds, into: &out)
                }
            default:
                return decodeTransport(next, b.view(o, end - o), timeSeconds: timeSeconds, into: &out)
            }
            extensions += 1
            if extensions > 16 { return .malformed(.ipv6Extension) }
        }
    }

    private mutating func decodeTransport(_ proto: UInt8, _ b: UnsafeRawBufferPointer, timeSeconds: Int64,
                                          into out: inout DecodedPacket) -> DecodeStatus {
        switch proto {
        case IPProtocolNumber.tcp:
            // TCP (RFC 9293): ports, sequence, acknowledgment, data offset, flags, window.
            guard b.count >= 20 else { return .malformed(.tcp) }
            let dataOffset = Int(b[12] >> 4) * 4
            guard dataOffset >= 20, b.count >= dataOffset else { return .malformed(.tcp) }
            out.transport = proto
            out.sourcePort = b.be16(0)
            out.destinationPort = b.be16(2)
            out.tcpSequence = b.be32(4)
            out.tcpAcknowledgment = b.be32(8)
            out.tcpFlags = TCPFlags(rawValue: b[13])
            out.tcpWindow = b.be16(14)
            out.payload = b.view(dataOffset, b.count - dataOffset)
            return .decoded
        case IPProtocolNumber.udp:
            guard b.count >= 8 else { return .malformed(.udp) }
            let length = Int(b.be16(4))
            var end = b.count
            if length >= 8 && length < b.count { end = length }  // trailing padding
            if length > b.count { out.truncated = true }
            let sport = b.be16(0), dport = b.be16(2)
            let payload = b.view(8, end - 8)
            // VXLAN (RFC 7348): flags with the I bit, 24-bit VNI, then an Ethernet frame.
            if dport == PacketDecoder.vxlanPort, payload.count >= 8 + 14, payload[0] & 0x08 != 0,
               out.tunnelDepth < PacketDecoder.maximumTunnelDepth {
                out.tunnelDepth += 1
                counters.vxlanDecapsulated += 1
                return decodeEthernet(payload.view(8, payload.count - 8), timeSeconds: timeSeconds, into: &out)
            }
            out.transport = proto
            out.sourcePort = sport
            out.destinationPort = dport
            out.tcpFlags = []
            out.payload = payload
            return .decoded
        case IPProtocolNumber.gre:
            guard out.tunnelDepth < PacketDecoder.maximumTunnelDepth else { return .malformed(.tunnelDepth) }
            return decodeGRE(b, timeSeconds: timeSeconds, into: &out)
        case IPProtocolNumber.ipip:
            guard out.tunnelDepth < PacketDecoder.maximumTunnelDepth else { return .malformed(.tunnelDepth) }
            out.tunnelDepth += 1
            counters.ipInIPDecapsulated += 1
            return decodeIPv4(b, timeSeconds: timeSeconds, into: &out)
        case IPProtocolNumber.ipv6InIP:
            guard out.tunnelDepth < PacketDecoder.maximumTunnelDepth else { return .malformed(.tunnelDepth) }
            out.tunnelDepth += 1
            counters.ipInIPDecapsulated += 1
            return decodeIPv6(b, timeSeconds: timeSeconds, into: &out)
        default:
            counters.otherTransport += 1
            return .notAnalysed
        }
    }

    /// GRE (RFC 2784/2890): flags and version, protocol type, optional checksum, key and sequence words.
    /// Carries IPv4, IPv6, Ethernet (0x6558, transparent bridging), ERSPAN type II (0x88be) and III (0x22eb).
    private mutating func decodeGRE(_ b: UnsafeRawBufferPointer, timeSeconds: Int64, into out: inout DecodedPacket) -> DecodeStatus {
        guard b.count >= 4 else { return .malformed(.gre) }
        let flags = b.be16(0)
        guard flags & 0x0007 == 0 else { counters.otherTransport += 1; return .notAnalysed }  // version 1: PPTP
        var o = 4
        if flags & 0x8000 != 0 { o += 4 }  // checksum + reserved
        if flags & 0x2000 != 0 { o += 4 }  // key
        let hasSequence = flags & 0x1000 != 0
        if hasSequence { o += 4 }
        guard b.count >= o else { return .malformed(.gre) }
        let inner = b.view(o, b.count - o)
        out.tunnelDepth += 1
        counters.greDecapsulated += 1
        switch b.be16(2) {
        case 0x0800: return decodeIPv4(inner, timeSeconds: timeSeconds, into: &out)
        case 0x86dd: return decodeIPv6(inner, timeSeconds: timeSeconds, into: &out)
        case 0x6558: return decodeEthernet(inner, timeSeconds: timeSeconds, into: &out)
        case 0x88be:
            // ERSPAN type I has no header (no sequence bit); type II has an 8-byte header.
            counters.erspanDecapsulated += 1
            if !hasSequence { return decodeEthernet(inner, timeSeconds: timeSeconds, into: &out) }
            guard inner.count >= 8 else { return .malformed(.erspan) }
            return decodeEthernet(inner.view(8, inner.count - 8), timeSeconds: timeSeconds, into: &out)
        case 0x22eb:
            // ERSPAN type III: 12-byte header, plus an 8-byte platform sub-header when the O bit is set.
            counters.erspanDecapsulated += 1
            guard inner.count >= 12 else { return .malformed(.erspan) }
            let len = inner[11] & 0x01 != 0 ? 20 : 12
            guard inner.count >= len else { return .malformed(.erspan) }
            return decodeEthernet(inner.view(len, inner.count - len), timeSeconds: timeSeconds, into: &out)
        default:
            counters.otherTransport += 1
            return .notAnalysed
        }
    }
}
