import ArgumentParser
import CaptureInput
import CaptureLive
import Correlation
import PacketDecoding
import Pipeline
import Report

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

    @Option(name: .long, help: "Write the JSON report (as analyze --report, with options.live) to PATH, rewritten atomically every --report-interval seconds and at the end.")
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
    @OptionGroup var reportOptions: ReportOptionsGroup
    @OptionGroup var correlationOptions: CorrelationOptions

    func validate() throws {
        if listInterfaces { return }
        guard let interface, !interface.isEmpty else { throw ValidationError("--interface is required (see --list-interfaces)") }
        guard reportInterval >= 0.1 else { throw ValidationError("--report-interval must be at least 0.1 second") }
        if let duration { guard duration > 0 else { throw ValidationError("--duration must be positive") } }
        guard snaplen >= 64 && snaplen <= 262_144 else { throw ValidationError("--snaplen must be between 64 and 262144") }
        guard bufferSize >= 1 && bufferSize <= 4096 else { throw ValidationError("--buffer-size must be between 1 and 4096 MiB") }
        if let filter, filter.utf8.contains(0) { throw ValidationError("--filter must not contain NUL") }
        if events != nil && events == writePcap { throw ValidationError("--events and --write-pcap name the same file") }
        if report == "-" { throw ValidationError("--report must name a file (it is rewritten); use --events - for standard output") }
        if report != nil && (report == events || report == writePcap) { throw ValidationError("--report names the same file as another output") }
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
            do { sinks.append(try NDJSONEventWriter(path: events, flushEachEvent: true)) } catch {
                Terminal.error("helloscope: \(error)")
                throw ExitCode(2)
            }
        }
        if let report, let problem = ReportFile.checkWritable(report) {
            Terminal.error("helloscope: \(report): cannot write the report: \(problem)")
            throw ExitCode(2)
        }

        let capture: LiveCapture
        do {
            capture = try LiveCapture(options: options)
        } catch {
            Terminal.error("helloscope: \(error)")
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
                Terminal.error("helloscope: \(writePcap): \(error)")
                throw ExitCode(2)
            }
        }

        let started = WallClock.now()
        var arguments = limitOptions.json.merging(correlationOptions.json) { a, _ in a }
        arguments["fingerprint_files"] = .strings(reportOptions.fingerprints)
        arguments["interface"] = .string(interface)
        arguments["filter"] = .optional(filter)
        arguments["snaplen"] = .int(snaplen)
        arguments["buffer_size_mib"] = .int(bufferSize)
        arguments["promiscuous"] = .bool(promiscuous)
        arguments["immediate"] = .bool(immediate)
        arguments["report_interval"] = .double(reportInterval)
        arguments["duration"] = .optional(duration)
        arguments["write_pcap"] = .bool(writePcap != nil)
        let builder = ReportBuilder(options: ReportOptions(generatorVersion: Helloscope.version, arguments: arguments,
                                                           fingerprints: try reportOptions.database()))
        builder.addInput(name: interface, path: interface, sha256: nil)
        sinks.append(builder)
        let router = LiveEventRouter(next: EventFanOut(sinks), recorder: recorder)
        let correlator = Correlator(index: try correlationOptions.loadIndex(quiet: quiet),
                                    options: correlationOptions.correlatorOptions, downstream: router)
        let analyzer = CaptureAnalyzer(captureName: interface, format: "live", fileSize: nil,
                                       limits: limitOptions.limits, sink: correlator)
        let reportFile = report.map { ReportFile(path: $0) }
        let linkType = capture.linkType.description

        func writeReport(final: Bool, stats: LiveStatistics?) {
            guard let reportFile else { return }
            let live = LiveReportSection(interface: interface, linkType: linkType, started: started, updated: WallClock.now(),
                                         final: final, stats: stats, packetsProcessed: analyzer.summary.packets,
                                         truncatedBySnaplen: capture.truncatedBySnapshotLength, recorder: recorder?.counters)
            let running = final ? nil : analyzer.summary
            if let problem = reportFile.write({ w in builder.write(to: &w) { live.amend(&$0, running: running) } }) {
                Terminal.error("helloscope: \(reportFile.path): cannot write the report: \(problem)")
            }
        }

        if !quiet {
            Terminal.error("helloscope: listening on \(interface) (\(capture.linkType), snaplen \(snaplen)"
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
        func handle(_ packet: CapturedPacket) {
            if let r = recorder, decoder != nil, decoder!.decode(packet, into: &decoded) == .decoded {
                let (key, _) = FlowKey.make(source: decoded.sourceEndpoint, destination: decoded.destinationEndpoint,
                                            transport: decoded.transport)
                r.record(key, packet)
            }
            analyzer.process(packet)
        }
        loop: while true {
            if StopSignals.requested != nil { break }
            let result = capture.next(handle)
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
                correlator.advanceClock(toSeconds: wall - 2)
            }
            if mono >= nextReport {
                dumpFile?.flush()
                writeReport(final: false, stats: capture.statistics())
                // The report is built on the capture thread; its cost grows with the clients and servers seen. The
                // interval stretches so that rewriting takes at most a tenth of the time (packets wait meanwhile).
                let took = Monotonic.seconds() - mono
                nextReport = mono + max(reportInterval, 10 * took)
            }
        }
        if let signo = StopSignals.requested { stopReason = StopSignals.name(signo) }

        // Packets the kernel captured before the stop may still wait in its buffer: process them, up to the first
        // packet stamped after the stop (or 2 s, or until nothing is left).
        if failure == nil {
            let stopAt = WallClock.now()
            let deadline = Monotonic.seconds() + 2
            drain: while Monotonic.seconds() < deadline {
                var afterStop = false
                let result = capture.next { packet in
                    if (packet.seconds, packet.nanoseconds) > (stopAt.seconds, stopAt.nanoseconds) {
                        afterStop = true
                    } else {
                        handle(packet)
                    }
                }
                switch result {
                case .packet: if afterStop { break drain }
                case .interrupted: continue drain  // pcap_breakloop's flag, consumed once
                case .timeout, .ended, .failed: break drain
                }
            }
        }

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
        Terminal.error("helloscope: \(interface): stopped (\(stopReason)): \(analyzer.summary.packets) packets processed; \(s)")
        if let recorder, let writePcap {
            let c = recorder.counters
            Terminal.error("helloscope: \(writePcap): \(c.packetsWritten) packets of \(c.flowsSaved) flows saved")
        }
        if !quiet && events != "-" {
            Terminal.out(HumanReport.render(builder.document(), color: isatty(1) == 1))
        }
        if let failure {
            Terminal.error("helloscope: \(interface): capture failed: \(failure)")
            throw ExitCode(1)
        }
    }

    private func printInterfaces() throws {
        let list: [LiveInterface]
        do { list = try LiveCapture.interfaces() } catch {
            Terminal.error("helloscope: \(error)")
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
        Terminal.out(out)
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
            for (k, v) in Self.liveCounters(stats: liveStatistics, truncatedBySnaplen: truncatedBySnaplen,
                                            recorder: recorder?.counters) {
                summary.counters[k] = v
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

extension LiveEventRouter {
    /// The counters a live capture adds to the capture_summary (-1: statistics unavailable).
    static func liveCounters(stats s: LiveStatistics?, truncatedBySnaplen: Int,
                             recorder: FlowPacketRecorder<FlowKey>.Counters?) -> [String: Int] {
        var c: [String: Int] = [
            "live_received": s.map { Int(clamping: $0.received) } ?? -1,
            "live_dropped_kernel": s.map { Int(clamping: $0.droppedByKernel) } ?? -1,
            "live_dropped_interface": s.map { Int(clamping: $0.droppedByInterface) } ?? -1,
            "live_truncated_by_snaplen": truncatedBySnaplen,
        ]
        if let r = recorder {
            c["write_pcap_packets"] = r.packetsWritten
            c["write_pcap_flows"] = r.flowsSaved
            c["write_pcap_ring_packets_dropped"] = r.ringPacketsDropped
            c["write_pcap_buffered_flows_evicted"] = r.bufferedFlowsEvicted
            c["write_pcap_saved_flows_evicted"] = r.savedFlowsEvicted
            c["write_pcap_packets_over_flow_cap"] = r.packetsOverFlowCap
        }
        return c
    }
}

extension Event {
    /// The endpoints of the event, when it is about a flow.
    var liveContext: EventContext? {
        switch self {
        case .clientHello(let e): return e.context
        case .serverHello(let e): return e.context
        case .tlsAlert(let e): return e.context
        case .ocspRequest(let e): return e.context
        case .ocspResponse(let e): return e.context
        case .crlFetch(let e): return e.context
        case .ocspStaple(let e): return e.context
        case .certificate(let e): return e.context
        default: return nil
        }
    }
}

// MARK: - Report

/// The live part of the report: the project's report (docs/report.md) with the capture so far as its input, and
/// what only a live capture has under `options.live` (the schema leaves `options` open).
struct LiveReportSection {
    var interface: String
    var linkType: String
    var started: WallClock.Time
    var updated: WallClock.Time
    var final: Bool
    var stats: LiveStatistics?
    var packetsProcessed: Int
    var truncatedBySnaplen: Int
    var recorder: FlowPacketRecorder<FlowKey>.Counters?

    /// Adds the live part to the top-level members of the builder's report (`ReportBuilder.write(to:amend:)`);
    /// `running` (while capturing) stands in for the capture_summary that only `finish` produces: the input entry
    /// and the live counters are filled from it.
    func amend(_ root: inout [String: JSONValue], running: CaptureSummary?) {
        if let s = running {
            root["inputs"] = .array([.object([
                "file": .string(s.capture), "path": .string(interface), "sha256": .null, "format": .string(s.format),
                "size": .null, "packets": .int(s.packets), "bytes": .int(Int(s.bytes)),
                "first_ts": .optional(s.firstSeconds.map { rfc3339(seconds: $0, nanoseconds: s.firstNanoseconds) }),
                "last_ts": s.packets > 0 ? .string(rfc3339(seconds: s.lastSeconds, nanoseconds: s.lastNanoseconds)) : .null,
                "link_types": .object(s.linkTypes.mapValues { .int($0) }), "truncated": .bool(false),
                "flows": .int(s.flows), "client_hellos": .int(s.clientHellos), "server_hellos": .int(s.serverHellos),
            ])])
            var counters: [String: JSONValue] = [:]
            if case .object(let c) = root["counters"] ?? .null { counters = c }
            for (k, v) in LiveEventRouter.liveCounters(stats: stats, truncatedBySnaplen: truncatedBySnaplen, recorder: recorder) {
                counters[k] = .int(v)
            }
            root["counters"] = .object(counters)
        }
        var options: [String: JSONValue] = [:]
        if case .object(let o) = root["options"] ?? .null { options = o }
        var live: [String: JSONValue] = [
            "mode": .string("live"),
            "interface": .string(interface),
            "link_type": .string(linkType),
            "started": .string(rfc3339(seconds: started.seconds, nanoseconds: started.nanoseconds)),
            "updated": .string(rfc3339(seconds: updated.seconds, nanoseconds: updated.nanoseconds)),
            "final": .bool(final),
            "received": .optional(stats.map { Int(clamping: $0.received) }),
            "dropped_kernel": .optional(stats.map { Int(clamping: $0.droppedByKernel) }),
            "dropped_interface": .optional(stats.map { Int(clamping: $0.droppedByInterface) }),
            "packets_processed": .int(packetsProcessed),
            "truncated_by_snaplen": .int(truncatedBySnaplen),
        ]
        if let c = recorder {
            live["write_pcap"] = .object([
                "packets": .int(c.packetsWritten), "bytes": .int(c.bytesWritten), "flows": .int(c.flowsSaved),
                "ring_packets_dropped": .int(c.ringPacketsDropped), "buffered_flows_evicted": .int(c.bufferedFlowsEvicted),
                "saved_flows_evicted": .int(c.savedFlowsEvicted), "packets_over_flow_cap": .int(c.packetsOverFlowCap),
            ])
        }
        options["live"] = .object(live)
        root["options"] = .object(options)
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
