#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file, unmapped when released.
///
/// Captures are read through the mapping: packet views point into it, so no packet is ever copied.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let bytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?
    private let mappedLength: Int

    public init(path: String) throws(CaptureError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CaptureError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw CaptureError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw CaptureError.cannotOpen(path: path, reason: "is a directory") }
        let size = Int(st.st_size)
        if size == 0 {
            mapping = nil
            mappedLength = 0
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            throw CaptureError.cannotOpen(path: path, reason: "mmap failed: " + String(cString: strerror(errno)))
        }
        _ = madvise(p, size, MADV_SEQUENTIAL)
        mapping = p
        mappedLength = size
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    /// Whether `path` names something that cannot be mapped (a pipe, a character device such as stdin).
    public static func isStream(path: String) -> Bool {
        if path == "-" { return true }
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        let kind = st.st_mode & S_IFMT
        return kind == S_IFIFO || kind == S_IFCHR || kind == S_IFSOCK
    }

    deinit {
        if let mapping { munmap(mapping, mappedLength) }
    }
}
