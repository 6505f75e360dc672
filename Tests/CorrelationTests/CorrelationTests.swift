import Testing
import CaptureInput
import Correlation
import CTIndex
import PacketDecoding
import Pipeline
import TestSupport

let lab = Paths.packageRoot + "/captures/lab/"
/// The lab's leaves: serial → host (lab/pki.sh gives them fixed serials).
let labHosts = ["1001": "good.lab.test", "8f00000000000001": "revoked.lab.test", "1003": "muststaple.lab.test"]

func correlate(_ captures: [String], ct: [String] = [], window: Double = 5) throws -> (EventCollector, Correlator) {
    var index = CTIndex()
    for path in ct { _ = try index.load(path: path) }
    let sink = EventCollector()
    var options = Correlator.Options()
    options.windowSeconds = window
    let correlator = Correlator(index: index, options: options, downstream: sink)
    for name in captures {
        CaptureAnalyzer.analyze(reader: try CaptureReader(path: lab + name), name: name, sink: correlator)
    }
    return (sink, correlator)
}

extension EventCollector {
    var requests: [OCSPRequestEvent] { events.compactMap { if case .ocspRequest(let e) = $0 { return e } else { return nil } } }
    var responses: [OCSPResponseEvent] { events.compactMap { if case .ocspResponse(let e) = $0 { return e } else { return nil } } }
}

/// What the correlator keeps for linking depends on the last seconds of traffic, not on the length of the capture.
@Suite struct CorrelatorMemory {
    /// A correlator with a window of `window` seconds that was handed 20 000 copies of a lab ClientHello from 200
    /// clients, one every 100 ms (2 000 s of capture time), and the sink behind it; nil without the lab's hello.
    func afterManyHellos(window: Double) throws -> (Correlator, EventCollector)? {
        let (events, _) = try correlate(["firefox-nostaple.pcap"])
        guard case .clientHello(let hello)? = events.events.first(where: { if case .clientHello = $0 { return true } else { return false } }) else {
            Issue.record("no ClientHello in firefox-nostaple.pcap")
            return nil
        }
        var options = Correlator.Options()
        options.windowSeconds = window
        let sink = EventCollector()
        let correlator = Correlator(options: options, downstream: sink)
        for i in 0..<20_000 {
            var e = hello
            e.context.seconds = hello.context.seconds + Int64(i / 10)
            e.context.nanoseconds = UInt32(i % 10) * 100_000_000
            e.context.source.address = IPAddress(hi: 0, lo: 0x0a00_0000 + UInt64(i % 200), isIPv6: false)
            correlator.handle(.clientHello(e))
        }
        return (correlator, sink)
    }

    @Test func oldHellosAreForgottenAsCaptureTimeAdvances() throws {
        guard let (correlator, sink) = try afterManyHellos(window: 5) else { return }
        // Without forgetting: 200 clients × 32 hellos. The horizon is 2 × 5 s + 1 s, swept every 5 s: at most
        // 16 s of hellos, 160.
        #expect(correlator.rememberedHellos <= 160)
        #expect(correlator.rememberedHellos >= 100)
        #expect(sink.events.count == 20_000)
    }

    /// With a window of 0 the horizon is a second: hellos are still forgotten, but swept once a second of capture
    /// time, not on every hello (each sweep visits every client).
    @Test func aZeroWindowSweepsOncePerSecond() throws {
        guard let (correlator, sink) = try afterManyHellos(window: 0) else { return }
        // At most one sweep per second of capture time (2 000, plus one per 4 096 hellos), not one per hello.
        #expect(correlator.sweeps <= 2_005)
        #expect(correlator.sweeps >= 900)
        // The horizon is 1 s, swept every second or so: at most about 3 s of hellos.
        #expect(correlator.rememberedHellos <= 30)
        #expect(sink.events.count == 20_000)
    }
}

@Suite struct LabCorrelation {
    static let ocspCaptures = ["firefox-nostaple.pcap", "firefox-default-nostaple.pcap", "firefox-muststaple.pcap",
                               "gnutls-ocsp-nostaple.pcap", "ocsp-get.pcap", "ocsp-post-nonce.pcap", "ocsp-post-multi-sha256.pcap"]

    /// Every OCSP serial in the lab captures resolves to its host through the lab's crt.sh-style export; the decoy
    /// entry (same issuer, another serial) never matches.
    @Test(arguments: ocspCaptures)
    func everySerialResolvesThroughTheExport(capture: String) throws {
        let (events, _) = try correlate([capture], ct: [lab + "pki/ct-export.json"])
        #expect(!events.requests.isEmpty)
        for r in events.requests {
            for m in r.ctMatches {
                let host = try #require(labHosts[m.serial], "serial \(m.serial)")
                #expect(m.hostnames == [host])
                #expect(m.quality != "none" && (m.source.hasSuffix("ct-export.json") || m.source == "capture:" + capture))
            }
            #expect(Set(r.hostnames) == Set(r.request.certIDs.compactMap { labHosts[$0.serialNumber.hex] }))
            #expect(!r.ctMatches.contains { $0.serial == "8f00000000000002" })
        }
        for resp in events.responses {
            #expect(Set(resp.hostnames) == Set((resp.response.basic?.responses ?? []).compactMap { labHosts[$0.certID.serialNumber.hex] }))
        }
    }

    /// With the issuer certificates known (the lab's PEM files), CertIDs match on serial and both issuer hashes.
    @Test func issuerKeyQualityWithCertificates() throws {
        let (events, _) = try correlate(["ocsp-post-multi-sha256.pcap"], ct: [lab + "pki"])
        let r = try #require(events.requests.first)
        #expect(r.ctMatches.count == 3)
        #expect(r.ctMatches.allSatisfy { $0.quality == "serial+issuer-key" })
        #expect(r.hostnames == ["good.lab.test", "muststaple.lab.test", "revoked.lab.test"])
    }

    /// Firefox's live check is linked to the handshake it interrupted: same client, SNI among the matched names.
    @Test func firefoxCheckIsLinkedToItsHandshake() throws {
        let (events, correlator) = try correlate(["firefox-nostaple.pcap"], ct: [lab + "pki/ct-export.json"])
        let r = try #require(events.requests.first)
        let link = try #require(r.tlsFlow)
        #expect(link.sni == "good.lab.test")
        let hello = try #require(events.clientHellos.first { $0.context.frame == link.frame })
        #expect(hello.context.flowID == link.flow)
        #expect(link.offsetMilliseconds > 0 && link.offsetMilliseconds < 5000)
        #expect(correlator.counters.requestsLinkedToTLS == 1)
        // A window of zero finds nothing.
        let (narrow, _) = try correlate(["firefox-nostaple.pcap"], ct: [lab + "pki/ct-export.json"], window: 0)
        #expect(narrow.requests.first?.tlsFlow == nil)
    }

    /// Without any export, a certificate seen in clear in the same capture teaches the serial's host, and links
    /// the check to the flow that served that certificate.
    @Test func captureTeachesTheIndex() throws {
        let (events, correlator) = try correlate(["firefox-muststaple.pcap"])
        let r = try #require(events.requests.first)
        #expect(r.hostnames == ["muststaple.lab.test"])
        #expect(r.ctMatches.first?.source == "capture:firefox-muststaple.pcap")
        #expect(r.tlsFlow?.sni == "muststaple.lab.test")
        #expect(correlator.counters.certificatesLearned >= 1)
    }

    /// Nothing to match: hostnames stay empty, quality `none`, and events keep their order.
    @Test func unknownSerialAndOrder() throws {
        let (events, _) = try correlate(["ocsp-get.pcap"])
        let r = try #require(events.requests.first)
        #expect(r.hostnames.isEmpty)
        #expect(r.ctMatches.map(\.quality) == ["none"])
        let frames = events.events.compactMap { e -> Int? in
            switch e {
            case .ocspRequest(let x): return x.context.frame
            case .ocspResponse(let x): return x.context.frame
            case .httpRequest(let x): return x.http.context.frame
            default: return nil
            }
        }
        #expect(frames == frames.sorted())
        #expect(events.events.last.map { if case .captureSummary = $0 { return true } else { return false } } == true)
    }
}
