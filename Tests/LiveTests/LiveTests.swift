import Testing
import Foundation
import CaptureInput
import CaptureLive
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A packet with `bytes` as data, stamped `second`.
func withPacket(_ bytes: [UInt8], frame: Int = 1, second: Int64 = 1_700_000_000, _ body: (CapturedPacket) -> Void) {
    bytes.withUnsafeBytes { raw in
        body(CapturedPacket(frameNumber: frame, seconds: second, nanoseconds: 123_456_000, linkType: .ethernet,
                            originalLength: raw.count, data: raw))
    }
}

@Suite struct FlowPacketRecorderTests {
    final class Saved {
        var packets: [[UInt8]] = []
        var times: [(Int64, UInt32)] = []
    }

    func recorder(_ limits: FlowPacketRecorder<Int>.Limits = .init()) -> (FlowPacketRecorder<Int>, Saved) {
        let saved = Saved()
        let r = FlowPacketRecorder<Int>(limits: limits) { s, us, _, bytes in
            saved.packets.append(Array(bytes))
            saved.times.append((s, us))
        }
        return (r, saved)
    }

    @Test func ringIsSavedWhenTheFlowBecomesInterestingThenLaterPacketsDirectly() {
        let (r, saved) = recorder()
        for i in 0..<5 { withPacket([1, UInt8(i)]) { r.record(1, $0) } }
        withPacket([2, 0]) { r.record(2, $0) }
        #expect(saved.packets.isEmpty)
        r.flowIsInteresting(1)
        #expect(saved.packets == (0..<5).map { [1, UInt8($0)] })
        #expect(saved.times.first! == (1_700_000_000, 123_456))
        withPacket([1, 9]) { r.record(1, $0) }
        #expect(saved.packets.last == [1, 9])
        r.flowIsInteresting(1)  // idempotent
        #expect(saved.packets.count == 6)
        #expect(r.counters.flowsSaved == 1)
        #expect(r.bufferedFlowCount == 1)  // flow 2 still buffered
    }

    @Test func ringKeepsTheLastPacketsWithinItsBounds() {
        var limits = FlowPacketRecorder<Int>.Limits()
        limits.packetsPerFlow = 4
        limits.bytesPerFlow = 100
        let (r, saved) = recorder(limits)
        for i in 0..<10 { withPacket([UInt8(i)] + [UInt8](repeating: 0, count: 9)) { r.record(7, $0) } }
        #expect(r.bufferedByteCount == 40)
        r.flowIsInteresting(7)
        #expect(saved.packets.map { $0[0] } == [6, 7, 8, 9])
        #expect(r.counters.ringPacketsDropped == 6)
        // Bytes bound: 30-byte packets, 100 bytes per flow, so 3 kept.
        for i in 0..<5 { withPacket([UInt8(i)] + [UInt8](repeating: 0, count: 29)) { r.record(8, $0) } }
        #expect(r.bufferedByteCount == 90)
        // A packet larger than the per-flow bound is not buffered at all.
        withPacket([UInt8](repeating: 0, count: 101)) { r.record(9, $0) }
        #expect(r.bufferedFlowCount == 1)
    }

    @Test func oldestBufferedFlowsAreEvictedByCountAndBytes() {
        var limits = FlowPacketRecorder<Int>.Limits()
        limits.bufferedFlows = 3
        limits.bufferedBytesTotal = 1000
        let (r, saved) = recorder(limits)
        for flow in 0..<5 { withPacket([UInt8(flow)]) { r.record(flow, $0) } }
        #expect(r.bufferedFlowCount == 3)
        #expect(r.counters.bufferedFlowsEvicted == 2)
        r.flowIsInteresting(0)  // evicted: nothing to save, but later packets are saved
        #expect(saved.packets.isEmpty)
        withPacket([0, 1]) { r.record(0, $0) }
        #expect(saved.packets == [[0, 1]])
        r.flowIsInteresting(4)
        #expect(saved.packets.last == [4])
        // Byte bound over all flows.
        for flow in 10..<13 { withPacket([UInt8](repeating: 1, count: 400)) { r.record(flow, $0) } }
        #expect(r.bufferedByteCount <= 1000)
        #expect(r.bufferedFlowCount == 2)
    }

    @Test func savedFlowsAreBoundedAndCapped() {
        var limits = FlowPacketRecorder<Int>.Limits()
        limits.savedFlows = 2
        limits.bytesPerSavedFlow = 25
        let (r, saved) = recorder(limits)
        for flow in 0..<3 { r.flowIsInteresting(flow) }
        #expect(r.savedFlowCount == 2)
        #expect(r.counters.savedFlowsEvicted == 1)
        withPacket([UInt8](repeating: 0, count: 10)) { r.record(0, $0) }  // flow 0 forgotten: buffered again
        #expect(saved.packets.isEmpty)
        for _ in 0..<3 { withPacket([UInt8](repeating: 2, count: 10)) { r.record(2, $0) } }
        #expect(saved.packets.count == 2)
        #expect(r.counters.packetsOverFlowCap == 1)
    }

    @Test func manyFlowsStayBounded() {
        var limits = FlowPacketRecorder<Int>.Limits()
        limits.bufferedFlows = 100
        let (r, _) = recorder(limits)
        for flow in 0..<50_000 {
            withPacket([1, 2, 3]) { r.record(flow, $0) }
            if flow % 3 == 0 { r.flowIsInteresting(flow) }
        }
        #expect(r.bufferedFlowCount <= 100)
        #expect(r.counters.flowsSaved == 16_667)
    }
}

@Suite struct PcapDumpFileTests {
    @Test func writtenPacketsReadBack() throws {
        let path = NSTemporaryDirectory() + "hs-live-dump-\(getpid()).pcap"
        defer { unlink(path) }
        let file = try PcapDumpFile(path: path, linkType: 1, snapshotLength: 65535)
        let a: [UInt8] = Array(0..<60), b: [UInt8] = Array(repeating: 0xab, count: 42)
        a.withUnsafeBytes { file.write(seconds: 1_700_000_001, microseconds: 5, originalLength: 60, bytes: $0) }
        b.withUnsafeBytes { file.write(seconds: 1_700_000_002, microseconds: 999_999, originalLength: 1500, bytes: $0) }
        file.close()
        let reader = try CaptureReader(path: path)
        var got: [([UInt8], Int64, UInt32, Int, LinkType)] = []
        while let p = reader.next() { got.append((Array(p.data), p.seconds, p.nanoseconds, p.originalLength, p.linkType)) }
        #expect(got.count == 2)
        #expect(got[0].0 == a && got[0].1 == 1_700_000_001 && got[0].2 == 5000 && got[0].4 == .ethernet)
        #expect(got[1].0 == b && got[1].2 == 999_999_000 && got[1].3 == 1500)
    }
}

// MARK: - Needing privileges and the binary

enum Environment {
    static var isRoot: Bool { geteuid() == 0 }
    static func tool(_ name: String) -> String? {
        for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
            return "\(dir)/\(name)"
        }
        return nil
    }
    static var binary: String? {
        let dir = Bundle.main.bundleURL.deletingLastPathComponent().path
        for candidate in [Bundle.main.bundleURL.path + "/helloscope", dir + "/helloscope"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return nil
    }
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
    static var canRunIntegration: Bool { isRoot && tool("ip") != nil && binary != nil }
}

/// Runs a program; with `whenListening`, acts once helloscope says on standard error that it listens.
@discardableResult
func run(_ executable: String, _ args: [String], whenListening: ((Process) -> Void)? = nil) throws -> (status: Int32, out: String, err: String) {
    try Subprocess.run(executable, args, once: whenListening.map { ("listening on", $0) })
}

@Suite struct LiveCommandTests {
    @Test(.enabled(if: Environment.binary != nil, "helloscope binary not built"))
    func interfaceIsRequired() throws {
        let r = try run(Environment.binary!, ["live"])
        #expect(r.status == 64 || r.status == 2)
        #expect(r.err.contains("--interface is required"))
    }

    @Test(.enabled(if: Environment.isRoot, "needs root"))
    func noSuchInterfaceIsAUsageError() throws {
        do {
            _ = try LiveCapture(options: LiveCaptureOptions(interface: "hsnosuch0"))
            Issue.record("opened a missing interface")
        } catch {
            guard case .noSuchDevice(let name, _) = error else { Issue.record("\(error)"); return }
            #expect(name == "hsnosuch0")
            #expect(error.isUsageError)
            #expect(error.description.contains("no such interface: hsnosuch0"))
        }
    }

    @Test(.enabled(if: Environment.isRoot && Environment.binary != nil, "needs root and the binary"))
    func badFilterIsAUsageErrorNamingTheProblem() throws {
        let r = try run(Environment.binary!, ["live", "-i", "lo", "--filter", "tcp port https or", "--duration", "1"])
        #expect(r.status == 2)
        #expect(r.err.contains("invalid capture filter \"tcp port https or\""))
        #expect(r.err.contains("syntax error"))
    }

    @Test(.enabled(if: Environment.isRoot && Environment.binary != nil && Environment.tool("setpriv") != nil,
                   "needs root (to drop to nobody), setpriv and the binary"))
    func withoutPrivilegesTheMessageSaysWhatIsNeeded() throws {
        // The binary may sit under a directory nobody cannot enter: run a copy from a world-readable place.
        let copy = NSTemporaryDirectory() + "hs-live-nobody-\(getpid())"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: Environment.binary!, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        chmod(copy, 0o755)
        let r = try run(Environment.tool("setpriv")!, ["--reuid=nobody", "--regid=nogroup", "--clear-groups", copy, "live", "-i", "lo", "--duration", "1"])
        #expect(r.status == 2)
        #expect(r.err.contains("needs root or CAP_NET_RAW and CAP_NET_ADMIN"))
    }

    @Test(.enabled(if: Environment.isRoot && Environment.binary != nil, "needs root and the binary"))
    func durationOnLoopbackWritesSummaryAndFinalReport() throws {
        let dir = NSTemporaryDirectory() + "hs-live-duration-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try run(Environment.binary!, ["live", "-i", "lo", "--filter", "tcp port 9 and host 127.0.0.254", "--duration", "0.5",
                                              "--events", dir + "/events.ndjson", "--report", dir + "/report.json", "-q"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.err.contains("stopped (duration)"))
        let events = try String(contentsOfFile: dir + "/events.ndjson", encoding: .utf8)
        let summary = try #require(events.split(separator: "\n").last)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any])
        #expect(json["type"] as? String == "capture_summary")
        #expect(json["format"] as? String == "live")
        let counters = try #require(json["counters"] as? [String: Any])
        #expect(counters["live_received"] as? Int == 0)
        #expect(counters["live_dropped_kernel"] as? Int == 0)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/report.json"))) as? [String: Any])
        let live = try #require((report["options"] as? [String: Any])?["live"] as? [String: Any])
        #expect(live["final"] as? Bool == true)
        #expect(live["mode"] as? String == "live")
        #expect(live["interface"] as? String == "lo")
        #expect(live["received"] as? Int == 0)
        let inputs = try #require(report["inputs"] as? [[String: Any]])
        #expect(inputs.count == 1 && inputs.first?["format"] as? String == "live")
        #expect((report["counters"] as? [String: Any])?["live_dropped_kernel"] as? Int == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["events.ndjson", "report.json"])
    }

    @Test(.enabled(if: Environment.isRoot && Environment.binary != nil, "needs root and the binary"))
    func sigtermStopsCleanly() throws {
        let r = try run(Environment.binary!, ["live", "-i", "lo", "--filter", "tcp port 9 and host 127.0.0.254", "--events", "-"]) { p in
            kill(p.processIdentifier, SIGTERM)
        }
        #expect(r.status == 0, "\(r.err)")
        #expect(r.err.contains("stopped (SIGTERM)"))
        #expect(r.err.contains("dropped by kernel"))
        #expect(r.out.contains("\"type\":\"capture_summary\""))
    }

    /// The namespace integration test (scripts/live-integration.sh): real TLS and OCSP traffic, SIGINT, checks.
    @Test(.enabled(if: Environment.canRunIntegration, "skipped: needs root, the `ip` tool and the built binary"))
    func namespaceIntegration() throws {
        let script = Environment.packageRoot + "/scripts/live-integration.sh"
        let r = try run("/bin/bash", [script, Environment.binary!])
        if r.status == 77 { print("live-integration skipped: \(r.err)"); return }
        #expect(r.status == 0, "\(r.out)\n\(r.err)")
        #expect(r.out.contains("live-integration: PASS"))
    }
}
