#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes events as newline-delimited JSON to a file descriptor.
///
/// To a regular file, lines are gathered and written 64 KiB at a time, and at every capture summary (the end of a
/// capture); to a pipe or a terminal, or when `flushEachEvent` is set (live capture, where someone may be
/// following the file), each event is written at once with one `write`, so a reader sees whole lines as they
/// happen. Call `flush()` before reading the file back while the writer is still alive; it also flushes when
/// released.
public final class NDJSONEventWriter: EventSink {
    private let fd: Int32
    private let ownsDescriptor: Bool
    private let buffered: Bool
    @exclusivity(unchecked) private var writer = JSONWriter(capacity: 80 << 10)
    @exclusivity(unchecked) public private(set) var eventsWritten = 0
    public private(set) var writeError: String?

    static let flushThreshold = 64 << 10

    /// Opens `path` for writing (`-` is standard output).
    public init(path: String, flushEachEvent: Bool = false) throws {
        if path == "-" {
            fd = 1
            ownsDescriptor = false
        } else {
            let f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard f >= 0 else { throw OutputError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
            fd = f
            ownsDescriptor = true
        }
        var st = stat()
        buffered = !flushEachEvent && fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    deinit {
        flush()
        if ownsDescriptor { close(fd) }
    }

    public func handle(_ event: Event) {
        event.write(to: &writer)
        writer.endLine()
        eventsWritten += 1
        if !buffered || writer.byteCount >= Self.flushThreshold {
            flush()
        } else if case .captureSummary = event {
            flush()
        }
    }

    /// Writes out the lines gathered so far.
    public func flush() {
        guard writer.byteCount > 0 else { return }
        writer.withBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(fd, raw.baseAddress! + off, raw.count - off)
                if n > 0 { off += n } else if n < 0 && errno == EINTR { continue } else {
                    writeError = String(cString: strerror(errno))
                    return
                }
            }
        }
        writer.reset()
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
    public let sinks: [EventSink]
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
