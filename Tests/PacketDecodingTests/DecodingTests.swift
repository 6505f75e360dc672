import Testing
import CaptureInput
import PacketDecoding
import TestSupport

func decode(_ frame: [UInt8], link: LinkType = .ethernet, decoder: inout PacketDecoder) -> (DecodeStatus, DecodedPacket, [UInt8]) {
    var out = DecodedPacket()
    return frame.withUnsafeBytes { raw in
        let p = CapturedPacket(frameNumber: 1, seconds: 100, nanoseconds: 0, linkType: link, originalLength: raw.count, data: raw)
        let s = decoder.decode(p, into: &out)
        return (s, out, Array(out.payload))
    }
}

@Suite struct LinkAndNetwork {
    let a: [UInt8] = [192, 0, 2, 1], b: [UInt8] = [198, 51, 100, 7]

    @Test func ethernetWithTwoVLANTags() {
        var d = PacketDecoder()
        let frame = Frames.ethernet(type: 0x0800, Frames.ipv4(src: a, dst: b, proto: 6, Frames.tcp(sport: 1234, dport: 443, seq: 7, [1, 2, 3])),
                                    vlans: [10, 20])
        let (s, p, payload) = decode(frame, decoder: &d)
        #expect(s == .decoded)
        #expect(p.source.description == "192.0.2.1" && p.destination.description == "198.51.100.7")
        #expect(p.sourcePort == 1234 && p.destinationPort == 443 && p.tcpSequence == 7)
        #expect(payload == [1, 2, 3])
    }

    @Test func ethernetPaddingIsNotPayload() {
        var d = PacketDecoder()
        let frame = Frames.ethernet(type: 0x0800, Frames.ipv4(src: a, dst: b, proto: 6, Frames.tcp(sport: 1, dport: 2, seq: 0))) + [0, 0, 0, 0, 0, 0]
        let (s, _, payload) = decode(frame, decoder: &d)
        #expect(s == .decoded && payload.isEmpty)
    }

    @Test func linuxCookedV1AndV2AndNullAndRaw() {
        var d = PacketDecoder()
        let ip = Frames.ipv4(src: a, dst: b, proto: 17, Frames.udp(sport: 53, dport: 5353, [7]))
        let sll = [UInt8](repeating: 0, count: 14) + Frames.be16(0x0800) + ip
        let sll2 = Frames.be16(0x0800) + [UInt8](repeating: 0, count: 18) + ip
        let null: [UInt8] = [2, 0, 0, 0] + ip
        for (frame, link) in [(sll, LinkType.linuxSLL), (sll2, .linuxSLL2), (null, .null), (ip, .raw), (ip, .ipv4)] {
            let (s, p, payload) = decode(frame, link: link, decoder: &d)
            #expect(s == .decoded, "\(link)")
            #expect(p.transport == 17 && p.destinationPort == 5353 && payload == [7], "\(link)")
        }
    }

    @Test func ipv6WithExtensionHeaders() {
        var d = PacketDecoder()
        let src = [UInt8](repeating: 0, count: 15) + [1], dst: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [2]
        let hopByHop: [UInt8] = [60, 0, 0, 0, 0, 0, 0, 0]  // next: destination options
        let destOpts: [UInt8] = [6, 0, 1, 4, 0, 0, 0, 0]    // next: TCP
        let frame = Frames.ethernet(type: 0x86dd, Frames.ipv6(src: src, dst: dst, next: 0, hopByHop + destOpts + Frames.tcp(sport: 5, dport: 443, seq: 1, [0xaa])))
        let (s, p, payload) = decode(frame, decoder: &d)
        #expect(s == .decoded)
        #expect(p.source.description == "::1" && p.destination.description == "2001:db8::2")
        #expect(payload == [0xaa])
    }

    @Test func ipv4FragmentsOutOfOrderAreReassembled() {
        var d = PacketDecoder()
        let tcp = Frames.tcp(sport: 1000, dport: 443, seq: 1, [UInt8](0..<40))
        let first = Array(tcp[0..<24]), second = Array(tcp[24...])
        let f2 = Frames.ethernet(type: 0x0800, Frames.ipv4(src: a, dst: b, proto: 6, second, id: 77, flagsOffset: 3))
        let f1 = Frames.ethernet(type: 0x0800, Frames.ipv4(src: a, dst: b, proto: 6, first, id: 77, flagsOffset: 0x2000))
        #expect(decode(f2, decoder: &d).0 == .fragmentPending)
        let (s, p, payload) = decode(f1, decoder: &d)
        #expect(s == .decoded && p.destinationPort == 443)
        #expect(payload == [UInt8](0..<40))
        #expect(d.counters.datagramsReassembled == 1)
    }

    @Test func greAndERSPANAndVXLANAreDecapsulated() {
        var d = PacketDecoder()
        let inner = Frames.ethernet(type: 0x0800, Frames.ipv4(src: a, dst: b, proto: 6, Frames.tcp(sport: 9, dport: 443, seq: 3, [0x16])))
        let greEth = Frames.be16(0) + Frames.be16(0x6558) + inner
        let erspan2 = Frames.be16(0x1000) + Frames.be16(0x88be) + Frames.be32(1) + [UInt8](repeating: 0, count: 8) + inner
        let erspan3 = Frames.be16(0x1000) + Frames.be16(0x22eb) + Frames.be32(1) + [UInt8](repeating: 0, count: 12) + inner
        let vxlan = Frames.udp(sport: 55555, dport: 4789, [0x08, 0, 0, 0, 0, 0, 1, 0] + inner)
        for (proto, payload) in [(UInt8(47), greEth), (47, erspan2), (47, erspan3), (17, vxlan)] {
            let outer = Frames.ethernet(type: 0x0800, Frames.ipv4(src: [10, 9, 9, 9], dst: [10, 8, 8, 8], proto: proto, payload))
            let (s, p, data) = decode(outer, decoder: &d)
            #expect(s == .decoded)
            #expect(p.tunnelDepth == 1 && p.destinationPort == 443 && data == [0x16])
        }
    }

    @Test func lyingLengthsAreMalformedNotFatal() {
        var d = PacketDecoder()
        var ip = Frames.ipv4(src: a, dst: b, proto: 6, Frames.tcp(sport: 1, dport: 2, seq: 0))
        ip[0] = 0x44  // IHL 16 bytes < 20
        #expect(decode(Frames.ethernet(type: 0x0800, ip), decoder: &d).0 == .malformed(.ipv4))
        var tcp = Frames.tcp(sport: 1, dport: 2, seq: 0)
        tcp[12] = 0xf0  // data offset 60 > segment
        #expect(decode(Frames.ethernet(type: 0x0800, Frames.ipv4(src: a, dst: b, proto: 6, tcp)), decoder: &d).0 == .malformed(.tcp))
        // IP total length larger than captured: decoded, marked truncated.
        let big = Frames.ipv4(src: a, dst: b, proto: 6, Frames.tcp(sport: 1, dport: 2, seq: 0, [1]), totalLength: 1500)
        let (s, p, _) = decode(Frames.ethernet(type: 0x0800, big), decoder: &d)
        #expect(s == .decoded && p.truncated)
        #expect(decode([1, 2, 3], decoder: &d).0 == .malformed(.link))
        #expect(decode([1, 2, 3], link: LinkType(rawValue: 147), decoder: &d).0 == .unsupportedLinkType)
    }
}

/// Collects what the reassembler delivers.
final class StreamRecorder: TCPStreamSink {
    var streams: [Int: [UInt8]] = [0: [], 1: []]
    var gaps = 0
    var ended: [FlowEndReason] = []
    var stopAfter: Int?
    func tcpData(_ flow: TCPFlow, direction: Int, bytes: UnsafeRawBufferPointer) -> Bool {
        streams[direction, default: []] += Array(bytes)
        if let stopAfter, streams[direction]!.count >= stopAfter { return false }
        return true
    }
    func tcpGap(_ flow: TCPFlow, direction: Int) -> Bool { gaps += 1; return true }
    func tcpFlowEnded(_ flow: TCPFlow, reason: FlowEndReason) { ended.append(reason) }
}

@Suite struct Reassembly {
    func feed(_ frames: [[UInt8]], _ r: TCPReassembler, _ sink: StreamRecorder) {
        var d = PacketDecoder()
        for f in frames {
            let (s, p, _) = decode(f, decoder: &d)
            if s == .decoded { r.process(p, now: 100, sink: sink) }
        }
    }

    let data = [UInt8]((0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) })

    func segments(isn: UInt32, sizes: [Int]) -> [[UInt8]] {
        var out = [Frames.tcp4(client: true, seq: isn, flags: 0x02)]
        var off = 0
        for s in sizes {
            out.append(Frames.tcp4(client: true, seq: isn &+ 1 &+ UInt32(off), Array(data[off..<(off + s)])))
            off += s
        }
        return out
    }

    @Test func inOrderReorderedAndDuplicatedGiveTheSameBytes() {
        let segs = segments(isn: 1000, sizes: [500, 700, 800, 1000])
        for order in [[0, 1, 2, 3, 4], [0, 4, 2, 3, 1], [0, 1, 1, 3, 2, 3, 4, 4], [0, 3, 4, 2, 1]] {
            let r = TCPReassembler(), sink = StreamRecorder()
            feed(order.map { segs[$0] }, r, sink)
            #expect(sink.streams[0] == data, "order \(order)")
        }
    }

    @Test func sequenceNumbersWrap() {
        let r = TCPReassembler(), sink = StreamRecorder()
        feed(segments(isn: UInt32.max - 600, sizes: [500, 700, 800, 1000]), r, sink)
        #expect(sink.streams[0] == data)
    }

    @Test func missingSYNIsPickedUpMidstream() {
        let r = TCPReassembler(), sink = StreamRecorder()
        feed(Array(segments(isn: 5, sizes: [100, 200]).dropFirst()), r, sink)
        #expect(sink.streams[0] == Array(data[0..<300]))
        #expect(r.counters.midstreamPickups == 1)
    }

    /// The last ACK after both FINs (and a keep-alive of a forgotten connection) carries nothing to analyse: it is
    /// counted, and no flow is made for it that would linger until it expired.
    @Test func dataLessSegmentOfNoFlowCreatesNone() {
        let r = TCPReassembler(), sink = StreamRecorder()
        var frames = segments(isn: 100, sizes: [300])
        frames.append(Frames.tcp4(client: true, seq: 401, flags: 0x11))          // FIN|ACK
        frames.append(Frames.tcp4(client: false, seq: 9000, flags: 0x11))        // FIN|ACK: both closed
        frames.append(Frames.tcp4(client: true, seq: 402, flags: 0x10))          // the last ACK
        frames.append(Frames.tcp4(client: true, sport: 40001, seq: 7, flags: 0x10))  // an ACK of an unknown flow
        feed(frames, r, sink)
        #expect(sink.ended == [.closed])
        #expect(r.counters.flowsCreated == 1)
        #expect(r.counters.untrackedSegments == 2)
        #expect(r.activeFlows == 0)
        // Data of an unknown connection is still picked up.
        feed([Frames.tcp4(client: true, sport: 40002, seq: 50, [1, 2, 3])], r, sink)
        #expect(r.counters.flowsCreated == 2 && r.counters.midstreamPickups == 1)
    }

    @Test func conflictingOverlapKeepsFirstBytesAndIsCounted() {
        let r = TCPReassembler(), sink = StreamRecorder()
        let isn: UInt32 = 10
        var frames = [Frames.tcp4(client: true, seq: isn, flags: 0x02)]
        frames.append(Frames.tcp4(client: true, seq: isn + 101, [UInt8](repeating: 0xaa, count: 100)))  // out of order
        frames.append(Frames.tcp4(client: true, seq: isn + 151, [UInt8](repeating: 0xbb, count: 100)))  // overlaps differently
        frames.append(Frames.tcp4(client: true, seq: isn + 1, [UInt8](repeating: 0x11, count: 100)))
        feed(frames, r, sink)
        #expect(r.counters.overlapConflicts == 1)
        #expect(Array(sink.streams[0]![100..<200]) == [UInt8](repeating: 0xaa, count: 100))
    }

    @Test func holeIsSkippedAtEndAndReported() {
        let r = TCPReassembler(), sink = StreamRecorder()
        let segs = segments(isn: 1, sizes: [100, 100, 100])
        feed([segs[0], segs[1], segs[3]], r, sink)
        #expect(sink.streams[0]!.count == 100)
        r.finish(sink: sink)
        #expect(sink.gaps == 1)
        #expect(sink.streams[0]!.count == 200)
        #expect(sink.ended == [.endOfCapture])
    }

    @Test func stoppedDirectionIsOnlyCounted() {
        let r = TCPReassembler(), sink = StreamRecorder()
        sink.stopAfter = 100
        feed(segments(isn: 1, sizes: [100, 100, 100]), r, sink)
        #expect(sink.streams[0]!.count == 100)
        #expect(r.counters.segments == 4)
    }

    @Test func flowTableLimitEvictsLeastRecentlyActive() {
        var limits = ReassemblyLimits()
        limits.maximumFlows = 64
        let r = TCPReassembler(limits: limits), sink = StreamRecorder()
        var frames: [[UInt8]] = []
        for port in 0..<200 { frames.append(Frames.tcp4(client: true, sport: UInt16(20000 + port), seq: 1, flags: 0x02)) }
        feed(frames, r, sink)
        #expect(r.activeFlows <= 64)
        #expect(r.counters.flowsEvicted >= 136)
        #expect(sink.ended.allSatisfy { $0 == .evicted })
    }
}

/// What `TCPSegmentPeek` reads of a packet equals what the decoder makes of it, wherever the peek gives a value: the
/// analyser counts segments of finished flows from the peek alone, so a difference would change the counters.
/// Checked on real captures (IPv4 and IPv6 lab traffic, and the reference corpus when present) and on mutated
/// copies of their packets: every header byte changed, cut at every length, other link types, other original lengths.
@Suite struct FlowHint {
    /// Decodes `packet` and checks the peek against it; returns whether the peek gave a value.
    @discardableResult
    static func check(_ packet: CapturedPacket, _ decoder: inout PacketDecoder, _ out: inout DecodedPacket,
                      _ label: @autoclosure () -> String) -> Bool {
        let peek = TCPSegmentPeek(packet)
        let status = decoder.decode(packet, into: &out)
        guard let peek else { return false }
        #expect(status == .decoded && out.transport == IPProtocolNumber.tcp, "\(label()): peeked, decoder says \(status)")
        guard status == .decoded, out.transport == IPProtocolNumber.tcp else { return true }
        let key = FlowKey.make(source: out.sourceEndpoint, destination: out.destinationEndpoint, transport: IPProtocolNumber.tcp).0
        #expect(peek.key == key, "\(label())")
        #expect(peek.flags.rawValue == out.tcpFlags.rawValue, "\(label())")
        #expect(peek.payloadCount == out.payload.count, "\(label())")
        #expect(peek.truncated == out.truncated, "\(label())")
        return true
    }

    static var capturePaths: [String] {
        var paths = Paths.files(under: Paths.packageRoot + "/captures/lab", suffixes: [".pcap"])
        if let corpus = Paths.corpus { paths += Paths.files(under: corpus, suffixes: [".pcap", ".pcapng"]) }
        return paths
    }

    @Test func peekEqualsTheDecoderOnRealPackets() throws {
        var peeked = 0, tcp = 0
        for path in Self.capturePaths {
            let reader = try CaptureReader(path: path)
            var decoder = PacketDecoder()
            var out = DecodedPacket()
            while let packet = reader.next() {
                let gave = Self.check(packet, &decoder, &out, "\(path) frame \(packet.frameNumber)")
                if out.transport == IPProtocolNumber.tcp { tcp += 1 }
                if gave { peeked += 1 }
            }
        }
        #expect(tcp > 400 && peeked * 10 >= tcp * 9, "tcp \(tcp) peeked \(peeked)")
    }

    @Test func peekEqualsTheDecoderOnMutatedPackets() throws {
        var rng = SeededGenerator(seed: 0x5e9)
        var checked = 0, peeked = 0
        let links: [LinkType] = [.ethernet, .raw, .rawLegacy, .ipv4, .ipv6, .linuxSLL, .null]
        for path in Self.capturePaths where path.hasSuffix(".pcap") {
            let reader = try CaptureReader(path: path)
            var decoder = PacketDecoder()
            var out = DecodedPacket()
            var taken = 0, seen = 0
            // A dozen packets of each capture, spread over it (handshakes, data, ends).
            while let packet = reader.next(), taken < 12 {
                guard TCPSegmentPeek(packet) != nil else { continue }
                seen += 1
                guard seen % 5 == 1 else { continue }
                taken += 1
                let original = Array(packet.data)
                func run(_ bytes: [UInt8], link: LinkType, originalLength: Int, truncatedRecord: Bool = false, _ what: String) {
                    bytes.withUnsafeBytes { raw in
                        var p = CapturedPacket(frameNumber: packet.frameNumber, seconds: packet.seconds, nanoseconds: 0,
                                               linkType: link, originalLength: originalLength, data: raw)
                        p.truncatedRecord = truncatedRecord
                        checked += 1
                        if Self.check(p, &decoder, &out, "\(path) frame \(packet.frameNumber) \(what)") { peeked += 1 }
                    }
                }
                // Every byte of the headers (and a little payload), each set to a few values.
                for i in 0..<min(original.count, 96) {
                    for v: UInt8 in [0x00, 0xff, original[i] ^ 0x10, UInt8.random(in: 0...255, using: &rng)] {
                        var m = original
                        m[i] = v
                        run(m, link: packet.linkType, originalLength: m.count, "byte \(i) = \(v)")
                    }
                }
                // Cut at every length of the headers, as a snap length or a truncated record would.
                for n in 0..<min(original.count, 100) {
                    run(Array(original[..<n]), link: packet.linkType, originalLength: original.count, "cut at \(n)")
                    run(Array(original[..<n]), link: packet.linkType, originalLength: n, truncatedRecord: true, "truncated record at \(n)")
                }
                // The same bytes under another link type, and the IP packet alone under each link type.
                let ipStart = packet.linkType == .ethernet ? 14 : 0
                for link in links {
                    run(original, link: link, originalLength: original.count, "as \(link)")
                    if original.count > ipStart { run(Array(original[ipStart...]), link: link, originalLength: original.count - ipStart, "IP as \(link)") }
                }
                run(original, link: packet.linkType, originalLength: original.count + 1, "longer on the wire")
            }
        }
        #expect(checked > 10_000 && peeked > 1_000, "checked \(checked) peeked \(peeked)")
    }
}
