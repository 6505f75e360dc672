import CaptureInput
import CPrefetch

extension FlowKey {
    /// The TCP flow key of a plain packet, read without decoding state: Ethernet (with one optional VLAN tag) or raw
    /// IP, IPv4 that is not a fragment, or IPv6 whose first next header is TCP. Anything else (tunnels,
    /// fragments, extension headers, other link types) gives nil. Used only to prefetch the flow of an upcoming
    /// packet: the decoder, not this, decides what a packet is.
    @inline(__always)
    public static func peekTCP(_ packet: CapturedPacket) -> FlowKey? {
        var b = packet.data
        switch packet.linkType {
        case .ethernet:
            guard b.count >= 14 else { return nil }
            var type = b.be16(12)
            var offset = 14
            if type == 0x8100 {
                guard b.count >= 18 else { return nil }
                type = b.be16(16)
                offset = 18
            }
            guard type == 0x0800 || type == 0x86dd else { return nil }
            b = b.view(offset, b.count - offset)
        case .raw, .rawLegacy, .rawOpenBSD, .ipv4, .ipv6:
            break
        default:
            return nil
        }
        guard b.count >= 1 else { return nil }
        let source: IPAddress, destination: IPAddress
        let tcp: Int
        switch b[0] >> 4 {
        case 4:
            let ihl = Int(b[0] & 0x0f) * 4
            guard b.count >= ihl + 4, ihl >= 20, b[9] == IPProtocolNumber.tcp, b.be16(6) & 0x3fff == 0 else { return nil }
            source = .v4(b.be32(12))
            destination = .v4(b.be32(16))
            tcp = ihl
        case 6:
            guard b.count >= 44, b[6] == IPProtocolNumber.tcp else { return nil }
            source = IPAddress.read(b, at: 8, v6: true)
            destination = IPAddress.read(b, at: 24, v6: true)
            tcp = 40
        default:
            return nil
        }
        let s = Endpoint(address: source, port: b.be16(tcp)), d = Endpoint(address: destination, port: b.be16(tcp + 2))
        return make(source: s, destination: d, transport: IPProtocolNumber.tcp).0
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

    /// Starts loading the flow held in the home slot of hash `h`, if that slot holds a flow with this hash (the
    /// slot was prefetched a packet earlier). Reads the slot's reference without retaining it.
    @inline(__always)
    func prefetchFlow(hash h: Int) {
        slotReference(index: h & mask, hash: h).map { hs_prefetch($0) }
    }
}
