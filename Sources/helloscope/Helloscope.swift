import ArgumentParser
import CaptureInput
import Pipeline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct Helloscope: ParsableCommand {
    static let version = "0.1.0"
    static let configuration = CommandConfiguration(
        commandName: "helloscope",
        abstract: "TLS ClientHello fingerprints (JA3, JA3S, JA4, status_request) and revocation behaviour from packet captures.",
        version: version,
        subcommands: [Analyze.self, CTIndexCommand.self],
        defaultSubcommand: Analyze.self
    )
}

/// Options that bound memory, shared by the commands that read packets.
struct LimitOptions: ParsableArguments {
    @Option(help: "Maximum TCP connections tracked at once (least recently active evicted beyond).")
    var maxFlows: Int = ReassemblyDefaults.maximumFlows

    @Option(help: "Out-of-order bytes held per direction before a hole is skipped.")
    var maxFlowBuffer: Int = ReassemblyDefaults.maximumOutOfOrderBytesPerDirection

    @Option(help: "Out-of-order bytes held over all connections.")
    var maxBufferTotal: Int = ReassemblyDefaults.maximumOutOfOrderBytesTotal

    @Option(help: "Seconds of capture time after which an idle connection is closed.")
    var idleTimeout: Int = Int(ReassemblyDefaults.idleTimeoutSeconds)

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
}

enum ReassemblyDefaults {
    static let maximumFlows = AnalysisLimits().reassembly.maximumFlows
    static let maximumOutOfOrderBytesPerDirection = AnalysisLimits().reassembly.maximumOutOfOrderBytesPerDirection
    static let maximumOutOfOrderBytesTotal = AnalysisLimits().reassembly.maximumOutOfOrderBytesTotal
    static let idleTimeoutSeconds = AnalysisLimits().reassembly.idleTimeoutSeconds
}

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Analyse capture files (pcap or pcapng; '-' reads standard input).",
        discussion: """
            Exit status: 0 analysed; 2 usage error, or a capture could not be read (the others are still analysed).
            """
    )

    @Argument(help: "Capture files; '-' for standard input.")
    var captures: [String]

    @Option(name: .long, help: "Write events as newline-delimited JSON to PATH ('-' for standard output).")
    var events: String?

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    @OptionGroup var limitOptions: LimitOptions

    func run() throws {
        let summary = HumanSummary()
        var sinks: [EventSink] = [summary]
        if let events {
            do { sinks.append(try NDJSONEventWriter(path: events)) } catch {
                FileHandleOutput.error("helloscope: \(error)")
                throw ExitCode(2)
            }
        }
        let sink = EventFanOut(sinks)
        var failed = false
        for path in captures {
            let name = path == "-" ? "-" : String(path.split(separator: "/").last ?? Substring(path))
            do {
                let reader = try CaptureReader(path: path)
                CaptureAnalyzer.analyze(reader: reader, name: name, limits: limitOptions.limits, sink: sink)
            } catch {
                FileHandleOutput.error("helloscope: \(path): \(error)")
                failed = true
            }
        }
        if !quiet && events != "-" {
            FileHandleOutput.out(summary.render())
        }
        if failed { throw ExitCode(2) }
    }
}

enum FileHandleOutput {
    static func error(_ s: String) {
        let line = s.hasSuffix("\n") ? s : s + "\n"
        writeAll(2, line)
    }
    static func out(_ s: String) { writeAll(1, s) }
    static func writeAll(_ fd: Int32, _ s: String) {
        var bytes = Array(s.utf8)
        var off = 0
        bytes.withUnsafeMutableBytes { raw in
            while off < raw.count {
                let n = write(fd, raw.baseAddress! + off, raw.count - off)
                if n > 0 { off += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }
}
