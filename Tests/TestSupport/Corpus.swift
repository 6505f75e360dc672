#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Paths of the repository and of the reference corpus that lives beside it (`../shared/corpus`).
public enum Paths {
    /// The package root (two levels above this file's folder).
    public static let packageRoot: String = {
        var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/TestSupport/Corpus.swift
        return parts.joined(separator: "/")
    }()

    /// `../shared/corpus` relative to the package root, when present.
    public static let corpus: String? = {
        var candidates = [packageRoot + "/../shared/corpus"]
        if let env = getenv("HELLOSCOPE_CORPUS") { candidates.insert(String(cString: env), at: 0) }
        return candidates.first { fileExists($0 + "/EXPECTED.tsv") }
    }()

    public static var corpusAvailable: Bool { corpus != nil }

    public static func fileExists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    public static func readFile(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }

    public static func writeFile(_ path: String, _ bytes: [UInt8]) {
        guard let f = fopen(path, "wb") else { return }
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
    }

    /// A path for a scratch file, in a directory of this test process that is removed, with what is in it, when
    /// the process exits.
    public static func temporaryPath(_ name: String) -> String {
        scratchDirectory + "/" + name
    }

    /// `/tmp/helloscope-test-PID`, made on first use; removed at exit (`atexit`).
    public static let scratchDirectory: String = {
        let dir = "/tmp/helloscope-test-\(getpid())"
        mkdir(dir, 0o700)
        atexit { removeTree("/tmp/helloscope-test-\(getpid())") }
        return dir
    }()

    /// Removes `path` and, when it is a directory, everything under it (symbolic links are removed, not followed).
    public static func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if st.st_mode & S_IFMT == S_IFDIR, let dir = opendir(path) {
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(dir)
            for name in names { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Every file under `directory` (recursively) whose name ends with one of `suffixes`.
    public static func files(under directory: String, suffixes: [String]) -> [String] {
        var out: [String] = []
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let path = directory + "/" + name
            if entry.pointee.d_type == UInt8(DT_DIR) {
                out += files(under: path, suffixes: suffixes)
            } else if suffixes.contains(where: { name.hasSuffix($0) }) {
                out.append(path)
            }
        }
        return out.sorted()
    }
}

/// One row of `EXPECTED.tsv`.
public struct ExpectedRow: Sendable {
    public var corpus: String
    public var capture: String
    public var frame: Int
    public var kind: String
    public var value: String
    public var path: String { (Paths.corpus ?? "") + "/" + corpus + "/" + capture }
}

public enum Expected {
    public static func rows() -> [ExpectedRow] {
        guard let root = Paths.corpus, let bytes = Paths.readFile(root + "/EXPECTED.tsv") else { return [] }
        let text = String(decoding: bytes, as: UTF8.self)
        var out: [ExpectedRow] = []
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 5, let frame = Int(f[2]) else { continue }
            out.append(ExpectedRow(corpus: f[0], capture: f[1], frame: frame, kind: f[3], value: f[4]))
        }
        return out
    }
}
