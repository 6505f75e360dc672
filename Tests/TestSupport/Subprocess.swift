import Foundation

/// Runs programs from tests (the helloscope binary, a shell pipeline, `live` on an interface).
public enum Subprocess {
    /// Runs `executable` with `arguments` to its end: its exit status, standard output and standard error as text.
    /// With `once`, standard error is read until it contains `once.says` (or ends), then `once.then` is called with
    /// the running process (to send it traffic or a signal) before the rest is read.
    public static func run(_ executable: String, _ arguments: [String],
                           once: (says: String, then: (Process) -> Void)? = nil) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        var errData = Data()
        if let once {
            let h = err.fileHandleForReading
            while !String(decoding: errData, as: UTF8.self).contains(once.says) {
                let chunk = h.availableData
                if chunk.isEmpty { break }
                errData.append(chunk)
            }
            once.then(p)
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        errData.append(err.fileHandleForReading.readDataToEndOfFile())
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}
