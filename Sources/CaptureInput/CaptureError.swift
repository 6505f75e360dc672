/// Errors that stop the reading of a capture. Problems inside a readable capture (a truncated record, a block
/// with a bad length) are not errors: they are counted in ``CaptureCounters`` and reading goes on where it can.
public enum CaptureError: Error, Equatable, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case empty
    case notACapture(detail: String)
    case compressed(format: String)
    case readFailed(reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(_, let reason): return "cannot open: \(reason)"
        case .empty: return "empty file, not a packet capture"
        case .notACapture(let detail): return "not a packet capture (\(detail))"
        case .compressed(let format):
            return "\(format)-compressed file; decompress it first, e.g. `\(format == "gzip" ? "gzip -dc" : format == "xz" ? "xz -dc" : format == "zstd" ? "zstd -dc" : "bzip2 -dc") FILE | helloscope analyze -`"
        case .readFailed(let reason): return "read failed: \(reason)"
        }
    }
}
