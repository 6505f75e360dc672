import CaptureInput
import Dispatch
import Fingerprints

/// The SHA-256 of a capture file, computed on another thread while the capture is analysed.
///
/// The report names each input by its SHA-256. Hashing runs at about 1.8 GB/s here, several times slower than the
/// analysis reads the file, so it runs beside it, over the same mapping the analysis reads (the pages are mapped
/// once, and counted once in the resident size), instead of before it: the wall time of `analyze --report` is then
/// that of the longer of the two, not their sum. Pipes and standard input are read once, by the analysis, and get
/// no digest.
public final class InputDigest: @unchecked Sendable {
    private let group = DispatchGroup()
    // Written once by the hashing thread before `leave()`, read only after `wait()`.
    private var result: String?

    /// Starts hashing the file behind `source` (nothing is started for a pipe, standard input or in-memory bytes).
    public init(source: ByteSource) {
        guard let file = source.mappedFile else { return }
        group.enter()
        DispatchQueue.global(qos: .utility).async { [self] in
            // `file` keeps the mapping alive until the hash is done.
            result = Digest.sha256Hex(of: file.bytes)
            group.leave()
        }
    }

    /// The lowercase hex SHA-256, waiting for the hash to finish; nil when nothing was hashed.
    public var sha256: String? {
        group.wait()
        return result
    }
}
