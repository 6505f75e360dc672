import Report

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a report goes: standard output (`-`), or a file replaced atomically — written to a temporary file in the
/// same directory, fsync'd, renamed over the report, then the directory is fsync'd: a reader sees the old report or
/// the new one, never a partial one. The text is written as it is produced, in chunks, never held whole.
struct ReportFile {
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

    /// Writes what `produce` writes, followed by a newline, as the new report; returns the problem, or nil.
    func write(_ produce: (inout PrettyJSONWriter) -> Void) -> String? {
        if path == "-" { return Self.stream(to: 1, produce) }
        let dir = Self.directory(of: path)
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let tmp = (dir == "." && !path.hasPrefix("./") ? "" : dir + "/") + ".\(base).tmp.\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return "\(tmp): \(String(cString: strerror(errno)))" }
        var problem = Self.stream(to: fd, produce)
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

    /// Runs `produce` with a writer that hands its text to `fd` every 64 KiB; returns the first write error.
    private static func stream(to fd: Int32, _ produce: (inout PrettyJSONWriter) -> Void) -> String? {
        var failure: Int32?
        var w = PrettyJSONWriter { chunk in
            if failure == nil { failure = Terminal.writeAll(fd, chunk) }
        }
        produce(&w)
        w.finish()
        if failure == nil { failure = Terminal.writeAll(fd, "\n") }
        return failure.map { String(cString: strerror($0)) }
    }
}
