import Testing
import Foundation
import CaptureInput
import Pipeline
import TestSupport

/// Writes every event as an NDJSON line, as `--events` does, and lets a test add lines of its own.
final class NDJSONRecorder: EventSink {
    private(set) var bytes: [UInt8] = []
    private var writer = JSONWriter()

    func handle(_ event: Event) {
        writer.reset()
        event.write(to: &writer)
        bytes += writer.bytes
        bytes.append(0x0a)
    }

    func note(_ line: String) {
        bytes += Array(line.utf8)
        bytes.append(0x0a)
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Fails when two threads are inside `enter`/`leave` at once.
final class OverlapDetector: @unchecked Sendable {
    private let lock = NSLock()
    private var busy = false
    private(set) var overlapped = false

    func enter() {
        lock.lock()
        if busy { overlapped = true }
        busy = true
        lock.unlock()
    }

    func leave() {
        lock.lock()
        busy = false
        lock.unlock()
    }
}

/// Nil when `a` and `b` are equal, else where they first differ (a failed expectation then stays readable).
func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String? {
    if a == b { return nil }
    let at = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
    func around(_ x: [UInt8]) -> String { String(decoding: x[max(0, at - 80)..<min(x.count, at + 80)], as: UTF8.self) }
    return "\(a.count) and \(b.count) bytes, first difference at byte \(at): «\(around(a))» vs «\(around(b))»"
}

@Suite struct OrderedJobsTests {
    static let labCaptures = Paths.files(under: Paths.packageRoot + "/captures/lab", suffixes: [".pcap"])

    /// What `analyze` does for each capture, one after the other, with the per-capture steps written as lines.
    static func oneAtATime(_ paths: [String]) -> [UInt8] {
        let recorder = NDJSONRecorder()
        for path in paths {
            let name = (path as NSString).lastPathComponent
            do {
                let reader = try CaptureReader(path: path)
                recorder.note("opened \(name)")
                CaptureAnalyzer.analyze(reader: reader, name: name, sink: recorder)
                recorder.note("analysed \(name)")
            } catch {
                recorder.note("\(path): \(error)")
            }
        }
        return recorder.bytes
    }

    /// The same through `OrderedJobs`, the per-capture steps as ordered actions.
    static func inJobs(_ paths: [String], parallelism: Int, bufferLimit: Int, slowFirst: Bool = false) -> [UInt8] {
        let recorder = NDJSONRecorder()
        OrderedJobs.run(count: paths.count, parallelism: parallelism, bufferLimit: bufferLimit, sink: recorder) { i, output in
            // A slow first capture makes the later ones fill their buffers and wait for their turn.
            if slowFirst && i == 0 { usleep(100_000) }
            let path = paths[i]
            let name = (path as NSString).lastPathComponent
            do {
                let reader = try CaptureReader(path: path)
                output.ordered { recorder.note("opened \(name)") }
                CaptureAnalyzer.analyze(reader: reader, name: name, sink: output)
                output.ordered { recorder.note("analysed \(name)") }
            } catch {
                output.ordered { recorder.note("\(path): \(error)") }
            }
        }
        return recorder.bytes
    }

    @Test(arguments: [(1, 65_536), (2, 65_536), (4, 65_536), (2, 1), (3, 2), (8, 5)])
    func labCapturesGiveTheSameBytesAsOneAtATime(parallelism: Int, bufferLimit: Int) throws {
        let paths = Self.labCaptures
        try #require(paths.count >= 10, "the lab captures are missing")
        let expected = Self.oneAtATime(paths)
        #expect(String(decoding: expected, as: UTF8.self).contains(#""type":"client_hello""#))
        let got = Self.inJobs(paths, parallelism: parallelism, bufferLimit: bufferLimit)
        #expect(firstDifference(got, expected) == nil)
    }

    /// A buffer of one item with a slow first capture: every later capture waits for its turn.
    @Test(arguments: [2, 4])
    func tinyBufferWaitsAndKeepsTheOrder(parallelism: Int) throws {
        let paths = Array(Self.labCaptures.prefix(12))
        try #require(paths.count == 12, "the lab captures are missing")
        let expected = Self.oneAtATime(paths)
        #expect(firstDifference(Self.inJobs(paths, parallelism: parallelism, bufferLimit: 1, slowFirst: true), expected) == nil)
    }

    @Test(arguments: [(2, 65_536), (3, 1)])
    func unreadableCapturesAmongReadableOnes(parallelism: Int, bufferLimit: Int) throws {
        let lab = Self.labCaptures
        try #require(lab.count >= 8, "the lab captures are missing")
        let notACapture = Paths.temporaryPath("jobs-not-a-capture-\(parallelism).pcap")
        Paths.writeFile(notACapture, Array("this is not a capture\n".utf8))
        defer { unlink(notACapture) }
        let missing = Paths.temporaryPath("jobs-missing.pcap")
        let paths = [notACapture] + lab[0..<4] + [missing] + lab[4..<8] + [notACapture]
        let expected = Self.oneAtATime(paths)
        let text = String(decoding: expected, as: UTF8.self)
        #expect(text.hasPrefix(notACapture + ": not a packet capture"))
        #expect(text.contains(missing + ": cannot open"))
        #expect(firstDifference(Self.inJobs(paths, parallelism: parallelism, bufferLimit: bufferLimit), expected) == nil)
    }

    /// Jobs that finish out of order: everything arrives in job order, through one thread at a time, and no more
    /// than `parallelism` jobs are under way at once.
    @Test(arguments: [(2, 1), (3, 4), (5, 100)])
    func laterJobsWaitForTheirTurn(parallelism: Int, bufferLimit: Int) {
        let jobs = 12, itemsPerJob = 20
        let lock = NSCondition()
        var underWay = 0, mostUnderWay = 0
        let detector = OverlapDetector()
        var delivered: [String] = []
        OrderedJobs.run(count: jobs, parallelism: parallelism, bufferLimit: bufferLimit, sink: EventCollector()) { i, output in
            lock.lock()
            underWay += 1
            mostUnderWay = max(mostUnderWay, underWay)
            lock.broadcast()
            // The first job waits (up to 10 s) for a second one to be under way beside it.
            let deadline = Date(timeIntervalSinceNow: 10)
            while i == 0 && mostUnderWay < 2 && lock.wait(until: deadline) {}
            lock.unlock()
            // Earlier jobs take longer, so later ones finish first and must wait.
            usleep(UInt32((jobs - i) * 2_000))
            for k in 0..<itemsPerJob {
                output.ordered {
                    detector.enter()
                    delivered.append("\(i).\(k)")
                    detector.leave()
                }
            }
            output.ordered {
                lock.lock()
                underWay -= 1
                lock.unlock()
            }
        }
        #expect(delivered == (0..<jobs).flatMap { i in (0..<itemsPerJob).map { "\(i).\($0)" } })
        #expect(!detector.overlapped)
        #expect(mostUnderWay <= parallelism)
        #expect(mostUnderWay >= 2, "jobs ran one at a time")
    }
}

/// `helloscope analyze --jobs`: the events, the report, the summary, the messages and the exit status are those of
/// `--jobs 1`, byte for byte.
@Suite struct JobsCommandLine {
    static let lab = Paths.files(under: Paths.packageRoot + "/captures/lab", suffixes: [".pcap"])

    struct Outputs {
        var status: Int32
        var stdout: String
        var stderr: String
        var events: [UInt8]
        var report: [UInt8]

        /// Expects `self` to be `other` byte for byte.
        func expectSame(as other: Outputs, _ options: [String], sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(status == other.status, "\(options)", sourceLocation: sourceLocation)
            #expect(stdout == other.stdout, "\(options)", sourceLocation: sourceLocation)
            #expect(stderr == other.stderr, "\(options)", sourceLocation: sourceLocation)
            #expect(firstDifference(events, other.events) == nil, "events, \(options)", sourceLocation: sourceLocation)
            #expect(firstDifference(report, other.report) == nil, "report, \(options)", sourceLocation: sourceLocation)
        }
    }

    /// Runs `analyze` writing events and report to files; returns everything it produced.
    static func analyze(_ captures: [String], _ options: [String]) throws -> Outputs {
        let tag = UInt64.random(in: 0...UInt64.max)
        let events = Paths.temporaryPath("jobs-\(tag).ndjson"), report = Paths.temporaryPath("jobs-\(tag).json")
        defer {
            unlink(events)
            unlink(report)
        }
        let r = try CommandLine().run(["analyze"] + captures + ["--ct", Paths.packageRoot + "/captures/lab/pki", "--quiet",
                                                                 "--events", events, "--report", report] + options)
        return Outputs(status: r.status, stdout: r.out, stderr: r.err, events: Paths.readFile(events) ?? [],
                       report: Paths.readFile(report) ?? [])
    }

    @Test(.enabled(if: CommandLine.binary != nil, "helloscope binary not built"),
          arguments: [["--jobs", "2"], ["--jobs", "4"], ["--jobs", "auto"], ["--jobs", "3", "--job-buffer", "1"]])
    func labCapturesSameEventsAndReport(jobs: [String]) throws {
        try #require(Self.lab.count >= 10, "the lab captures are missing")
        let one = try Self.analyze(Self.lab, ["--jobs", "1"])
        #expect(one.status == 0)
        #expect(one.events.count > 10_000 && one.report.count > 10_000)
        try Self.analyze(Self.lab, jobs).expectSame(as: one, jobs)
    }

    /// The printed summary (no --quiet) is the same too.
    @Test(.enabled(if: CommandLine.binary != nil, "helloscope binary not built"))
    func summarySame() throws {
        let args = ["analyze"] + Self.lab + ["--color", "never"]
        let one = try CommandLine().run(args)
        let two = try CommandLine().run(args + ["--jobs", "2", "--job-buffer", "1"])
        #expect(one.status == 0 && one.out.contains("Clients"))
        #expect(two.status == one.status && two.out == one.out && two.err == one.err)
    }

    @Test(.enabled(if: CommandLine.binary != nil, "helloscope binary not built"))
    func unreadableCaptureAmongReadableOnes() throws {
        try #require(Self.lab.count >= 8, "the lab captures are missing")
        let notACapture = Paths.temporaryPath("jobs-cli-not-a-capture.pcap")
        Paths.writeFile(notACapture, Array("this is not a capture\n".utf8))
        defer { unlink(notACapture) }
        let missing = Paths.temporaryPath("jobs-cli-missing.pcap")
        let captures = Array(Self.lab[0..<3]) + [notACapture] + Self.lab[3..<6] + [missing] + Self.lab[6..<8]
        let one = try Self.analyze(captures, ["--jobs", "1"])
        #expect(one.status == 2)
        let lines = one.stderr.split(separator: "\n").filter { !$0.contains("CT entries") }
        #expect(lines.count == 2)
        #expect(lines.first?.contains(notACapture) == true && lines.last?.contains(missing) == true)
        #expect(one.events.count > 1000)
        for jobs in [["--jobs", "2"], ["--jobs", "4", "--job-buffer", "1"]] {
            try Self.analyze(captures, jobs).expectSame(as: one, jobs)
        }
    }

    /// Standard input named twice is read by the first `-` only, with any number of jobs (the second finds it
    /// empty), even when the two would otherwise read the same pipe at the same time.
    @Test(.enabled(if: CommandLine.binary != nil, "helloscope binary not built"))
    func standardInputTwice() throws {
        try #require(Self.lab.count >= 2, "the lab captures are missing")
        // 3 000 connections with a ClientHello each, about 2 MB: far more than a pipe holds.
        var b = PcapBuilder()
        let hello = HelloFixtures.record("python-tls12")
        for i in 0..<3000 {
            let port = UInt16(20000 + i)
            b.add(Frames.tcp4(client: true, sport: port, seq: 100, flags: 0x02))
            b.add(Frames.tcp4(client: true, sport: port, seq: 101, hello))
        }
        let path = Paths.temporaryPath("jobs-stdin.pcap")
        Paths.writeFile(path, b.bytes)
        defer { unlink(path) }
        /// `cat CAPTURE | helloscope analyze - LAB - --events - --jobs N` (cat, not this process, writes the pipe).
        func run(_ jobs: String) throws -> (status: Int32, out: String, err: String) {
            try Subprocess.run("/bin/sh", ["-c", #"cat "$0" | "$1" analyze - "$2" - --events - --jobs "$3""#, path,
                                           try #require(CommandLine.binary), Self.lab[1], jobs])
        }
        let one = try run("1")
        #expect(one.status == 2 && one.err == "helloscope: -: empty file, not a packet capture\n")
        #expect(one.out.components(separatedBy: #""type":"client_hello","ts":"#).count - 1 > 3000)
        let three = try run("3")
        #expect(three.status == one.status && three.err == one.err)
        #expect(three.out == one.out)
    }

    @Test(.enabled(if: CommandLine.binary != nil, "helloscope binary not built"),
          arguments: [["--jobs", "-1"], ["--jobs", "two"], ["--jobs", "100000"], ["--job-buffer", "0"]])
    func badJobOptionsAreUsageErrors(options: [String]) throws {
        let r = try CommandLine().run(["analyze", Self.lab.first ?? "x.pcap"] + options)
        #expect(r.status == 2)
        #expect(r.err.contains("--job"))
    }
}
