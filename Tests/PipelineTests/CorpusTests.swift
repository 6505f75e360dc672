import Testing
import CaptureInput
import PacketDecoding
import Pipeline
import TestSupport

/// Analyses a capture file and returns every event.
func analyze(_ path: String, limits: AnalysisLimits = .init()) throws -> EventCollector {
    let sink = EventCollector()
    let reader = try CaptureReader(path: path)
    CaptureAnalyzer.analyze(reader: reader, name: String(path.split(separator: "/").last!), limits: limits, sink: sink)
    return sink
}

/// Frame numbers of packets that carry UDP (QUIC and DTLS rows belong to the QUIC/DTLS work).
func udpFrames(_ path: String) throws -> Set<Int> {
    let reader = try CaptureReader(path: path)
    var decoder = PacketDecoder()
    var out = DecodedPacket()
    var frames = Set<Int>()
    while let p = reader.next() {
        if decoder.decode(p, into: &out) == .decoded && out.transport == 17 { frames.insert(p.frameNumber) }
    }
    return frames
}

@Suite(.enabled(if: Paths.corpusAvailable, "reference corpus ../shared/corpus not present"))
struct ReferenceCorpus {
    static let rows = Expected.rows()
    static let captures: [String] = {
        var seen: [String] = []
        for r in rows where !seen.contains(r.path) { seen.append(r.path) }
        return seen
    }()

    /// Every JA3, JA3S and JA4-family value of EXPECTED.tsv (TLS over TCP, QUIC, DTLS), frame by frame, and no
    /// extra hello.
    @Test(arguments: captures)
    func everyExpectedValue(path: String) throws {
        let events = try analyze(path)
        let rows = Self.rows.filter { $0.path == path }
        var checked = 0
        for row in rows {
            let value: [String?]
            switch row.kind {
            case "ja3": value = events.clientHellos.filter { $0.context.frame == row.frame }.map { $0.ja3?.hash }
            case "ja3_string": value = events.clientHellos.filter { $0.context.frame == row.frame }.map { $0.ja3?.string }
            case "ja4": value = events.clientHellos.filter { $0.context.frame == row.frame }.map { $0.ja4.ja4 }
            case "ja4_r": value = events.clientHellos.filter { $0.context.frame == row.frame }.map { $0.ja4.ja4_r }
            case "ja4_o": value = events.clientHellos.filter { $0.context.frame == row.frame }.map { $0.ja4.ja4_o }
            case "ja4_ro": value = events.clientHellos.filter { $0.context.frame == row.frame }.map { $0.ja4.ja4_ro }
            case "ja3s": value = events.serverHellos.filter { $0.context.frame == row.frame }.map { $0.ja3s.hash }
            case "ja3s_string": value = events.serverHellos.filter { $0.context.frame == row.frame }.map { $0.ja3s.string }
            default: Issue.record("unknown kind \(row.kind)"); continue
            }
            #expect(value.contains(row.value), "\(row.capture) frame \(row.frame) \(row.kind)")
            checked += 1
        }
        let expectedHellos = Set(rows.filter { $0.kind == "ja4" }.map(\.frame))
        let expectedServerHellos = Set(rows.filter { $0.kind == "ja3s" }.map(\.frame))
        #expect(events.clientHellos.count == expectedHellos.count, "ClientHellos in \(path)")
        #expect(Set(events.clientHellos.map(\.context.frame)) == expectedHellos)
        #expect(events.serverHellos.count == expectedServerHellos.count, "ServerHellos in \(path)")
        #expect(checked == rows.count)
    }

    @Test func everyRowIsCovered() throws {
        // 954 rows: 692 for TLS over TCP, 262 for QUIC and DTLS (hellos in UDP frames).
        #expect(Self.rows.count == 954)
        var udpRows = 0
        for path in Self.captures {
            let udp = try udpFrames(path)
            udpRows += Self.rows.filter { $0.path == path && udp.contains($0.frame) }.count
        }
        #expect(udpRows == 262)
    }

    @Test func quicVersion2AndDTLSEvents() throws {
        let v2 = try analyze(Paths.corpus! + "/suricata-verify/quic-v2-ja3/input.pcap")
        let hello = try #require(v2.clientHellos.first)
        #expect(hello.protocolName == "quic" && hello.quicVersion == 0x6b33_43cf && hello.context.transport == "udp")
        #expect(hello.ja4.ja4 == "q13i0311h3_55b375c5d22e_c183556c78e2")
        let dtls = try analyze(Paths.corpus! + "/zeek/tls/dtls1_2.pcap")
        #expect(dtls.clientHellos.map(\.index) == [1, 2])
        #expect(dtls.clientHellos.allSatisfy { $0.protocolName == "dtls" && $0.ja4.ja4 == "dd2i800500_9cedc1f1428b_a1e935682795" })
    }

    @Test func starttlsIsFoundByContent() throws {
        let events = try analyze(Paths.corpus! + "/zeek/tls/smtp-starttls.pcap")
        #expect(events.clientHellos.count == 1)
        #expect(events.clientHellos[0].context.destination.port == 25)
    }

    @Test func sslv2HelloIsParsedAndMarked() throws {
        let events = try analyze(Paths.corpus! + "/zeek/tls/ssl-v2.pcap")
        let hello = try #require(events.clientHellos.first)
        #expect(hello.hello.isSSLv2Format)
        #expect(hello.ja3 == nil)
        #expect(hello.ja4.ja4 == "ts2i000000_000000000000_000000000000")
        #expect(events.summaries[0].counters.filter { $0.key.hasPrefix("tls_malformed") && $0.value > 0 }.isEmpty)
    }

    @Test func negativeCapturesHaveNoHellos() throws {
        for name in ["dhcp.pcapng", "http1.pcapng", "gre-sample.pcap"] {
            let events = try analyze(Paths.corpus! + "/foxio/pcap/" + name)
            #expect(events.clientHellos.isEmpty, "\(name)")
            #expect(events.summaries.count == 1)
        }
    }

    @Test func statusRequestPositionInFirefoxHello() throws {
        let events = try analyze(Paths.corpus! + "/foxio/pcap/tls12.pcap")
        let sr = try #require(events.clientHellos.first?.hello.statusRequest)
        #expect(sr.index == 7)
        #expect(events.clientHellos[0].hello.extensions.count == 15)
    }

    /// Every truncation point of a real capture: no crash, the truncation is reported, hellos before it survive.
    @Test func everyTruncationOfARealCapture() throws {
        let path = Paths.corpus! + "/zeek-ocsp/ocsp-stapling.pcap"
        let bytes = try #require(Paths.readFile(path))
        let full = try analyze(path)
        let tmp = Paths.temporaryPath("trunc.pcap")
        for n in stride(from: 24, through: bytes.count, by: 1) {
            Paths.writeFile(tmp, Array(bytes.prefix(n)))
            let events = try analyze(tmp)
            let s = try #require(events.summaries.first)
            #expect(events.clientHellos.count <= full.clientHellos.count)
            if n < bytes.count { #expect(s.truncated || s.counters["capture_trailing_bytes"]! > 0 || s.packets < full.summaries[0].packets) }
        }
    }
}
