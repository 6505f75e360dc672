import Testing
import Foundation
import CaptureInput
import Pipeline
import TestSupport

/// A capture with one TLS connection: handshake, the client's hello cut into segments, delivered in `order`.
func helloCapture(segmentSizes: [Int], order: [Int]? = nil, duplicate: Bool = false, recordFragment: Int? = nil) -> [UInt8] {
    var hs = HelloFixtures.handshake("python-default")
    let record = recordFragment.map { HelloFixtures.records(of: hs, maximumFragment: $0) } ?? HelloFixtures.record("python-default")
    hs = record
    var b = PcapBuilder()
    let isn: UInt32 = 0xffff_ff00  // wraps inside the hello
    b.add(Frames.tcp4(client: true, seq: isn, flags: 0x02))
    b.add(Frames.tcp4(client: false, seq: 5000, ack: isn &+ 1, flags: 0x12))
    var segs: [[UInt8]] = []
    var off = 0
    for (i, size) in segmentSizes.enumerated() {
        let n = i == segmentSizes.count - 1 ? hs.count - off : min(size, hs.count - off)
        segs.append(Frames.tcp4(client: true, seq: isn &+ 1 &+ UInt32(off), ack: 5001, Array(hs[off..<(off + n)])))
        off += n
    }
    for i in order ?? Array(segs.indices) {
        b.add(segs[i])
        if duplicate { b.add(segs[i]) }
    }
    return b.bytes
}

func analyzeBytes(_ bytes: [UInt8]) throws -> EventCollector {
    let path = Paths.temporaryPath("p-\(UInt64.random(in: 0...UInt64.max)).pcap")
    Paths.writeFile(path, bytes)
    defer { unlink(path) }
    return try analyze(path)
}

@Suite struct Pipeline {
    static let expectedJA4 = "t13d1812h2_85036bcba153_d41ae481755e"

    @Test(arguments: [[517], [300, 217], [100, 200, 217], [50, 150, 150, 167]])
    func helloSplitAcrossSegments(sizes: [Int]) throws {
        let events = try analyzeBytes(helloCapture(segmentSizes: sizes))
        #expect(events.clientHellos.count == 1)
        let e = try #require(events.clientHellos.first)
        #expect(e.ja4.ja4 == Self.expectedJA4)
        #expect(e.sni == "good.lab.test")
        #expect(e.context.frame == 2 + sizes.count)  // the last segment completes it
    }

    /// A ClientHello event's fields sit in a box its copies share: setting a field of one copy leaves the others as
    /// they were (copy on write), and the copy reads back what was set.
    @Test func clientHelloEventCopiesAreIndependent() throws {
        let events = try analyze(Paths.packageRoot + "/captures/lab/curl-certstatus-staple12.pcap")
        let original = try #require(events.clientHellos.first)
        let sni = original.sni, frame = original.context.frame, ja4 = original.ja4.ja4
        #expect(sni != nil)
        var copy = original
        copy.sni = "changed.example"
        copy.context.frame += 1000
        copy.ja4.ja4 = "t00i0000h0_000000000000_000000000000"
        copy.hello.cipherSuites = [0x1301]
        #expect(copy.sni == "changed.example" && copy.context.frame == frame + 1000)
        #expect(copy.ja4.ja4 == "t00i0000h0_000000000000_000000000000" && copy.hello.cipherSuites == [0x1301])
        #expect(original.sni == sni && original.context.frame == frame && original.ja4.ja4 == ja4)
        #expect(original.hello.cipherSuites != [0x1301])
        #expect(events.clientHellos.first?.sni == sni)
    }

    @Test func reorderedAndDuplicatedSegments() throws {
        let events = try analyzeBytes(helloCapture(segmentSizes: [100, 200, 100, 117], order: [3, 1, 0, 2], duplicate: true))
        #expect(events.clientHellos.map(\.ja4.ja4) == [Self.expectedJA4])
        // Delivered in order only when segment 2 (sent last) arrives: frame of its first copy.
        #expect(events.clientHellos[0].context.frame == 2 + 7)
    }

    @Test(arguments: [64, 200, 300])
    func helloSplitAcrossRecords(fragment: Int) throws {
        let events = try analyzeBytes(helloCapture(segmentSizes: [250, 400], recordFragment: fragment))
        #expect(events.clientHellos.map(\.ja4.ja4) == [Self.expectedJA4])
    }

    @Test func eventJSONIsWellFormed() throws {
        let events = try analyzeBytes(helloCapture(segmentSizes: [517]))
        for event in events.events {
            var w = JSONWriter()
            event.write(to: &w)
            let object = try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String: Any]
            #expect(object?["type"] as? String == event.typeName)
            #expect(object?["ts"] is String && object?["capture"] is String && object?["frame"] is Int)
            if event.typeName == "client_hello" {
                let sr = object?["status_request"] as? [String: Any]
                #expect(sr?["offered"] as? Bool == false)
                #expect(sr?["extension_count"] as? Int == 12)
                #expect(object?["ja4"] as? String == Self.expectedJA4)
                #expect(object?["ts"] as? String == "2023-11-14T22:13:20.000000Z")
            }
        }
    }

    @Test func stringsFromPacketsAreEscaped() throws {
        var w = JSONWriter()
        w.beginObject()
        w.field("sni", "evil\u{1b}[31m\"\\\n\u{2028}")
        w.endObject()
        #expect(String(decoding: w.bytes, as: UTF8.self) == #"{"sni":"evil\u001b[31m\"\\\n\u2028"}"#)
        #expect(printable("a\u{1b}[2Jb\u{7}") == "a\\x1b[2Jb\\x07")
    }

    @Test func rfc3339Dates() {
        #expect(rfc3339(seconds: 0, nanoseconds: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(rfc3339(seconds: 951_782_400, nanoseconds: 1_500) == "2000-02-29T00:00:00.000001Z")
        #expect(rfc3339(seconds: 4_102_444_799, nanoseconds: 999_999_999) == "2099-12-31T23:59:59.999999Z")
    }

    @Test func truncatedHelloAndLyingTLSLengthsAreCountedNotFatal() throws {
        var b = PcapBuilder()
        b.add(Frames.tcp4(client: true, seq: 1, flags: 0x02))
        // A handshake record announcing a 16 MB ClientHello, then one byte at a time.
        b.add(Frames.tcp4(client: true, seq: 2, [22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff]))
        for i in 0..<50 { b.add(Frames.tcp4(client: true, seq: 11 + UInt32(i), [0x41])) }
        // A second flow with a good hello after garbage flows.
        let hello = HelloFixtures.record("python-tls12")
        b.add(Frames.tcp4(client: true, sport: 40001, seq: 100, flags: 0x02))
        b.add(Frames.tcp4(client: true, sport: 40001, seq: 101, hello))
        let events = try analyzeBytes(b.bytes)
        #expect(events.clientHellos.count == 1)
        #expect(events.summaries[0].counters["tls_malformed_handshake_too_large"] == 1)
    }
}

@Suite struct CommandLine {
    static var binary: String? {
        let dir = Bundle.main.bundleURL.deletingLastPathComponent().path
        for candidate in [Bundle.main.bundleURL.path + "/helloscope", dir + "/helloscope"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return nil
    }

    func run(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        try Subprocess.run(try #require(Self.binary), args)
    }

    @Test(.enabled(if: CommandLine.binary != nil, "helloscope binary not built"))
    func notACaptureIsOneLineAndExitTwo() throws {
        let path = Paths.temporaryPath("text.pcap")
        Paths.writeFile(path, Array("this is not a capture\n".utf8))
        let r = try run(["analyze", path])
        #expect(r.status == 2)
        #expect(r.err.split(separator: "\n").count == 1)
        #expect(r.err.contains(path) && r.err.contains("not a packet capture"))
    }

    @Test(.enabled(if: CommandLine.binary != nil, "helloscope binary not built"))
    func eventsToStandardOutput() throws {
        let path = Paths.temporaryPath("cli.pcap")
        Paths.writeFile(path, helloCapture(segmentSizes: [200, 317]))
        let r = try run(["analyze", path, "--events", "-"])
        #expect(r.status == 0)
        let lines = r.out.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.contains(#""type":"client_hello""#) == true)
        #expect(lines.last?.contains(#""type":"capture_summary""#) == true)
        let human = try run(["analyze", path])
        #expect(human.out.contains(Pipeline.expectedJA4) && human.out.contains("good.lab.test"))
    }

    /// The report names each capture by the SHA-256 that `sha256sum` gives (hashed on another thread during the
    /// analysis); `--no-input-hash` leaves it null. Events gathered for a regular file are all written.
    @Test(.enabled(if: CommandLine.binary != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/sha256sum"),
                   "helloscope binary or sha256sum missing"))
    func reportHashesInputsAndEventsFileIsComplete() throws {
        let lab = Paths.packageRoot + "/captures/lab/"
        let captures = ["firefox-nostaple.pcap", "curl-certstatus-staple12.pcap"].map { lab + $0 }
            .filter { FileManager.default.fileExists(atPath: $0) }
        try #require(captures.count == 2)
        let report = Paths.temporaryPath("hash-report.json"), events = Paths.temporaryPath("hash-events.ndjson")
        let r = try run(["analyze"] + captures + ["--report", report, "--events", events, "--quiet"])
        #expect(r.status == 0)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
        let inputs = try #require(doc["inputs"] as? [[String: Any]])
        #expect(inputs.count == 2)
        for path in captures {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
            p.arguments = [path]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let expected = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64)
            p.waitUntilExit()
            let input = inputs.first { ($0["path"] as? String) == path }
            #expect(input?["sha256"] as? String == String(expected), "\(path)")
        }
        let lines = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n")
        #expect(lines.filter { $0.contains(#""type":"capture_summary""#) }.count == 2)
        #expect(lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })

        let unhashed = try run(["analyze", captures[0], "--report", report, "--quiet", "--no-input-hash"])
        #expect(unhashed.status == 0)
        let doc2 = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
        let input2 = try #require((doc2["inputs"] as? [[String: Any]])?.first)
        #expect(input2["sha256"] is NSNull)
        #expect((doc2["options"] as? [String: Any])?["input_hash"] as? String == "none")
    }
}
