import ArgumentParser
import CaptureInput
import CHeap
import Correlation
import CTIndex
import FoundationEssentials
import Pipeline
import Report
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct Helloscope: ParsableCommand {
    static let version = "0.2.0"
    static let configuration = CommandConfiguration(
        commandName: "helloscope",
        abstract: "TLS ClientHello fingerprints (JA3, JA3S, JA4, status_request) and revocation behaviour from packet captures.",
        version: version,
        subcommands: [Analyze.self, CTIndexCommand.self, Live.self],
        defaultSubcommand: Analyze.self
    )

    /// Exit status: usage errors are 2 (not the 64 of sysexits), like unreadable input.
    static func main() {
        // The objects of the analysis in 64 MiB of heap advised for huge pages (Sources/CHeap/CHeap.c).
        _ = hs_heap_prepare(64 << 20)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                Terminal.error(fullMessage(for: error))
                terminate(2)
            }
            exit(withError: error)
        }
    }
}

/// Options that bound memory, shared by the commands that read packets.
struct LimitOptions: ParsableArguments {
    @Option(help: "Maximum TCP connections tracked at once (least recently active evicted beyond).")
    var maxFlows: Int = AnalysisLimits().reassembly.maximumFlows

    @Option(help: "Out-of-order bytes held per direction before a hole is skipped.")
    var maxFlowBuffer: Int = AnalysisLimits().reassembly.maximumOutOfOrderBytesPerDirection

    @Option(help: "Out-of-order bytes held over all connections.")
    var maxBufferTotal: Int = AnalysisLimits().reassembly.maximumOutOfOrderBytesTotal

    @Option(help: "Seconds of capture time after which an idle connection is closed.")
    var idleTimeout: Int = Int(AnalysisLimits().reassembly.idleTimeoutSeconds)

    func validate() throws {
        guard maxFlows >= 16 else { throw ValidationError("--max-flows must be at least 16") }
        guard maxFlowBuffer >= 0, maxBufferTotal >= 0 else { throw ValidationError("buffer limits must not be negative") }
        guard idleTimeout >= 1 else { throw ValidationError("--idle-timeout must be at least 1 second") }
    }

    var limits: AnalysisLimits {
        var l = AnalysisLimits()
        l.reassembly.maximumFlows = maxFlows
        l.reassembly.maximumOutOfOrderBytesPerDirection = maxFlowBuffer
        l.reassembly.maximumOutOfOrderBytesTotal = maxBufferTotal
        l.reassembly.idleTimeoutSeconds = Int64(idleTimeout)
        return l
    }

    var json: [String: JSONValue] {
        ["max_flows": .int(maxFlows), "max_flow_buffer": .int(maxFlowBuffer), "max_buffer_total": .int(maxBufferTotal),
         "idle_timeout": .int(idleTimeout)]
    }
}

/// Options of the report and its labels, shared by `analyze` and `live`.
struct ReportOptionsGroup: ParsableArguments {
    @Option(name: .long, help: "Add known fingerprints from FILE (CSV with a ja4/ja3 header, or a JSON array such as a ja4db export). Repeatable.")
    var fingerprints: [String] = []

    func database() throws -> FingerprintDatabase {
        var db = FingerprintDatabase.bundledDatabase
        for path in fingerprints {
            do { try db.load(path: path) } catch {
                throw ValidationError("\(path): \(error)")
            }
        }
        return db
    }
}

/// Certificate Transparency exports and the correlation window, shared by `analyze` and `live`.
struct CorrelationOptions: ParsableArguments {
    @Option(name: .long, help: "A Certificate Transparency export (crt.sh JSON, RFC 6962 get-entries, certstream, Censys) or PEM/DER certificates, a bundle or a directory, to map OCSP serials to hostnames. Repeatable.")
    var ct: [String] = []

    @Option(name: .long, help: "Format of the --ct files: auto, crtsh, rfc6962, certstream, censys, pem, der.")
    var ctFormat: String = "auto"

    @Option(name: .long, help: "Seconds either side of an OCSP request in which its TLS handshake is looked for.")
    var correlationWindow: Double = 5

    func validate() throws {
        guard CTSourceFormat(rawValue: ctFormat) != nil else {
            throw ValidationError("--ct-format must be one of: \(CTSourceFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard correlationWindow >= 0 && correlationWindow <= 3600 else { throw ValidationError("--correlation-window must be 0…3600 seconds") }
    }

    /// Loads the exports; prints what was loaded and skipped unless `quiet`.
    func loadIndex(quiet: Bool) throws -> CTIndex {
        var index = CTIndex()
        let format = CTSourceFormat(rawValue: ctFormat) ?? .auto
        for path in ct {
            do {
                let stats = try index.load(path: path, format: format)
                if !quiet {
                    Terminal.error("helloscope: \(path): \(stats.entries) CT entries (\(stats.format))"
                                   + (stats.skipped > 0 ? ", \(stats.skipped) malformed or oversized records skipped" : ""))
                    for p in stats.problems.prefix(3) { Terminal.error("helloscope:   skipped \(p)") }
                }
            } catch {
                throw ValidationError("\(path): \(error)")
            }
        }
        return index
    }

    var correlatorOptions: Correlator.Options {
        var o = Correlator.Options()
        o.windowSeconds = correlationWindow
        return o
    }

    var json: [String: JSONValue] {
        ["ct": .strings(ct), "ct_format": .string(ctFormat), "correlation_window": .double(correlationWindow)]
    }
}

enum ColorChoice: String, ExpressibleByArgument, CaseIterable { case auto, always, never }

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Analyse capture files (pcap or pcapng; '-' reads standard input).",
        discussion: """
            Without --events or --report writing to standard output, prints a readable summary: clients with their \
            classification, top fingerprints, live OCSP checks with the hostnames they revealed, and the findings.

            Exit status: 0 analysed; 1 analysed, with a finding at or above --fail-on; 2 usage error, or a capture \
            could not be read (the others are still analysed).

            --jobs N analyses up to N captures at once. The events, the report, the summary, the messages and the exit \
            status are those of one capture at a time, byte for byte: each capture's events are passed on in \
            command-line order, and a capture analysed ahead of its turn keeps at most --job-buffer events, then waits. \
            Limits such as --max-flows apply to each capture, so memory grows with N. No progress bar with N > 1.
            """
    )

    @Argument(help: "Capture files; '-' for standard input.")
    var captures: [String]

    @Option(name: .long, help: "Write events as newline-delimited JSON to PATH ('-' for standard output).")
    var events: String?

    @Option(name: .long, help: "Write the JSON report to PATH ('-' for standard output).")
    var report: String?

    @Option(name: .long, help: "Exit with status 1 when a finding of this severity or higher is found (info, low, medium, high).")
    var failOn: String?

    @Option(name: .long, help: "Colour the summary: auto (when standard output is a terminal), always, never.")
    var color: ColorChoice = .auto

    @Flag(name: .shortAndLong, help: "Print nothing but errors (no summary, no progress).")
    var quiet = false

    @Flag(name: .long, help: ArgumentHelp(
        "Leave the report's inputs[].sha256 null instead of hashing each capture file.",
        discussion: "The hash runs on a second thread beside the analysis (about 0.55 s of CPU per GB)."))
    var noInputHash = false

    @Option(name: .long, help: ArgumentHelp(
        "Analyse up to N captures at once, each on its own thread ('auto' or 0: one per available processor).",
        valueName: "n"))
    var jobs: JobCount = JobCount(1)

    @Option(name: .long, help: ArgumentHelp(
        "With --jobs: events a capture analysed ahead of its turn keeps in memory before it waits for its turn.",
        valueName: "events"))
    var jobBuffer: Int = OrderedJobs.defaultBufferLimit

    @OptionGroup var limitOptions: LimitOptions
    @OptionGroup var reportOptions: ReportOptionsGroup
    @OptionGroup var correlationOptions: CorrelationOptions

    func validate() throws {
        if let failOn, Severity(rawValue: failOn) == nil {
            throw ValidationError("--fail-on must be one of: \(Severity.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if events == "-" && report == "-" { throw ValidationError("--events and --report cannot both write to standard output") }
        guard jobs.value <= JobCount.maximum else { throw ValidationError("--jobs must be at most \(JobCount.maximum)") }
        guard jobBuffer >= 1 else { throw ValidationError("--job-buffer must be at least 1") }
    }

    func run() throws {
        // The options that shape the results (not --jobs or --job-buffer: the report is the same whatever they are).
        var arguments = limitOptions.json.merging(correlationOptions.json) { a, _ in a }
        arguments["fingerprint_files"] = .strings(reportOptions.fingerprints)
        arguments["fail_on"] = .optional(failOn)
        arguments["input_hash"] = .string(noInputHash ? "none" : "sha256")
        let index = try correlationOptions.loadIndex(quiet: quiet)
        let builder = ReportBuilder(options: ReportOptions(generatorVersion: Helloscope.version, arguments: arguments,
                                                           fingerprints: try reportOptions.database()))
        // The report's aggregation runs only when something uses it: --report, --fail-on, or the printed summary.
        let summaryPrinted = !quiet && events != "-" && report != "-"
        var sinks: [EventSink] = report != nil || failOn != nil || summaryPrinted ? [builder] : []
        if let events {
            do { sinks.append(try NDJSONEventWriter(path: events)) } catch {
                Terminal.error("helloscope: \(error)")
                throw ExitCode(2)
            }
        }
        let sink = Correlator(index: index, options: correlationOptions.correlatorOptions, downstream: EventFanOut(sinks))
        // Several captures at once: each job has its own reader and analyser; its events, and what the loop below
        // does for it in `ordered`, reach the shared sink in command-line order (see OrderedJobs).
        // A pipe named twice (`- -`) must be read by its first mention only, as one at a time does: then one job.
        let parallelism = Self.streamNamedTwice(captures) ? 1 : jobs.value
        let parallel = parallelism > 1 && captures.count > 1
        let showProgress = !quiet && isatty(2) == 1 && !parallel
        let limits = limitOptions.limits
        let hashInputs = report != nil && !noInputHash
        var failed = false
        var analysed = 0
        OrderedJobs.run(count: captures.count, parallelism: parallelism, bufferLimit: jobBuffer, sink: sink) { i, output in
            let path = captures[i]
            let name = path == "-" ? "-" : lastPathComponent(path)
            do {
                let reader = try CaptureReader(path: path)
                // Hashed beside the analysis, on another thread; only the report shows it.
                let digest = hashInputs ? InputDigest(source: reader.source) : nil
                let progress = showProgress ? ProgressBar(name: name, total: reader.source.totalSize) : nil
                CaptureAnalyzer.analyze(reader: reader, name: name, limits: limits, sink: output,
                                        progress: progress.map { bar in { bar.update($0) } })
                let sha256 = digest?.sha256
                output.ordered {
                    builder.addInput(name: name, path: path, sha256: sha256)
                    analysed += 1
                }
                progress?.finish()
            } catch {
                output.ordered {
                    Terminal.error("helloscope: \(path): \(error)")
                    failed = true
                }
            }
        }
        // The printed summary reads the report as a tree: when it is printed, the tree is built once and the report
        // written from it; otherwise the report is written one client, server, responder and finding at a time.
        let summary = summaryPrinted && analysed > 0 ? builder.document() : nil
        if let report {
            if let problem = ReportFile(path: report).write({ w in
                if let summary { w.value(summary) } else { builder.write(to: &w) }
            }) {
                Terminal.error("helloscope: \(report): cannot write: \(problem)")
                throw ExitCode(2)
            }
        }
        if let summary {
            let useColor = color == .always || (color == .auto && isatty(1) == 1)
            Terminal.out(HumanReport.render(summary, color: useColor))
        }
        if failed { throw ExitCode(2) }
        if let failOn, let threshold = Severity(rawValue: failOn), let highest = builder.highestSeverity, highest >= threshold {
            throw ExitCode(1)
        }
    }

    /// True when standard input, a FIFO or a device is among the captures twice (by device and inode).
    static func streamNamedTwice(_ paths: [String]) -> Bool {
        var seen: Set<[UInt64]> = []
        for path in paths where MappedFile.isStream(path: path) {
            var st = stat()
            guard (path == "-" ? fstat(0, &st) : stat(path, &st)) == 0 else { continue }
            if !seen.insert([UInt64(st.st_dev), UInt64(st.st_ino)]).inserted { return true }
        }
        return false
    }
}

/// `--jobs`: how many captures are analysed at once; `auto` or `0` is the number of processors available.
struct JobCount: ExpressibleByArgument {
    static let maximum = 256
    let value: Int

    init(_ value: Int) { self.value = value }

    init?(argument: String) {
        if argument == "auto" || argument == "0" {
            value = max(1, ProcessInfo.processInfo.activeProcessorCount)
        } else if let n = Int(argument), n >= 1 {
            value = n
        } else {
            return nil
        }
    }

    var defaultValueDescription: String { String(value) }
}

/// A one-line progress bar on standard error: bytes read, rate, ETA.
final class ProgressBar {
    let name: String
    let total: Int64?
    let start = Date()
    var lastDraw = Date.distantPast

    init(name: String, total: Int64?) {
        self.name = name
        self.total = total
    }

    func update(_ bytes: Int64) {
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.2 else { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(start), 0.001)
        let rate = Double(bytes) / elapsed
        var line = "\r\(printable(name)): \(Self.size(Double(bytes)))"
        if let total, total > 0 {
            let pct = Double(bytes) / Double(total) * 100
            let eta = rate > 0 ? Double(total - bytes) / rate : 0
            line += " / \(Self.size(Double(total))) (\(fixedPoint(pct, decimals: 0))%), \(Self.size(rate))/s, ETA \(fixedPoint(eta, decimals: 0))s"
        } else {
            line += ", \(Self.size(rate))/s"
        }
        Terminal.writeAll(2, line + "\u{1b}[K")
    }

    func finish() { if lastDraw != .distantPast { Terminal.writeAll(2, "\r\u{1b}[K") } }

    static func size(_ v: Double) -> String {
        let gb = 1_073_741_824.0, mb = 1_048_576.0
        if v >= gb { return fixedPoint(v / gb, decimals: 2) + " GB" }
        if v >= mb { return fixedPoint(v / mb, decimals: 1) + " MB" }
        return fixedPoint(v / 1024, decimals: 0) + " KB"
    }
}

/// Ends the process with `status` (the C library's `exit`: buffered output is flushed).
func terminate(_ status: Int32) -> Never {
    #if canImport(Glibc)
    Glibc.exit(status)
    #else
    Darwin.exit(status)
    #endif
}

enum Terminal {
    static func error(_ s: String) {
        writeAll(2, s.hasSuffix("\n") ? s : s + "\n")
    }
    static func out(_ s: String) { writeAll(1, s) }
    @discardableResult
    static func writeAll(_ fd: Int32, _ s: String) -> Int32? {
        var s = s
        return s.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) }
    }

    /// Writes all of `bytes` to `fd`; returns the error number if it could not.
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var off = 0
        while off < bytes.count {
            let n = write(fd, bytes.baseAddress! + off, bytes.count - off)
            if n > 0 { off += n } else if n < 0 && errno == EINTR { continue } else { return n < 0 ? errno : EIO }
        }
        return nil
    }
}
