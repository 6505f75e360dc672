#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes events as newline-delimited JSON to a file descriptor, one `write` per event (so a reader of a pipe
/// or a growing file sees whole lines as they happen).
public final class NDJSONEventWriter: EventSink {
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var writer = JSONWriter(capacity: 8192)
    public private(set) var eventsWritten = 0
    public private(set) var writeError: String?

    /// Opens `path` for writing (`-` is standard output).
    public init(path: String) throws {
        if path == "-" {
            fd = 1
            ownsDescriptor = false
        } else {
            let f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard f >= 0 else { throw OutputError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
            fd = f
            ownsDescriptor = true
        }
    }

    deinit { if ownsDescriptor { close(fd) } }

    public func handle(_ event: Event) {
        writer.reset()
        event.write(to: &writer)
        var bytes = writer.bytes
        bytes.append(0x0a)
        bytes.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(fd, raw.baseAddress! + off, raw.count - off)
                if n > 0 { off += n } else if n < 0 && errno == EINTR { continue } else {
                    writeError = String(cString: strerror(errno))
                    return
                }
            }
        }
        eventsWritten += 1
    }
}

public enum OutputError: Error, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "\(path): cannot write: \(reason)"
        }
    }
}

/// Sends each event to several sinks.
public final class EventFanOut: EventSink {
    public var sinks: [EventSink]
    public init(_ sinks: [EventSink]) { self.sinks = sinks }
    public func handle(_ event: Event) { for s in sinks { s.handle(event) } }
}

/// Keeps every event in memory (tests, small captures).
public final class EventCollector: EventSink {
    public private(set) var events: [Event] = []
    public init() {}
    public func handle(_ event: Event) { events.append(event) }
    public var clientHellos: [ClientHelloEvent] { events.compactMap { if case .clientHello(let e) = $0 { return e } else { return nil } } }
    public var serverHellos: [ServerHelloEvent] { events.compactMap { if case .serverHello(let e) = $0 { return e } else { return nil } } }
    public var summaries: [CaptureSummary] { events.compactMap { if case .captureSummary(let e) = $0 { return e } else { return nil } } }
}

/// Aggregates fingerprints for the short human summary `analyze` prints without `--events`.
public final class HumanSummary: EventSink {
    struct Row {
        var count = 0
        var snis: [String: Int] = [:]
        var statusRequestOffered = 0
        var statusRequestIndexes: Set<Int> = []
        var ja3: Set<String> = []
        var protocols: Set<String> = []
    }
    private var rows: [String: Row] = [:]
    private var summaries: [CaptureSummary] = []
    private var serverHellos = 0
    private var alerts = 0

    public init() {}

    public func handle(_ event: Event) {
        switch event {
        case .clientHello(let e):
            // Updated in place: a copy of the row would copy its SNI table on every hello.
            func update(_ row: inout Row) {
                row.count += 1
                if let sni = e.sni { row.snis[sni, default: 0] += 1 }
                if let sr = e.hello.statusRequest { row.statusRequestOffered += 1; row.statusRequestIndexes.insert(sr.index) }
                if let ja3 = e.ja3 { row.ja3.insert(ja3.hash) }
                row.protocols.insert(e.protocolName)
            }
            update(&rows[e.ja4.ja4, default: Row()])
        case .serverHello: serverHellos += 1
        case .tlsAlert: alerts += 1
        case .captureSummary(let s): summaries.append(s)
        default: break
        }
    }

    /// Plain text; every string from a packet is made printable first.
    public func render() -> String {
        var out = ""
        for s in summaries {
            out += "\(printable(s.capture)): \(s.format), \(s.packets) packets, \(s.flows) TCP flows, "
                + "\(s.clientHellos) ClientHellos, \(s.serverHellos) ServerHellos\(s.truncated ? ", truncated" : "")\n"
            let problems = s.counters.filter { ($0.key.contains("malformed") || $0.key.contains("truncated") || $0.key.contains("evicted")
                || $0.key.contains("dropped") || $0.key.contains("limit")) && $0.value > 0 }
            if !problems.isEmpty {
                out += "  counters: " + problems.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "\n"
            }
        }
        guard !rows.isEmpty else { return out + "no ClientHello found\n" }
        out += "\nJA4                                       hellos  status_request        SNIs\n"
        for (ja4, row) in rows.sorted(by: { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }) {
            let sr: String
            if row.statusRequestOffered == 0 { sr = "never" } else {
                let idx = row.statusRequestIndexes.sorted().map(String.init).joined(separator: ",")
                sr = (row.statusRequestOffered == row.count ? "always" : "sometimes") + " @\(idx)"
            }
            let snis = row.snis.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(4)
                .map { printable($0.key) }.joined(separator: ", ")
            let more = row.snis.count > 4 ? " (+\(row.snis.count - 4))" : ""
            out += pad(ja4, 41) + " " + pad(String(row.count), 7, right: true) + "  " + pad(sr, 20) + "  " + (snis.isEmpty ? "-" : snis) + more + "\n"
        }
        return out
    }

    private func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let n = s.count
        if n >= width { return s }
        return right ? String(repeating: " ", count: width - n) + s : s + String(repeating: " ", count: width - n)
    }
}

/// A string safe to print on a terminal: control characters and escape sequences shown as `\xNN`.
public func printable(_ s: String) -> String {
    var out = ""
    for scalar in s.unicodeScalars {
        let v = scalar.value
        if v < 0x20 || v == 0x7f || (v >= 0x80 && v < 0xa0) || v == 0x2028 || v == 0x2029 {
            let h = String(v, radix: 16)
            out += "\\x" + (h.count == 1 ? "0" + h : h)
        } else {
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}
