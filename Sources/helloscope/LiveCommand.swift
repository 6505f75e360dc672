import ArgumentParser
import CaptureInput
import CaptureLive
import PacketDecoding
import Pipeline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `helloscope live`: the analysis pipeline on packets from a network interface (libpcap), events as they happen.
struct Live: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Monitor a network interface live (libpcap): events as they happen, a report rewritten periodically.",
        discussion: """
            Needs root or CAP_NET_RAW and CAP_NET_ADMIN. SIGINT or SIGTERM stop the capture cleanly: open flows are \
            finalised, the last events, the capture_summary and the final report are written and capture statistics \
            are printed on standard error. See docs/live.md.
            Exit status: 0 stopped by a signal or --duration; 1 the capture failed while running (the interface \
            went down or disappeared; events, summary and report are still written); \
            2 usage error (bad option or filter, no such interface, missing privileges, output not writable).
            """
    )

    @Option(name: [.short, .long], help: "Interface to capture on (see --list-interfaces).")
    var interface: String?

    @Option(name: [.short, .long], help: "BPF capture filter (tcpdump syntax), e.g. 'tcp port 443 or udp port 443'.")
    var filter: String?

    @Option(name: .long, help: "Write events as newline-delimited JSON to PATH ('-' for standard output), one flushed line per event.")
    var events: String?

    @Option(name: .long, help: "Write a JSON report to PATH, rewritten atomically every --report-interval seconds and at the end.")
    var report: String?

    @Option(name: .long, help: "Seconds between report rewrites.")
    var reportInterval: Double = 60

    @Option(name: .long, help: "Stop after this many seconds (default: until SIGINT or SIGTERM).")
    var duration: Double?

    @Option(name: .long, help: "Bytes captured per packet.")
    var snaplen: Int = 262_144

    @Option(name: .long, help: "Kernel capture buffer size in MiB.")
    var bufferSize: Int = 32

    @Flag(name: .long, help: "Put the interface in promiscuous mode (off by default).")
    var promiscuous = false

    @Flag(name: .long, inversion: .prefixedNo,
          help: "Immediate mode: packets delivered as they arrive. --no-immediate lets the kernel batch them (up to 100 ms later; more efficient at high rates, see docs/live.md).")
    var immediate = true

    @Flag(name: .long, help: "List the interfaces libpcap can capture on, and exit.")
    var listInterfaces = false

    @Option(name: .long, help: "Save the packets of flows that produced events to a pcap file (bounded; see docs/live.md).")
    var writePcap: String?

    @Flag(name: .shortAndLong, help: "Print nothing but errors and the final capture statistics.")
    var quiet = false

    @OptionGroup var limitOptions: LimitOptions

    func validate() throws {
        if listInterfaces { return }
        guard let interface, !interface.isEmpty else { throw ValidationError("--interface is required (see --list-interfaces)") }
        guard reportInterval >= 0.1 else { throw ValidationError("--report-interval must be at least 0.1 second") }
        if let duration { guard duration > 0 else { throw ValidationError("--duration must be positive") } }
        guard snaplen >= 64 && snaplen <= 262_144 else { throw ValidationError("--snaplen must be between 64 and 262144") }
        guard bufferSize >= 1 && bufferSize <= 4096 else { throw ValidationError("--buffer-size must be between 1 and 4096 MiB") }
        if let filter, filter.utf8.contains(0) { throw ValidationError("--filter must not contain NUL") }
        if events != nil && events == writePcap { throw ValidationError("--events and --write-pcap name the same file") }
    }

    func run() throws {
        if listInterfaces { return try printInterfaces() }
        guard let interface else { throw ExitCode(2) }

        var options = LiveCaptureOptions(interface: interface)
        options.filter = filter
        options.snapshotLength = Int32(snaplen)
        options.bufferSize = Int32(bufferSize) << 20
        options.promiscuous = promiscuous
        options.timeoutMilliseconds = 100
        options.immediate = immediate

        // Outputs are opened before the capture so that a path error does not cost a capture start.
        var sinks: [EventSink] = []
        if let events {
            do { sinks.append(try NDJSONEventWriter(path: events)) } catch {
                FileHandleOutput.error("helloscope: \(error)")
                throw ExitCode(2)
            }
        }
        if let report, let problem = LiveReportFile.checkWritable(report) {
            FileHandleOutput.error("helloscope: \(report): cannot write the report: \(problem)")
            throw ExitCode(2)
        }

        let capture: LiveCapture
        do {
            capture = try LiveCapture(options: options)
        } catch {
            FileHandleOutput.error("helloscope: \(error)")
            throw ExitCode(error.isUsageError ? 2 : 1)
        }
        StopSignals.install(breaking: capture)
        defer { StopSignals.detach() }

        var recorder: FlowPacketRecorder<FlowKey>?
        var dumpFile: PcapDumpFile?
        if let writePcap {
            do {
                let file = try PcapDumpFile(path: writePcap, for: capture)
                dumpFile = file
                recorder = FlowPacketRecorder<FlowKey> { s, us, len, bytes in
                    file.write(seconds: s, microseconds: us, originalLength: len, bytes: bytes)
                }
            } catch {
                FileHandleOutput.error("helloscope: \(writePcap): \(error)")
                throw ExitCode(2)
            }
        }

        let started = WallClock.now()
        let aggregate = LiveReportAggregator()
        sinks.append(aggregate)
        let router = LiveEventRouter(next: EventFanOut(sinks), recorder: recorder)
        let analyzer = CaptureAnalyzer(captureName: interface, format: "live", fileSize: nil,
                                       limits: limitOptions.limits, sink: router)
        var reportFile = report.map { LiveReportFile(path: $0) }
        let header = LiveReportHeader(interface: interface, filter: filter, linkType: capture.linkType.description,
                                      snaplen: snaplen, bufferSizeMiB: bufferSize, promiscuous: promiscuous,
                                      started: started, limits: limitOptions.limits)

        func writeReport(final: Bool, stats: LiveStatistics?) {
            guard var file = reportFile else { return }
            let doc = aggregate.reportDocument(header: header, updated: WallClock.now(), final: final,
                                               stats: stats, frames: capture.frameNumber,
                                               truncatedBySnaplen: capture.truncatedBySnapshotLength,
                                               running: analyzer.summary, recorder: recorder?.counters)
            if let problem = file.replace(with: doc) {
                FileHandleOutput.error("helloscope: \(file.path): cannot write the report: \(problem)")
            }
            reportFile = file
        }

        if !quiet {
            FileHandleOutput.error("helloscope: listening on \(interface) (\(capture.linkType), snaplen \(snaplen)"
                + (promiscuous ? ", promiscuous" : "") + (filter.map { ", filter \"\($0)\"" } ?? "") + ")")
        }
        writeReport(final: false, stats: capture.statistics())

        // The capture loop.
        var decoder = recorder == nil ? nil : PacketDecoder(fragmentLimits: limitOptions.limits.fragments)
        var decoded = DecodedPacket()
        let startMono = Monotonic.seconds()
        var nextReport = startMono + reportInterval
        var lastTick = WallClock.now().seconds
        var failure: String?
        var stopReason = "signal"
        var packetsSinceClockCheck = 0
        loop: while true {
            if StopSignals.requested != nil { break }
            let result = capture.next { packet in
                if let r = recorder, decoder != nil, decoder!.decode(packet, into: &decoded) == .decoded {
                    let (key, _) = FlowKey.make(source: decoded.sourceEndpoint, destination: decoded.destinationEndpoint,
                                                transport: decoded.transport)
                    r.record(key, packet)
                }
                analyzer.process(packet)
            }
            switch result {
            case .packet:
                // Under load, look at the clocks every 256 packets only (a wait returns at most 100 ms later).
                packetsSinceClockCheck += 1
                if packetsSinceClockCheck < 256 { continue loop }
            case .timeout, .interrupted:
                break
            case .ended:
                stopReason = "capture error"
                failure = "the interface went down"
                break loop
            case .failed(let message):
                stopReason = "capture error"
                failure = message
                break loop
            }
            packetsSinceClockCheck = 0
            let mono = Monotonic.seconds()
            if let duration, mono - startMono >= duration {
                stopReason = "duration"
                break
            }
            let wall = WallClock.now().seconds
            if wall != lastTick {
                lastTick = wall
                // A little behind the wall clock, so that packets still in the kernel buffer are not "from the past".
                analyzer.advanceClock(toSeconds: wall - 2)
            }
            if mono >= nextReport {
                nextReport = mono + reportInterval
                dumpFile?.flush()
                writeReport(final: false, stats: capture.statistics())
            }
        }
        if let signo = StopSignals.requested { stopReason = StopSignals.name(signo) }

        // Finish: statistics first (the kernel stops counting for us once the handle closes), then the flows.
        let stats = capture.statistics()
        router.liveStatistics = stats
        router.truncatedBySnaplen = capture.truncatedBySnapshotLength
        _ = analyzer.finish(readerCounters: CaptureCounters(), stoppedEarly: false)
        dumpFile?.close()
        writeReport(final: true, stats: stats)
        StopSignals.detach()
        capture.close()

        let s = stats.map { "\($0.received) packets received by filter, \($0.droppedByKernel) dropped by kernel, "
            + "\($0.droppedByInterface) dropped by interface" } ?? "capture statistics unavailable"
        FileHandleOutput.error("helloscope: \(interface): stopped (\(stopReason)): \(capture.frameNumber) packets processed; \(s)")
        if let recorder, let writePcap {
            let c = recorder.counters
            FileHandleOutput.error("helloscope: \(writePcap): \(c.packetsWritten) packets of \(c.flowsSaved) flows saved")
        }
        if !quiet && events != "-" {
            FileHandleOutput.out(aggregate.renderText())
        }
        if let failure {
            FileHandleOutput.error("helloscope: \(interface): capture failed: \(failure)")
            throw ExitCode(1)
        }
    }

    private func printInterfaces() throws {
        let list: [LiveInterface]
        do { list = try LiveCapture.interfaces() } catch {
            FileHandleOutput.error("helloscope: \(error)")
            throw ExitCode(1)
        }
        var out = ""
        for i in list {
            var flags: [String] = []
            flags.append(i.isUp ? "up" : "down")
            if i.isRunning { flags.append("running") }
            if i.isLoopback { flags.append("loopback") }
            if i.isWireless { flags.append("wireless") }
            out += printable(i.name) + "\t[" + flags.joined(separator: ",") + "]"
            out += "\t" + (i.addresses.isEmpty ? "-" : i.addresses.joined(separator: " "))
            if let d = i.description, !d.isEmpty { out += "\t" + printable(d) }
            out += "\n"
        }
        if list.isEmpty { out = "no capture interface found (without privileges libpcap may list none)\n" }
        FileHandleOutput.out(out)
    }
}

// MARK: - Events

/// The first sink of a live analysis: adds the live capture statistics to the capture_summary, tells the packet
/// recorder which flows produced events, then passes every event on.
final class LiveEventRouter: EventSink {
    let next: EventSink
    let recorder: FlowPacketRecorder<FlowKey>?
    var liveStatistics: LiveStatistics?
    var truncatedBySnaplen = 0

    init(next: EventSink, recorder: FlowPacketRecorder<FlowKey>?) {
        self.next = next
        self.recorder = recorder
    }

    func handle(_ event: Event) {
        switch event {
        case .captureSummary(var summary):
            let s = liveStatistics
            summary.counters["live_received"] = s.map { Int(clamping: $0.received) } ?? -1
            summary.counters["live_dropped_kernel"] = s.map { Int(clamping: $0.droppedByKernel) } ?? -1
            summary.counters["live_dropped_interface"] = s.map { Int(clamping: $0.droppedByInterface) } ?? -1
            summary.counters["live_truncated_by_snaplen"] = truncatedBySnaplen
            if let c = recorder?.counters {
                summary.counters["write_pcap_packets"] = c.packetsWritten
                summary.counters["write_pcap_flows"] = c.flowsSaved
                summary.counters["write_pcap_ring_packets_dropped"] = c.ringPacketsDropped
                summary.counters["write_pcap_buffered_flows_evicted"] = c.bufferedFlowsEvicted
                summary.counters["write_pcap_saved_flows_evicted"] = c.savedFlowsEvicted
                summary.counters["write_pcap_packets_over_flow_cap"] = c.packetsOverFlowCap
            }
            next.handle(.captureSummary(summary))
            return
        default:
            if let recorder, let context = event.liveContext {
                let proto: UInt8 = context.transport == "udp" ? IPProtocolNumber.udp : IPProtocolNumber.tcp
                let (key, _) = FlowKey.make(source: context.source, destination: context.destination, transport: proto)
                recorder.flowIsInteresting(key)
            }
        }
        next.handle(event)
    }
}

extension Event {
    /// The endpoints of the event, when it is about a flow.
    var liveContext: EventContext? {
        switch self {
        case .clientHello(let e): return e.context
        case .serverHello(let e): return e.context
        case .tlsAlert(let e): return e.context
        default: return nil
        }
    }
}

// MARK: - Report

/// What does not change during a run.
struct LiveReportHeader {
    var interface: String
    var filter: String?
    var linkType: String
    var snaplen: Int
    var bufferSizeMiB: Int
    var promiscuous: Bool
    var started: WallClock.Time
    var limits: AnalysisLimits
}

/// Aggregates events for the live report, within fixed bounds (docs/live.md).
final class LiveReportAggregator: EventSink {
    static let maximumJA4 = 4096
    static let maximumSNIsPerJA4 = 256
    static let maximumJA3PerJA4 = 16

    struct Row {
        var count = 0
        var statusRequestOffered = 0
        var snis: [String: Int] = [:]
        var noSNI = 0
        var snisNotListed = 0
        var ja3: [String: Int] = [:]
        var ja3NotListed = 0
        var protocols: Set<String> = []
        var firstSeen = ""
        var lastSeen = ""
    }

    private(set) var rows: [String: Row] = [:]
    private(set) var hellosNotListed = 0
    private(set) var eventCounts: [String: Int] = [:]
    private(set) var finalSummary: CaptureSummary?

    func handle(_ event: Event) {
        eventCounts[event.typeName, default: 0] += 1
        switch event {
        case .clientHello(let e):
            let key = e.ja4.ja4
            guard rows[key] != nil || rows.count < Self.maximumJA4 else { hellosNotListed += 1; return }
            var row = rows[key] ?? Row()
            let ts = rfc3339(seconds: e.context.seconds, nanoseconds: e.context.nanoseconds)
            if row.count == 0 { row.firstSeen = ts }
            row.lastSeen = ts
            row.count += 1
            if e.hello.statusRequest != nil { row.statusRequestOffered += 1 }
            if let sni = e.sni {
                if row.snis[sni] != nil || row.snis.count < Self.maximumSNIsPerJA4 { row.snis[sni, default: 0] += 1 } else { row.snisNotListed += 1 }
            } else {
                row.noSNI += 1
            }
            if let ja3 = e.ja3?.hash {
                if row.ja3[ja3] != nil || row.ja3.count < Self.maximumJA3PerJA4 { row.ja3[ja3, default: 0] += 1 } else { row.ja3NotListed += 1 }
            }
            row.protocols.insert(e.protocolName)
            rows[key] = row
        case .captureSummary(let s):
            finalSummary = s
        default:
            break
        }
    }

    func reportDocument(header: LiveReportHeader, updated: WallClock.Time, final: Bool, stats: LiveStatistics?,
                        frames: Int, truncatedBySnaplen: Int, running: CaptureSummary,
                        recorder: FlowPacketRecorder<FlowKey>.Counters?) -> [UInt8] {
        var w = JSONWriter(capacity: 1 << 16)
        w.beginObject()
        w.field("schema_version", 1)
        w.field("generator", "helloscope \(Helloscope.version)")
        w.field("mode", "live")
        w.field("interface", header.interface)
        w.field("filter", header.filter)
        w.field("started", rfc3339(seconds: header.started.seconds, nanoseconds: header.started.nanoseconds))
        w.field("updated", rfc3339(seconds: updated.seconds, nanoseconds: updated.nanoseconds))
        w.field("final", final)

        w.key("capture")
        w.beginObject()
        w.field("link_type", header.linkType)
        w.field("snaplen", header.snaplen)
        w.field("buffer_size_mib", header.bufferSizeMiB)
        w.field("promiscuous", header.promiscuous)
        w.field("received", stats.map { Int(clamping: $0.received) })
        w.field("dropped_kernel", stats.map { Int(clamping: $0.droppedByKernel) })
        w.field("dropped_interface", stats.map { Int(clamping: $0.droppedByInterface) })
        w.field("packets_processed", frames)
        w.field("truncated_by_snaplen", truncatedBySnaplen)
        w.endObject()

        w.key("totals")
        w.beginObject()
        w.field("packets", running.packets)
        w.field("bytes", running.bytes)
        w.field("tcp_packets", running.tcpPackets)
        w.field("udp_packets", running.udpPackets)
        w.field("client_hellos", running.clientHellos)
        w.field("server_hellos", running.serverHellos)
        w.key("link_types")
        w.beginObject()
        for (k, v) in running.linkTypes.sorted(by: { $0.key < $1.key }) { w.field(k, v) }
        w.endObject()
        w.key("events")
        w.beginObject()
        for (k, v) in eventCounts.sorted(by: { $0.key < $1.key }) { w.field(k, v) }
        w.endObject()
        w.endObject()

        w.key("ja4")
        w.beginArray()
        for (ja4, row) in rows.sorted(by: { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }) {
            w.beginObject()
            w.field("ja4", ja4)
            w.field("count", row.count)
            w.field("first_seen", row.firstSeen)
            w.field("last_seen", row.lastSeen)
            w.field("protocols", strings: row.protocols.sorted())
            w.field("status_request_offered", row.statusRequestOffered)
            w.key("snis")
            w.beginArray()
            for (sni, n) in row.snis.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                w.beginObject()
                w.field("sni", sni)
                w.field("count", n)
                w.endObject()
            }
            w.endArray()
            w.field("no_sni", row.noSNI)
            w.field("snis_not_listed", row.snisNotListed)
            w.key("ja3")
            w.beginArray()
            for (h, n) in row.ja3.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                w.beginObject()
                w.field("ja3", h)
                w.field("count", n)
                w.endObject()
            }
            w.endArray()
            w.field("ja3_not_listed", row.ja3NotListed)
            w.endObject()
        }
        w.endArray()
        w.field("hellos_not_listed", hellosNotListed)

        w.key("write_pcap")
        if let c = recorder {
            w.beginObject()
            w.field("packets", c.packetsWritten)
            w.field("bytes", c.bytesWritten)
            w.field("flows", c.flowsSaved)
            w.field("ring_packets_dropped", c.ringPacketsDropped)
            w.field("buffered_flows_evicted", c.bufferedFlowsEvicted)
            w.field("saved_flows_evicted", c.savedFlowsEvicted)
            w.field("packets_over_flow_cap", c.packetsOverFlowCap)
            w.endObject()
        } else {
            w.null()
        }

        w.key("capture_summary")
        if final, let s = finalSummary {
            var inner = JSONWriter()
            s.write(to: &inner)
            w.raw(inner.bytes)
        } else {
            w.null()
        }
        w.endObject()
        var bytes = w.bytes
        bytes.append(0x0a)
        return bytes
    }

    /// The short table printed at the end when events do not go to standard output.
    func renderText() -> String {
        guard !rows.isEmpty else { return "no ClientHello seen\n" }
        var out = "JA4                                       hellos  SNIs\n"
        for (ja4, row) in rows.sorted(by: { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }) {
            let snis = row.snis.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(4)
                .map { printable($0.key) }.joined(separator: ", ")
            let more = row.snis.count > 4 ? " (+\(row.snis.count - 4))" : ""
            let count = String(row.count)
            let ja4Column: String = ja4 + String(repeating: " ", count: max(0, 41 - ja4.count))
            let countColumn: String = String(repeating: " ", count: max(0, 7 - count.count)) + count
            let sniColumn: String = (snis.isEmpty ? "-" : snis) + more
            out += ja4Column + " " + countColumn + "  " + sniColumn + "\n"
        }
        if hellosNotListed > 0 { out += "(\(hellosNotListed) ClientHellos of further JA4s not listed)\n" }
        return out
    }
}

/// The report file, replaced atomically: written to a temporary file in the same directory, fsync'd, renamed over
/// the report, then the directory is fsync'd. A reader sees the old report or the new one, never a partial one.
struct LiveReportFile {
    let path: String

    /// Why the report's directory cannot take the report, or nil.
    static func checkWritable(_ path: String) -> String? {
        let dir = directory(of: path)
        if access(dir, W_OK | X_OK) != 0 { return "\(dir): \(String(cString: strerror(errno)))" }
        var st = stat()
        if stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { return "is a directory" }
        return nil
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }

    /// Writes `bytes` as the new report; returns the problem, or nil.
    mutating func replace(with bytes: [UInt8]) -> String? {
        let dir = Self.directory(of: path)
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let tmp = (dir == "." && !path.hasPrefix("./") ? "" : dir + "/") + ".\(base).tmp.\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return "\(tmp): \(String(cString: strerror(errno)))" }
        var problem: String?
        bytes.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(fd, raw.baseAddress! + off, raw.count - off)
                if n > 0 { off += n } else if n < 0 && errno == EINTR { continue } else {
                    problem = String(cString: strerror(errno))
                    return
                }
            }
        }
        if problem == nil && fsync(fd) != 0 { problem = "fsync: \(String(cString: strerror(errno)))" }
        if close(fd) != 0 && problem == nil { problem = "close: \(String(cString: strerror(errno)))" }
        if problem == nil && rename(tmp, path) != 0 { problem = "rename: \(String(cString: strerror(errno)))" }
        if let problem {
            unlink(tmp)
            return problem
        }
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
        return nil
    }
}

// MARK: - Clocks

enum WallClock {
    struct Time {
        var seconds: Int64
        var nanoseconds: UInt32
    }
    static func now() -> Time {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Time(seconds: Int64(ts.tv_sec), nanoseconds: UInt32(ts.tv_nsec))
    }
}

enum Monotonic {
    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
