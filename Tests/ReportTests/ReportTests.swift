import Testing
import Foundation
import CaptureInput
import Pipeline
import Report
import TestSupport

let labDirectory = Paths.packageRoot + "/captures/lab/"

/// Builds the report of some lab captures through the library.
func report(_ captures: [String], fingerprints: FingerprintDatabase = .bundledDatabase) throws -> (ReportBuilder, JSONValue) {
    let builder = ReportBuilder(options: ReportOptions(generatorVersion: "test", fingerprints: fingerprints))
    for name in captures {
        let reader = try CaptureReader(path: labDirectory + name)
        CaptureAnalyzer.analyze(reader: reader, name: name, sink: builder)
    }
    return (builder, builder.document())
}

func bytes(_ v: JSONValue) -> [UInt8] {
    var w = JSONWriter()
    v.write(to: &w)
    return w.bytes
}

extension JSONValue {
    subscript(_ key: String) -> JSONValue? { if case .object(let o) = self { return o[key] } else { return nil } }
    var list: [JSONValue] { if case .array(let a) = self { return a } else { return [] } }
    var text: String? { if case .string(let s) = self { return s } else { return nil } }
    var number: Int? { if case .int(let i) = self { return i } else { return nil } }
}

@Suite struct Classification {
    func classification(_ capture: String) throws -> String? {
        let (_, doc) = try report([capture])
        return doc["clients"]?.list.first?["classification"]?.text
    }

    /// Each class of docs/report.md from a real client in the lab.
    @Test(arguments: [
        ("firefox-nostaple.pcap", "live-ocsp"),          // Firefox asked the responder itself
        ("gnutls-ocsp-nostaple.pcap", "live-ocsp"),
        ("crl-download.pcap", "crl-fetch"),
        ("openssl-status-staple12.pcap", "staple-only"), // asked for a staple and got one
        ("chromium-nostaple.pcap", "browser-like"),      // asks for staples, never queries responders
        ("curl-nostatus.pcap", "no-revocation-signal"),
        ("python-ssl.pcap", "no-revocation-signal"),
    ])
    func classes(capture: String, expected: String) throws {
        #expect(try classification(capture) == expected)
    }
}

@Suite struct Findings {
    func findings(_ captures: [String]) throws -> [Finding] { try report(captures).0.allFindings }

    @Test func revokedCertificateAcceptedIsHigh() throws {
        let f = try findings(["openssl-status-revoked.pcap"])
        let hit = try #require(f.first { $0.kind == "revoked-certificate-accepted" })
        #expect(hit.severity == .high)
        #expect(hit.evidence.first?.capture == "openssl-status-revoked.pcap")
        #expect(hit.summary.contains("8f00000000000001") && hit.summary.contains("revoked.lab.test"))
    }

    @Test func mustStapleWithoutStaple() throws {
        let f = try findings(["gnutls-muststaple.pcap"])
        #expect(f.contains { $0.kind == "must-staple-without-staple" && $0.severity == .medium })
        #expect(f.contains { $0.kind == "client-rejected-certificate" && $0.summary.contains("bad_certificate") })
    }

    /// A live OCSP check names the hostname when a certificate with that serial was seen in clear elsewhere.
    @Test func liveOCSPRevealsHostname() throws {
        let f = try findings(["ocsp-post-nonce.pcap", "openssl-status-staple12.pcap"])
        let leak = try #require(f.first { $0.kind == "live-ocsp-privacy-leak" })
        #expect(leak.summary.contains("ocsp.lab.test") && leak.summary.contains("good.lab.test"))
        let alone = try findings(["ocsp-post-nonce.pcap"])
        #expect(alone.first { $0.kind == "live-ocsp-privacy-leak" }?.summary.contains("hostname unknown") == true)
    }

    @Test func cleanCaptureHasNoFindings() throws {
        #expect(try findings(["curl-nostatus.pcap"]).isEmpty)
    }

    /// A plain-HTTP User-Agent claiming Chrome from a client whose TLS fingerprint is known to be Python's.
    @Test func userAgentMismatch() throws {
        let path = Paths.temporaryPath("ua.pcap")
        var b = PcapBuilder()
        let request = Array("GET / HTTP/1.1\r\nHost: example.test\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36\r\n\r\n".utf8)
        b.add(Frames.tcp4(client: true, sport: 40001, dport: 80, seq: 1, flags: 0x02))
        b.add(Frames.tcp4(client: true, sport: 40001, dport: 80, seq: 2, request))
        b.add(Frames.tcp4(client: true, sport: 40002, seq: 1, flags: 0x02))
        b.add(Frames.tcp4(client: true, sport: 40002, seq: 2, HelloFixtures.record("python-default")))
        Paths.writeFile(path, b.bytes)
        var db = FingerprintDatabase()
        let labels = Paths.temporaryPath("labels.csv")
        try "ja4,application,kind\nt13d1812h2_85036bcba153_d41ae481755e,Python ssl,library\n".write(toFile: labels, atomically: true, encoding: .utf8)
        #expect(try db.load(path: labels) == 1)
        let builder = ReportBuilder(options: ReportOptions(generatorVersion: "test", fingerprints: db))
        CaptureAnalyzer.analyze(reader: try CaptureReader(path: path), name: "ua.pcap", sink: builder)
        let hit = try #require(builder.allFindings.first { $0.kind == "user-agent-mismatch" })
        #expect(hit.summary.contains("chrome") && hit.summary.contains("Python ssl"))
        // Without a label the claim cannot be checked: no finding.
        let unlabelled = ReportBuilder(options: ReportOptions(generatorVersion: "test", fingerprints: FingerprintDatabase()))
        CaptureAnalyzer.analyze(reader: try CaptureReader(path: path), name: "ua.pcap", sink: unlabelled)
        #expect(!unlabelled.allFindings.contains { $0.kind == "user-agent-mismatch" })
    }
}

@Suite struct ReportDocument {
    static var labCaptures: [String] {
        Paths.files(under: labDirectory, suffixes: [".pcap"]).map { String($0.split(separator: "/").last!) }
    }

    @Test func sameInputSameBytes() throws {
        let a = try report(Self.labCaptures).1
        let b = try report(Self.labCaptures).1
        #expect(bytes(a) == bytes(b))
        #expect(!bytes(a).isEmpty)
    }

    /// The summary lists a fingerprint's server names most frequent first and equal counts by name, whatever the
    /// order of the dictionary (which changes from process to process).
    @Test func summaryListsEqualServerNameCountsByName() {
        let snis: [String: JSONValue] = ["d.test": .int(1), "c.test": .int(1), "b.test": .int(2), "a.test": .int(1)]
        let fingerprint: JSONValue = .object(["ja4": .string("t13d0000h2_000000000000_000000000000"), "count": .int(5),
                                              "snis": .object(snis)])
        let doc: JSONValue = .object(["clients": .array([.object(["address": .string("192.0.2.1"),
                                                                  "fingerprints": .array([fingerprint])])])])
        let text = HumanReport.render(doc, color: false)
        #expect(text.contains("×5  b.test, a.test, c.test\n"), "\(text)")
    }

    @Test func labelsFromTheBundledLabData() throws {
        let (_, doc) = try report(["firefox-nostaple.pcap"])
        let label = doc["clients"]?.list.first?["fingerprints"]?.list.first?["label"]
        #expect(label?["application"]?.text == "Firefox ESR")
        #expect(label?["source"]?.text?.contains("firefox") == true)
    }

    @Test func responderAggregates() throws {
        let (_, doc) = try report(["ocsp-post-multi-sha256.pcap", "ocsp-get.pcap", "ocsp-post-nonce.pcap"])
        let responders = doc["responders"]?.list ?? []
        #expect(responders.count == 1)
        let r = try #require(responders.first)
        #expect(r["host"]?.text == "ocsp.lab.test")
        #expect(r["requests"]?.number == 3)
        #expect(r["statuses"]?["revoked"]?.number == 2)
        #expect(r["serials"]?.list.compactMap(\.text) == ["1001", "1003", "8f00000000000001"])
    }

    @Test(.enabled(if: SchemaValidator.available, "python3 jsonschema missing (make test installs it)"))
    func reportValidatesAgainstSchema() throws {
        var text = ""
        for set in [Self.labCaptures, ["curl-nostatus.pcap"], []] {
            text += String(decoding: bytes(try report(set).1), as: UTF8.self) + "\n"
        }
        let r = try SchemaValidator.validate(schema: "helloscope-report.schema.json", text: text, ndjson: true)
        #expect(r.valid, "\(r.output)")
    }
}

/// reports/examples/ is generated from captures/ by `make examples`; this keeps it in sync with the code.
@Suite struct ExamplesInSync {
    static var binary: String? {
        let dir = Bundle.main.bundleURL.deletingLastPathComponent().path
        return [Bundle.main.bundleURL.path + "/helloscope", dir + "/helloscope"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    func run(_ args: [String]) throws -> (Int32, Data) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(Self.binary))
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: Paths.packageRoot)
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, data)
    }

    @Test(.enabled(if: ExamplesInSync.binary != nil, "helloscope binary not built"))
    func labReportMatchesExample() throws {
        let captures = ReportDocument.labCaptures.map { "captures/lab/" + $0 }
        let (status, data) = try run(["analyze"] + captures + ["--ct", "captures/lab/pki", "--report", "-", "--fail-on", "high"])
        #expect(status == 1, "the lab has a high finding (a revoked staple accepted), so --fail-on high exits 1")
        let committed = try #require(FileManager.default.contents(atPath: Paths.packageRoot + "/reports/examples/lab-report.json"))
        #expect(data == committed, "reports/examples/lab-report.json is stale: run `make examples`")
    }

    /// `--report FILE` writes the same bytes as `--report -`, through a temporary file renamed over FILE (nothing
    /// else is left in the directory); a report that cannot be written is exit status 2.
    @Test(.enabled(if: ExamplesInSync.binary != nil, "helloscope binary not built"))
    func reportFileIsWrittenAtomically() throws {
        let dir = Paths.temporaryPath("report-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/lab-report.json"
        try Data("old report".utf8).write(to: URL(fileURLWithPath: path))
        let captures = ReportDocument.labCaptures.map { "captures/lab/" + $0 }
        let (status, _) = try run(["analyze"] + captures + ["--ct", "captures/lab/pki", "--report", path, "--fail-on", "high", "--quiet"])
        #expect(status == 1)
        let committed = try #require(FileManager.default.contents(atPath: Paths.packageRoot + "/reports/examples/lab-report.json"))
        #expect(FileManager.default.contents(atPath: path) == committed)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["lab-report.json"])
        #expect(try run(["analyze", "captures/lab/curl-nostatus.pcap", "--quiet", "--report", dir + "/missing/report.json"]).0 == 2)
        #expect(try run(["analyze", "captures/lab/curl-nostatus.pcap", "--quiet", "--report", dir]).0 == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["lab-report.json"])
    }

    @Test(.enabled(if: ExamplesInSync.binary != nil, "helloscope binary not built"))
    func eventsMatchExample() throws {
        let (status, data) = try run(["analyze", "captures/lab/firefox-nostaple.pcap", "captures/lab/openssl-status-staple12.pcap",
                                      "--ct", "captures/lab/pki/ct-export.json", "--events", "-"])
        #expect(status == 0)
        let committed = try #require(FileManager.default.contents(atPath: Paths.packageRoot + "/reports/examples/firefox-events.ndjson"))
        #expect(data == committed, "reports/examples/firefox-events.ndjson is stale: run `make examples`")
    }

    @Test(.enabled(if: ExamplesInSync.binary != nil, "helloscope binary not built"))
    func failOnThresholds() throws {
        #expect(try run(["analyze", "captures/lab/curl-nostatus.pcap", "--quiet", "--fail-on", "info"]).0 == 0)
        #expect(try run(["analyze", "captures/lab/gnutls-muststaple.pcap", "--quiet", "--fail-on", "high"]).0 == 0)
        #expect(try run(["analyze", "captures/lab/gnutls-muststaple.pcap", "--quiet", "--fail-on", "medium"]).0 == 1)
        #expect(try run(["analyze", "captures/lab/curl-nostatus.pcap", "--quiet", "--fail-on", "severe"]).0 == 2)
    }
}

@Suite struct LabelFiles {
    func load(_ text: String, name: String) throws -> (Int, FingerprintDatabase) {
        let path = Paths.temporaryPath(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var db = FingerprintDatabase()
        let n = try db.load(path: path)
        return (n, db)
    }

    @Test func jsonArrayOfObjects() throws {
        // Members are matched without regard to case and trimmed of blanks; numbers and booleans become text; an
        // element that is not an object, or names no fingerprint, adds nothing.
        let (n, db) = try load("""
            [{"JA4": " t13d1812h2_85036bcba153_d41ae481755e ", "application": "Python ssl", "version": 3.12, "kind": "library"},
             "not an object", 7, null,
             {"ja3": "773906b0efdefa24a7f2b8eb6985bf37", "app": "curl", "version": 8, "notes": true},
             {"application": "no fingerprint"}]
            """, name: "labels-array.json")
        #expect(n == 2)
        let python = try #require(db.label(ja4: "t13d1812h2_85036bcba153_d41ae481755e", ja3: nil))
        #expect(python.application == "Python ssl" && python.version == "3.12" && python.kind == "library")
        #expect(python.source.hasSuffix("labels-array.json") && !python.source.contains("/"))
        let curl = try #require(db.label(ja4: nil, ja3: "773906b0efdefa24a7f2b8eb6985bf37"))
        #expect(curl.application == "curl" && curl.version == "8" && curl.notes == "1")
    }

    @Test func jsonObjectWithFingerprints() throws {
        let (n, db) = try load(#"{"fingerprints": [{"ja4_fingerprint": "t13d1516h2_8daaf6152771_02713d6af862", "name": "Chromium"}]}"#,
                               name: "labels-object.json")
        #expect(n == 1)
        #expect(db.label(ja4: "t13d1516h2_8daaf6152771_02713d6af862", ja3: nil)?.kind == "browser")
    }

    @Test func jsonThatIsNotALabelList() throws {
        #expect(throws: FingerprintDatabase.LoadError.self) { try load(#"{"labels": []}"#, name: "labels-wrong.json") }
        #expect(throws: FingerprintDatabase.LoadError.self) { try load("[{\"ja4\": ", name: "labels-cut.json") }
    }

    @Test func fixedPointRoundsAsPrintf() {
        #expect(fixedPoint(12.36, decimals: 1) == "12.4")
        #expect(fixedPoint(2.25, decimals: 1) == "2.2")      // 2.25 is exact: to even
        #expect(fixedPoint(0.35, decimals: 1) == "0.3")      // 0.35 is 0.34999…
        #expect(fixedPoint(1536.0 / 1024, decimals: 2) == "1.50")
        #expect(fixedPoint(99.5, decimals: 0) == "100")
        #expect(fixedPoint(-0.04, decimals: 1) == "-0.0")
    }
}
