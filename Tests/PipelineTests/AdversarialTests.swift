import Testing
import Foundation
import CaptureInput
import Pipeline
import PKIParsing
import TestSupport

// Captures an attacker on the monitored network can produce: lengths that lie at every layer, TCP evasion,
// resource exhaustion, files that are not captures, hostile strings. Each capture is generated here (the
// same families, at full scale, come from Tests/Fixtures/adversarial/generate.py). Every test asserts that the
// analysis ends, that the summary counters say what was dropped or evicted, and that a good hello elsewhere in
// the same capture is still fingerprinted.

/// Builds hostile captures around one good connection.
enum Hostile {
    static let goodJA4 = Pipeline.expectedJA4
    static let goodSNI = "good.lab.test"

    /// A complete good connection (SYN, SYN-ACK, the python-default hello) on its own client port.
    static func goodConnection(sport: UInt16 = 45000, seq: UInt32 = 1000) -> [[UInt8]] {
        [Frames.tcp4(client: true, sport: sport, seq: seq, flags: 0x02),
         Frames.tcp4(client: false, sport: sport, seq: 9000, ack: seq &+ 1, flags: 0x12),
         Frames.tcp4(client: true, sport: sport, seq: seq &+ 1, ack: 9001, HelloFixtures.record("python-default"))]
    }

    static func pcap(_ frames: [[UInt8]]) -> [UInt8] {
        var b = PcapBuilder()
        for f in frames { b.add(f) }
        return b.bytes
    }

    /// A ClientHello handshake message (type, length, body) with the given server name bytes, as sent.
    static func clientHello(sni: [UInt8], extensionLengthDelta: Int = 0, ciphers: [UInt16] = [0x1301, 0x1302, 0xc02f]) -> [UInt8] {
        var body: [UInt8] = [3, 3] + [UInt8](repeating: 0x11, count: 32) + [0]
        body += Frames.be16(UInt16(ciphers.count * 2)) + ciphers.flatMap { Frames.be16($0) }
        body += [1, 0]
        let name = [0] + Frames.be16(UInt16(sni.count)) + sni
        let serverName = Frames.be16(UInt16(name.count)) + name
        var extensions = Frames.be16(0) + Frames.be16(UInt16(serverName.count + extensionLengthDelta)) + serverName
        extensions += Frames.be16(0x002b) + Frames.be16(3) + [2, 3, 4]  // supported_versions: TLS 1.3
        body += Frames.be16(UInt16(extensions.count)) + extensions
        return [1] + [UInt8(body.count >> 16), UInt8((body.count >> 8) & 0xff), UInt8(body.count & 0xff)] + body
    }

    static func record(_ handshake: [UInt8], type: UInt8 = 22, length: Int? = nil) -> [UInt8] {
        let n = length ?? handshake.count
        return [type, 3, 1, UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + handshake
    }

    /// A client connection carrying `payloads` after the handshake, each segment in order.
    static func connection(sport: UInt16, payloads: [[UInt8]], isn: UInt32 = 1) -> [[UInt8]] {
        var frames = [Frames.tcp4(client: true, sport: sport, seq: isn, flags: 0x02)]
        var seq = isn &+ 1
        for p in payloads {
            frames.append(Frames.tcp4(client: true, sport: sport, seq: seq, p))
            seq = seq &+ UInt32(p.count)
        }
        return frames
    }
}

func analyzeBytes(_ bytes: [UInt8], limits: AnalysisLimits) throws -> EventCollector {
    let path = Paths.temporaryPath("adv-\(UInt64.random(in: 0...UInt64.max)).pcap")
    Paths.writeFile(path, bytes)
    defer { unlink(path) }
    return try analyze(path, limits: limits)
}

func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xff), UInt8((v >> 8) & 0xff), UInt8((v >> 16) & 0xff), UInt8(v >> 24)] }

extension EventCollector {
    var counters: [String: Int] { summaries.first?.counters ?? [:] }
    var goodHellos: Int { clientHellos.filter { $0.ja4.ja4 == Hostile.goodJA4 && $0.sni == Hostile.goodSNI }.count }
}

@Suite struct LyingLengths {
    @Test func pcapRecordLengthBeyondAnySanePacket() throws {
        var b = PcapBuilder()
        for f in Hostile.goodConnection() { b.add(f) }
        // incl_len 0xfffffff0: the reader stops instead of allocating or walking into nonsense.
        let header = [1_700_000_000, 0, 0xffff_fff0, 0xffff_fff0].flatMap { le32($0) }
        let events = try analyzeBytes(b.bytes + header + [UInt8](repeating: 0x41, count: 64))
        #expect(events.goodHellos == 1)
        #expect(events.counters["capture_oversized_records"] == 1)
        #expect(events.counters["capture_stopped_early"] == 1)
        #expect(events.summaries.first?.truncated == true)
    }

    @Test func pcapRecordLongerThanTheFile() throws {
        var b = PcapBuilder()
        for f in Hostile.goodConnection() { b.add(f) }
        let header = [1_700_000_000, 0, 60_000, 60_000].flatMap { le32($0) }
        let events = try analyzeBytes(b.bytes + header + [UInt8](repeating: 0x41, count: 100))
        #expect(events.goodHellos == 1)
        #expect(events.counters["capture_truncated_records"] == 1)
    }

    @Test(arguments: [UInt32(0), 8, 13, 0x7fff_fff0, 0xffff_fffc])
    func pcapngBlockLengthLies(length: UInt32) throws {
        var b = PcapNGBuilder()
        b.interface(linkType: 1)
        var t: UInt64 = 1_700_000_000_000_000
        for f in Hostile.goodConnection() { b.enhancedPacket(timestamp: t, f); t += 1 }
        var bytes = b.bytes
        // An Enhanced Packet Block whose total length lies, then garbage.
        bytes += le32(6) + le32(length)
        bytes += [UInt8](repeating: 0x41, count: 40)
        let events = try analyzeBytes(bytes)
        #expect(events.goodHellos == 1)
        let c = events.counters
        #expect(c["capture_malformed_blocks"]! + c["capture_truncated_records"]! + c["capture_oversized_records"]! >= 1)
    }

    @Test func pcapngTrailerLengthDisagrees() throws {
        var b = PcapNGBuilder()
        b.interface(linkType: 1)
        for f in Hostile.goodConnection() { b.enhancedPacket(timestamp: 1, f) }
        var bytes = b.bytes
        bytes[bytes.count - 4] ^= 0x10  // the last block's trailing length no longer matches its header
        let events = try analyzeBytes(bytes)
        #expect(events.counters["capture_malformed_blocks"]! >= 1)
    }

    /// IPv4 total length: 0 (TSO-offloaded captures: the captured length is trusted), below the header (malformed),
    /// shorter than the segment (the rest is link padding: the hello is cut and never read), longer than what was
    /// captured (truncated: counted, what is there is still read).
    @Test(arguments: [(0, 0, true), (19, 1, false), (41, 0, false), (60_000, 1, true)])
    func ipv4TotalLengthLies(totalLength: Int, counted: Int, helloRead: Bool) throws {
        let tcp = Frames.tcp(sport: 40100, dport: 443, seq: 1, Hostile.record(Hostile.clientHello(sni: Array("lie.test".utf8))))
        let lying = Frames.ethernet(type: 0x0800, Frames.ipv4(src: [10, 0, 0, 1], dst: [10, 0, 0, 2], proto: 6, tcp, totalLength: totalLength))
        let events = try analyzeBytes(Hostile.pcap([lying] + Hostile.goodConnection()))
        #expect(events.goodHellos == 1)
        let c = events.counters
        #expect(c["decode_malformed_ipv4"]! + c["decode_truncated_packets"]! == counted)
        #expect(events.clientHellos.contains { $0.sni == "lie.test" } == helloRead)
    }

    @Test(arguments: [UInt8(0x00), 0x40, 0xf0])
    func tcpDataOffsetLies(offsetByte: UInt8) throws {
        var seg = Frames.tcp(sport: 40101, dport: 443, seq: 1, Array(repeating: 0x16, count: 8))
        seg[12] = offsetByte  // data offset 0, 4 (below the 20-byte minimum) or 15 (60 bytes, more than the segment)
        let lying = Frames.ethernet(type: 0x0800, Frames.ipv4(src: [10, 0, 0, 1], dst: [10, 0, 0, 2], proto: 6, seg))
        let events = try analyzeBytes(Hostile.pcap([lying] + Hostile.goodConnection()))
        #expect(events.goodHellos == 1)
        #expect(events.counters["decode_malformed_tcp"] == 1)
    }

    @Test func tlsRecordLengthBeyondTheMaximum() throws {
        let hs = Hostile.clientHello(sni: Array("x.test".utf8))
        let frames = Hostile.connection(sport: 40102, payloads: [[22, 3, 1, 0x48, 0x01] + hs, Hostile.record(hs)])
        let events = try analyzeBytes(Hostile.pcap(frames + Hostile.goodConnection()))
        #expect(events.goodHellos == 1)
        // A record length beyond 2^14 + 2048 is not TLS; detection tries again at the next segment, which starts
        // a well-formed record: that hello is read (from frame 3), the lying one never.
        let lying = events.clientHellos.filter { $0.context.source.port == 40102 }
        #expect(lying.map(\.context.frame) == [3])
        #expect(lying.map(\.sni) == ["x.test"])
    }

    @Test func handshakeLengthLongerThanTheRecordsThatFollow() throws {
        var hs = Hostile.clientHello(sni: Array("x.test".utf8))
        hs[1] = 0x00; hs[2] = 0x40; hs[3] = 0x00  // claims 16 KiB; the stream then turns to application data
        let frames = Hostile.connection(sport: 40103, payloads: [Hostile.record(hs), [23, 3, 3, 0, 4, 1, 2, 3, 4]])
        let events = try analyzeBytes(Hostile.pcap(frames + Hostile.goodConnection()))
        #expect(events.goodHellos == 1)
        #expect(events.clientHellos.count == 1)
        #expect(events.counters["tls_flows"] == 2)
    }

    @Test(arguments: [-3, 1, 200])
    func extensionLengthLies(delta: Int) throws {
        let hs = Hostile.clientHello(sni: Array("ext.test".utf8), extensionLengthDelta: delta)
        let frames = Hostile.connection(sport: 40104, payloads: [Hostile.record(hs)])
        let events = try analyzeBytes(Hostile.pcap(frames + Hostile.goodConnection()))
        #expect(events.goodHellos == 1)
        #expect(events.counters["tls_client_hello_malformed"] == 1)
        #expect(!events.clientHellos.contains { $0.sni == "ext.test" })
    }

    @Test func sixteenMegabyteClientHello() throws {
        // The handshake header claims 2^24 - 1 bytes; the record layer then carries the "rest" in full records.
        var payloads: [[UInt8]] = [Hostile.record([1, 0xff, 0xff, 0xff] + [3, 3])]
        for _ in 0..<40 { payloads.append(Hostile.record([UInt8](repeating: 0x42, count: 16_384))) }
        let events = try analyzeBytes(Hostile.pcap(Hostile.connection(sport: 40105, payloads: payloads) + Hostile.goodConnection()))
        #expect(events.goodHellos == 1)
        #expect(events.counters["tls_malformed_handshake_too_large"] == 1)
    }
}

/// DER nested far beyond any sane depth, and lengths that lie, for every revocation parser.
@Suite struct HostileDER {
    static func der(tag: UInt8, _ content: [UInt8]) -> [UInt8] { [tag] + lengthOctets(content.count) + content }

    /// `depth` constructed values, each around the next, around an ENUMERATED; headers built inside out.
    static func nested(depth: Int, tag: UInt8 = 0x30) -> [UInt8] {
        let core: [UInt8] = [0x0a, 0x01, 0x00]
        var headers: [[UInt8]] = []
        var size = core.count
        for _ in 0..<depth {
            let header = [tag] + lengthOctets(size)
            headers.append(header)
            size += header.count
        }
        return headers.reversed().flatMap { $0 } + core
    }

    static func lengthOctets(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        var len: [UInt8] = []
        var v = n
        while v > 0 { len.insert(UInt8(v & 0xff), at: 0); v >>= 8 }
        return [0x80 | UInt8(len.count)] + len
    }

    static func parseAll(_ bytes: [UInt8]) {
        _ = try? OCSPResponse(derEncoded: bytes)
        _ = try? OCSPRequest(derEncoded: bytes)
        _ = try? X509Certificate(derEncoded: bytes)
        _ = try? CertificateList(derEncoded: bytes)
        _ = try? CertificateStatus(tlsMessageBody: [1] + [UInt8(bytes.count >> 16 & 0xff), UInt8(bytes.count >> 8 & 0xff), UInt8(bytes.count & 0xff)] + bytes)
        _ = PKIDocument.parse(bytes)
    }

    @Test(arguments: [100, 10_000, 100_000])
    func nestingDepth(depth: Int) {
        let sequences = Self.nested(depth: depth)
        #expect(throws: (any Error).self) { try OCSPResponse(derEncoded: sequences) }
        #expect(throws: (any Error).self) { try X509Certificate(derEncoded: sequences) }
        #expect(throws: (any Error).self) { try CertificateList(derEncoded: sequences) }
        #expect(throws: (any Error).self) { try OCSPRequest(derEncoded: sequences) }
        // Inside an otherwise plausible OCSP response: responseStatus successful, then [0] explicit nesting.
        let response = Self.der(tag: 0x30, [0x0a, 0x01, 0x00] + Self.nested(depth: depth, tag: 0xa0))
        #expect(throws: (any Error).self) { try OCSPResponse(derEncoded: response) }
        Self.parseAll(Self.nested(depth: depth, tag: 0xa0))
    }

    @Test func lengthsThatLie() throws {
        let good = try #require(Paths.readFile(Paths.packageRoot + "/Tests/PKIParsingTests/Fixtures/ocsp-resp-good.der"))
        // Every length byte position set to values that overrun, underrun and use long forms of absurd sizes.
        for i in 0..<min(good.count, 400) {
            for v: UInt8 in [0x00, 0x7f, 0x80, 0x84, 0x89, 0xff] {
                var b = good
                b[i] = v
                Self.parseAll(b)
            }
        }
        Self.parseAll([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])
        Self.parseAll([0x30, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
        Self.parseAll([0x30, 0x80, 0x00, 0x00])  // BER indefinite length
    }
}

@Suite struct TCPEvasion {
    /// SYN, then segments given as (offset into the stream, bytes), in the given order.
    static func segments(sport: UInt16, isn: UInt32 = 100, _ parts: [(Int, [UInt8])]) -> [[UInt8]] {
        [Frames.tcp4(client: true, sport: sport, seq: isn, flags: 0x02)]
            + parts.map { Frames.tcp4(client: true, sport: sport, seq: isn &+ 1 &+ UInt32($0.0), $0.1) }
    }

    @Test func overlappingOutOfOrderSegmentsWithDifferentBytes() throws {
        let real = HelloFixtures.record("python-default")
        var forged = real
        for i in 200..<300 { forged[i] ^= 0x5a }
        // Out of order: bytes 200..<517 first (real), then a forged copy of 200..<517, then 0..<200.
        let frames = Self.segments(sport: 40200, [(200, Array(real[200...])), (200, Array(forged[200...])), (0, Array(real[..<200]))])
        let events = try analyzeBytes(Hostile.pcap(frames))
        // First arrival wins: the real bytes are reassembled, the forged copy is counted.
        #expect(events.goodHellos == 1)
        #expect(events.counters["tcp_overlap_conflicts"] == 1)
    }

    @Test func laterSegmentStartingEarlierCannotReplaceHeldBytes() throws {
        let real = HelloFixtures.record("python-default")
        var forged = real
        for i in 300..<350 { forged[i] ^= 0x5a }
        // Held first: the real 300..<517. Then 250..<350 whose bytes at 300..<350 differ; then the start.
        let frames = Self.segments(sport: 40201, [(300, Array(real[300...])), (250, Array(forged[250..<350])),
                                                  (0, Array(real[..<250]))])
        let events = try analyzeBytes(Hostile.pcap(frames))
        // The held (first) bytes win: the hello is the real one, and the disagreement is counted.
        #expect(events.goodHellos == 1)
        #expect(events.counters["tcp_overlap_conflicts"] == 1)
    }

    @Test func inOrderSegmentCannotReplaceHeldBytes() throws {
        let real = HelloFixtures.record("python-default")
        var forged = real
        for i in 300..<400 { forged[i] ^= 0x5a }
        // Held first: the real 300..<517. Then, in order, 0..<400 whose bytes at 300..<400 differ.
        let frames = Self.segments(sport: 40207, [(300, Array(real[300...])), (0, Array(forged[..<400]))])
        let events = try analyzeBytes(Hostile.pcap(frames))
        #expect(events.goodHellos == 1)
        #expect(events.counters["tcp_overlap_conflicts"] == 1)
    }

    @Test func clientHelloSentTwiceWithDifferentContent() throws {
        let first = Hostile.record(Hostile.clientHello(sni: Array("first.test".utf8)))
        let second = Hostile.record(Hostile.clientHello(sni: Array("second.test".utf8), ciphers: [0x1301]))
        let events = try analyzeBytes(Hostile.pcap(Hostile.connection(sport: 40202, payloads: [first, second]) + Hostile.goodConnection()))
        // Both are reported, numbered within the connection, so a consumer sees the disagreement.
        let flow = events.clientHellos.filter { $0.context.source.port == 40202 }
        #expect(flow.map(\.sni) == ["first.test", "second.test"])
        #expect(flow.map(\.index) == [1, 2])
        #expect(events.goodHellos == 1)
    }

    @Test func retransmissionStorm() throws {
        let hello = HelloFixtures.record("python-default")
        var frames = Self.segments(sport: 40203, [(0, Array(hello[..<100]))])
        let again = Frames.tcp4(client: true, sport: 40203, seq: 101, Array(hello[..<100]))
        for _ in 0..<5000 { frames.append(again) }
        frames.append(Frames.tcp4(client: true, sport: 40203, seq: 201, Array(hello[100...])))
        let events = try analyzeBytes(Hostile.pcap(frames))
        #expect(events.goodHellos == 1)
        #expect(events.counters["tcp_retransmitted_segments"] == 5000)
    }

    @Test(arguments: [UInt32(0xffff_ffff), 0xffff_fe00, 0xffff_fffe])
    func sequenceNumbersAcrossTheWrap(isn: UInt32) throws {
        let hello = HelloFixtures.record("python-default")
        // Every byte of the hello in 7-byte segments, sent backwards, each twice: all reassembly across 2^32.
        var parts: [(Int, [UInt8])] = []
        for start in stride(from: 0, to: hello.count, by: 7) { parts.append((start, Array(hello[start..<min(start + 7, hello.count)]))) }
        let frames = Self.segments(sport: 40204, isn: isn, parts.reversed() + parts.reversed())
        let events = try analyzeBytes(Hostile.pcap(frames))
        #expect(events.goodHellos == 1)
    }

    @Test func resetInjectedMidHandshake() throws {
        let hello = HelloFixtures.record("python-default")
        var frames = Self.segments(sport: 40205, [(0, Array(hello[..<200]))])
        frames.append(Frames.tcp4(client: false, sport: 40205, seq: 9000, flags: 0x14))  // RST|ACK from "the server"
        frames.append(Frames.tcp4(client: true, sport: 40205, seq: 301, Array(hello[200...])))
        let events = try analyzeBytes(Hostile.pcap(frames + Hostile.goodConnection()))
        // The reset ends the connection: the tail is a new, mid-stream flow that starts inside a record.
        #expect(events.clientHellos.filter { $0.context.source.port == 40205 }.isEmpty)
        #expect(events.counters["tcp_midstream_pickups"] == 1)
        #expect(events.goodHellos == 1)
    }

    @Test func dataAfterFIN() throws {
        let hello = HelloFixtures.record("python-default")
        var frames = Self.segments(sport: 40206, [(0, hello)])
        frames.append(Frames.tcp4(client: true, sport: 40206, seq: 101 + UInt32(hello.count), flags: 0x11))
        frames.append(Frames.tcp4(client: true, sport: 40206, seq: 102 + UInt32(hello.count), Hostile.record(Hostile.clientHello(sni: Array("after-fin.test".utf8)))))
        frames.append(Frames.tcp4(client: false, sport: 40206, seq: 9000, flags: 0x11))
        frames.append(Frames.tcp4(client: true, sport: 40206, seq: 200_000, [1, 2, 3]))
        let events = try analyzeBytes(Hostile.pcap(frames))
        #expect(events.goodHellos == 1)
        #expect(events.summaries.count == 1)
    }
}

@Suite struct ResourceExhaustion {
    static var smallTable: AnalysisLimits {
        var l = AnalysisLimits()
        l.reassembly.maximumFlows = 256
        return l
    }

    @Test func halfOpenFlowFlood() throws {
        // 20 000 SYNs from distinct ports and addresses (the full-scale million comes from generate.py), then a
        // good connection: the table stays at its limit, the oldest flows are evicted, the hello is read.
        var b = PcapBuilder()
        for i in 0..<20_000 {
            let src: [UInt8] = [10, 1, UInt8(i >> 8), UInt8(i & 0xff)]
            let syn = Frames.tcp(sport: UInt16(1024 + i % 60_000), dport: 443, seq: UInt32(i), flags: 0x02)
            b.add(Frames.ethernet(type: 0x0800, Frames.ipv4(src: src, dst: [10, 0, 0, 2], proto: 6, syn)))
        }
        for f in Hostile.goodConnection() { b.add(f) }
        let events = try analyzeBytes(b.bytes, limits: Self.smallTable)
        #expect(events.goodHellos == 1)
        let c = events.counters
        #expect(c["tcp_peak_flows"]! <= 256)
        #expect(c["tcp_flows_evicted"]! >= 20_000 - 256)
        #expect(events.summaries.first?.flows == 20_001)
    }

    @Test func handshakeThatNeverCompletesOneByteAtATime() throws {
        var frames = Hostile.connection(sport: 40300, payloads: [Hostile.record([1, 0x00, 0x40, 0x00], length: 16_388)])
        for i in 0..<20_000 { frames.append(Frames.tcp4(client: true, sport: 40300, seq: 10 + UInt32(i), [0x41])) }
        var limits = AnalysisLimits()
        limits.maximumTLSBytesPerDirection = 8192
        let events = try analyzeBytes(Hostile.pcap(frames + Hostile.goodConnection()), limits: limits)
        #expect(events.goodHellos == 1)
        // The direction is given up once its TLS byte budget is spent; the rest is only counted.
        #expect(events.counters["tls_direction_byte_limit"] == 1)
    }

    @Test func outOfOrderFloodStaysWithinTheBudget() throws {
        var limits = AnalysisLimits()
        limits.reassembly.maximumOutOfOrderBytesPerDirection = 4096
        limits.reassembly.maximumOutOfOrderBytesTotal = 16_384
        var frames: [[UInt8]] = []
        // 64 flows each sending 1000-byte segments far ahead of a hole that never fills.
        for f in 0..<64 {
            let sport = UInt16(41000 + f)
            frames.append(Frames.tcp4(client: true, sport: sport, seq: 0, flags: 0x02))
            for k in 0..<8 { frames.append(Frames.tcp4(client: true, sport: sport, seq: 10_000 + UInt32(k * 1000), [UInt8](repeating: 0x17, count: 1000))) }
        }
        let events = try analyzeBytes(Hostile.pcap(frames + Hostile.goodConnection()), limits: limits)
        #expect(events.goodHellos == 1)
        let c = events.counters
        #expect(c["tcp_peak_out_of_order_bytes"]! <= 16_384)
        #expect(c["tcp_out_of_order_dropped_by_limit"]! + c["tcp_gaps_skipped"]! > 0)
    }

    @Test func ipFragmentFlood() throws {
        var limits = AnalysisLimits()
        limits.fragments.maximumDatagrams = 64
        var b = PcapBuilder()
        // 5000 first fragments (more fragments follow, never sent), each a different datagram.
        for i in 0..<5000 {
            let frag = Frames.ipv4(src: [10, 2, UInt8(i >> 8), UInt8(i & 0xff)], dst: [10, 0, 0, 2], proto: 6,
                                   [UInt8](repeating: 0x45, count: 64), id: UInt16(i & 0xffff), flagsOffset: 0x2000)
            b.add(Frames.ethernet(type: 0x0800, frag))
        }
        for f in Hostile.goodConnection() { b.add(f) }
        let events = try analyzeBytes(b.bytes, limits: limits)
        #expect(events.goodHellos == 1)
        let c = events.counters
        #expect(c["ip_fragments_ipv4"] == 5000)
        #expect(c["ip_fragment_datagrams_evicted"]! + c["ip_fragments_dropped"]! >= 5000 - 64)
        #expect(c["ip_datagrams_reassembled"] == 0)
    }
}

@Suite struct NotCaptures {
    func reader(_ bytes: [UInt8]) throws(CaptureError) -> CaptureReader {
        try CaptureReader(source: ByteSource(.bytes(bytes)))
    }

    @Test func emptyAndTextFiles() throws {
        #expect(throws: CaptureError.empty) { try reader([]) }
        #expect(throws: CaptureError.self) { try reader(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)) }
        #expect(throws: CaptureError.self) { try reader([0xd4, 0xc3]) }
        #expect(throws: CaptureError.self) { try reader([0xd4, 0xc3, 0xb2, 0xa1, 2, 0]) }  // pcap magic, header cut
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/bin/gzip") && CommandLine.binary != nil, "gzip or helloscope missing"))
    func gzippedCaptureNamesGzipAndHowToRead() throws {
        let plain = Paths.temporaryPath("adv-gz-\(UInt32.random(in: 0...UInt32.max)).pcap")
        Paths.writeFile(plain, Hostile.pcap(Hostile.goodConnection()))
        let gz = Process()
        gz.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gz.arguments = ["-f", plain]
        try gz.run()
        gz.waitUntilExit()
        let path = plain + ".gz"
        defer { unlink(path) }
        let bytes = try #require(Paths.readFile(path))
        #expect(throws: CaptureError.compressed(format: "gzip")) { try reader(bytes) }
        let r = try CommandLine().run(["analyze", path])
        #expect(r.status == 2)
        #expect(r.err.split(separator: "\n").count == 1)
        #expect(r.err.contains("gzip") && r.err.contains("gzip -dc"))
    }

    @Test func unknownLinkTypeIsSkippedAndCounted() throws {
        // Interface 0 has a link type nobody decodes; interface 1 is Ethernet.
        var b = PcapNGBuilder()
        b.interface(linkType: 147)
        b.interface(linkType: 1)
        for i in 0..<10 { b.enhancedPacket(interface: 0, timestamp: UInt64(i), [UInt8](repeating: UInt8(i), count: 60)) }
        for f in Hostile.goodConnection() { b.enhancedPacket(interface: 1, timestamp: 100, f) }
        b.enhancedPacket(interface: 7, timestamp: 200, [1, 2, 3])  // an interface that was never described
        let events = try analyzeBytes(b.bytes)
        #expect(events.goodHellos == 1)
        #expect(events.counters["decode_unsupported_link_type"] == 10)
        #expect(events.counters["capture_unknown_interface"] == 1)
        #expect(events.summaries.first?.linkTypes["linktype_147"] == 10)
    }

    @Test func wholePcapWithUnknownLinkType() throws {
        var b = PcapBuilder(linkType: 0xdead)
        for f in Hostile.goodConnection() { b.add(f) }
        let events = try analyzeBytes(b.bytes)
        #expect(events.clientHellos.isEmpty)
        #expect(events.counters["decode_unsupported_link_type"] == 3)
        #expect(events.summaries.first?.packets == 3)
    }
}

@Suite struct HostileStrings {
    /// ESC sequences (clear screen, set title, OSC 52 clipboard write), C0/C1 controls, DEL, line separators,
    /// a quote and backslash, and bytes that are not UTF-8.
    static let sni: [UInt8] = Array("evil\u{1b}[2J\u{1b}]0;owned\u{07}\u{1b}]52;c;aGk=\u{07}\r\n\t\"\\\u{7f}\u{85}\u{2028}".utf8)
        + [0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80] + Array(".test".utf8)

    static func capture() -> [UInt8] {
        let hello = Hostile.record(Hostile.clientHello(sni: sni))
        return Hostile.pcap(Hostile.connection(sport: 40400, payloads: [hello]) + Hostile.goodConnection())
    }

    @Test func jsonEscapesEverythingAndStaysUTF8() throws {
        let events = try analyzeBytes(Self.capture())
        #expect(events.goodHellos == 1)
        let hostile = try #require(events.clientHellos.first { $0.context.source.port == 40400 })
        for event in events.events {
            var w = JSONWriter()
            event.write(to: &w)
            #expect(!w.bytes.contains { $0 < 0x20 }, "raw control byte in JSON")
            #expect(String(validating: w.bytes, as: UTF8.self) != nil, "JSON is not UTF-8")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String: Any])
            if case .clientHello(let e) = event, e.context.source.port == 40400 {
                // The string round-trips through JSON exactly (invalid bytes became U+FFFD when read).
                #expect(object["sni"] as? String == hostile.sni)
                let text = String(decoding: w.bytes, as: UTF8.self)
                #expect(text.contains(#"\u001b[2J"#) && text.contains(#"\u2028"#) && text.contains(#"\""#))
            }
        }
    }

    @Test func terminalRenderingShowsNoControlCharacters() throws {
        let events = try analyzeBytes(Self.capture())
        let sni = try #require(events.clientHellos.first { $0.context.source.port == 40400 }?.sni)
        let text = printable(sni)
        #expect(text.hasPrefix("evil\\x1b[2J"))
        for scalar in text.unicodeScalars {
            #expect(!(scalar.value < 0x20 || scalar.value == 0x7f || (0x80..<0xa0).contains(scalar.value)
                      || scalar.value == 0x2028 || scalar.value == 0x2029), "U+\(String(scalar.value, radix: 16)) in the rendering")
        }
    }

    @Test(.enabled(if: CommandLine.binary != nil, "helloscope binary not built"))
    func commandLineHumanAndEvents() throws {
        let path = Paths.temporaryPath("hostile-\(UInt32.random(in: 0...UInt32.max)).pcap")
        Paths.writeFile(path, Self.capture())
        defer { unlink(path) }
        let human = try CommandLine().run(["analyze", path])
        #expect(human.status == 0)
        #expect(human.out.contains("evil") && human.out.contains(Hostile.goodSNI))
        #expect(!human.out.utf8.contains { ($0 < 0x20 && $0 != 0x0a) || $0 == 0x7f }, "raw control byte on the terminal")
        let events = try CommandLine().run(["analyze", path, "--events", "-"])
        #expect(events.status == 0)
        #expect(!events.out.utf8.contains { $0 < 0x20 && $0 != 0x0a }, "raw control byte in the event log")
        let lines = events.out.split(separator: "\n")
        #expect(lines.count == 3)
        var snis: [String] = []
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if let sni = object["sni"] as? String { snis.append(sni) }
        }
        #expect(snis.contains(Hostile.goodSNI))
        #expect(snis.contains { $0.hasPrefix("evil\u{1b}[2J") && $0.hasSuffix("\u{fffd}.test") })
    }
}
