#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PKIParsing

/// Input formats (`--ct-format`).
public enum CTSourceFormat: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Detect from the content (and recurse into directories).
    case auto
    /// crt.sh JSON export: an array of objects (or one object per line).
    case crtsh
    /// RFC 6962 get-entries (`{"entries":[…]}`), get-entry-and-proof, or one `{leaf_input, extra_data}` per line.
    case rfc6962
    /// certstream `certificate_update` messages, one per line (pretty-printed also accepted).
    case certstream
    /// Censys certificate JSON (`parsed.serial_number` decimal, `raw` DER), one per line, an array, or one object.
    case censys
    /// PEM certificates (a file may hold a bundle).
    case pem
    /// DER certificates (one or several concatenated).
    case der

    public var description: String { rawValue }
}

/// One record that could not be used.
public struct CTRecordProblem: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based record number in the file (JSON object, PEM block or DER certificate).
    public var record: Int
    /// 1-based line where the record starts (0 for DER).
    public var line: Int
    public var reason: String
    public var description: String { "\(file): record \(record) (line \(line)): \(reason)" }
}

/// What a load did.
public struct CTLoadStats: Sendable, Hashable {
    public var path: String
    /// The format used (detected or forced); for a directory, the last file's.
    public var format: CTSourceFormat
    public var files = 0
    /// Entries added.
    public var entries = 0
    /// Records skipped as malformed (bad JSON, bad serial, undecodable certificate, truncation).
    public var malformed = 0
    /// Records skipped for exceeding `CTIndexLimits.maximumRecordSize`.
    public var oversized = 0
    /// Records that are well formed but carry no certificate (certstream heartbeats, other message types).
    public var ignored = 0
    /// The first `CTIndexLimits.maximumProblemsKept` problems.
    public var problems: [CTRecordProblem] = []
    public var bytes = 0
    public var seconds = 0.0

    /// Malformed plus oversized.
    public var skipped: Int { malformed + oversized }
    public var entriesPerSecond: Double { seconds > 0 ? Double(entries) / seconds : 0 }

    mutating func merge(_ o: CTLoadStats, keep: Int) {
        files += o.files
        entries += o.entries
        malformed += o.malformed
        oversized += o.oversized
        ignored += o.ignored
        bytes += o.bytes
        format = o.format
        for p in o.problems where problems.count < keep { problems.append(p) }
    }
}

/// Reads a file (or bytes in memory) in chunks.
struct ChunkReader {
    let fd: Int32
    var buffer: [UInt8]
    private var memory: [UInt8]?
    private var memoryOffset = 0

    init(path: String, chunkSize: Int = 1 << 20) throws {
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CTIndexError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        buffer = [UInt8](repeating: 0, count: chunkSize)
    }

    init(bytes: [UInt8], chunkSize: Int = 1 << 20) {
        fd = -1
        memory = bytes
        buffer = [UInt8](repeating: 0, count: chunkSize)
    }

    /// The first bytes of an in-memory input (for format detection whatever the chunk size).
    var memoryHead: ArraySlice<UInt8>? { memory.map { $0.prefix(1 << 16) } }

    /// Reads the next chunk into `buffer`; returns the byte count (0 at end).
    mutating func next() -> Int {
        if let m = memory {
            let n = min(buffer.count, m.count - memoryOffset)
            if n > 0 { buffer.replaceSubrange(0..<n, with: m[memoryOffset..<(memoryOffset + n)]) }
            memoryOffset += n
            return n
        }
        let fd = self.fd
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            return max(0, n)
        }
    }

    func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func isDirectory(_ path: String) -> Bool {
    var st = stat()
    guard stat(path, &st) == 0 else { return false }
    return (st.st_mode & S_IFMT) == S_IFDIR
}

/// File kind without following a symbolic link: 1 regular file, 2 directory, 0 other (links, FIFOs, devices).
func entryKind(_ path: String) -> Int {
    var st = stat()
    guard lstat(path, &st) == 0 else { return 0 }
    switch st.st_mode & S_IFMT {
    case S_IFREG: return 1
    case S_IFDIR: return 2
    case S_IFLNK:
        // A link to a regular file is read; a link to a directory is not followed (no cycles).
        var target = stat()
        guard stat(path, &target) == 0 else { return 0 }
        return (target.st_mode & S_IFMT) == S_IFREG ? 1 : 0
    default: return 0
    }
}

func directoryFiles(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var out: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name.hasPrefix(".") { continue }
        out.append(path + "/" + name)
    }
    return out.sorted()
}

extension CTSourceFormat {
    /// Detects the format from the first bytes of a file; nil when none fits.
    static func detect(_ head: ArraySlice<UInt8>) -> CTSourceFormat? {
        guard let first = head.first(where: { !isSpace($0) }) else { return nil }
        func has(_ s: String) -> Bool {
            let needle = Array(s.utf8)
            guard needle.count <= head.count else { return false }
            var i = head.startIndex
            let last = head.endIndex - needle.count
            while i <= last {
                if head[i] == needle[0] && head[i..<(i + needle.count)].elementsEqual(needle) { return true }
                i += 1
            }
            return false
        }
        if has("-----BEGIN ") { return .pem }
        if first == 0x30 { return .der }
        guard first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else { return nil }
        if has("\"leaf_input\"") { return .rfc6962 }
        if has("\"leaf_cert\"") || has("\"message_type\"") { return .certstream }
        if has("\"issuer_ca_id\"") || has("\"name_value\"") { return .crtsh }
        if has("\"parsed\"") || has("\"fingerprint_sha256\"") { return .censys }
        if has("\"serial_number\"") && has("\"issuer_name\"") { return .crtsh }
        return nil
    }
}

extension CTIndex {
    /// Loads a file or a directory (recursively; every file detected by content; unrecognised files, hidden files,
    /// FIFOs and devices skipped; symbolic links to directories not followed).
    /// Records that cannot be used are counted and skipped; only an unreadable path, an undetectable format, or
    /// exhausted index capacity throws.
    @discardableResult
    public mutating func load(path: String, format: CTSourceFormat = .auto) throws -> CTLoadStats {
        let start = monotonicSeconds()
        var stats = CTLoadStats(path: path, format: format)
        if isDirectory(path) {
            for f in directoryFiles(path) {
                switch entryKind(f) {
                case 2:
                    stats.merge(try load(path: f, format: format), keep: limits.maximumProblemsKept)
                case 1:
                    do {
                        stats.merge(try loadFile(path: f, format: format), keep: limits.maximumProblemsKept)
                    } catch CTIndexError.unknownFormat {
                        stats.ignored += 1
                    }
                default:
                    stats.ignored += 1
                }
            }
        } else {
            stats = try loadFile(path: path, format: format)
        }
        stats.seconds = monotonicSeconds() - start
        return stats
    }

    mutating func loadFile(path: String, format: CTSourceFormat) throws -> CTLoadStats {
        var reader = try ChunkReader(path: path)
        defer { reader.close() }
        return try load(reader: &reader, path: path, format: format)
    }

    mutating func load(reader: inout ChunkReader, path: String, format: CTSourceFormat) throws -> CTLoadStats {
        var stats = CTLoadStats(path: path, format: format)
        stats.files = 1
        var n = reader.next()
        stats.bytes += n
        var fmt = format
        if fmt == .auto {
            guard let d = CTSourceFormat.detect(reader.memoryHead ?? reader.buffer[0..<min(n, 1 << 16)]) else {
                throw CTIndexError.unknownFormat(path: path)
            }
            fmt = d
        }
        stats.format = fmt
        let source = sourceID(path)
        var loader = RecordLoader(format: fmt, source: source, path: path, limits: limits)
        switch fmt {
        case .pem:
            var pem = PEMSplitter(maximumBlockSize: limits.maximumRecordSize)
            while n > 0 {
                try reader.buffer.withUnsafeBufferPointer { buf in
                    try pem.feed(UnsafeBufferPointer(rebasing: buf[0..<n])) { ev, number, line in
                        try loader.handlePEM(ev, line: line, number: number, index: &self, stats: &stats)
                    }
                }
                n = reader.next()
                stats.bytes += n
            }
            try pem.finish { ev, number, line in try loader.handlePEM(ev, line: line, number: number, index: &self, stats: &stats) }
            try loader.finishCertificates(index: &self, stats: &stats)
        case .der:
            var der = DERSplitter(maximumSize: limits.maximumRecordSize)
            while n > 0 {
                try reader.buffer.withUnsafeBufferPointer { buf in
                    try der.feed(UnsafeBufferPointer(rebasing: buf[0..<n])) { ev, number, line in
                        try loader.handlePEM(ev, line: line, number: number, index: &self, stats: &stats)
                    }
                }
                n = reader.next()
                stats.bytes += n
            }
            try der.finish { ev, number, line in try loader.handlePEM(ev, line: line, number: number, index: &self, stats: &stats) }
            try loader.finishCertificates(index: &self, stats: &stats)
        case .crtsh:
            try loadCrtshPipelined(reader: reader, firstCount: n, loader: &loader, stats: &stats)
        default:
            var splitter = JSONRecordSplitter(maximumRecordSize: limits.maximumRecordSize)
            while n > 0 {
                try reader.buffer.withUnsafeBufferPointer { buf in
                    try splitter.feed(UnsafeBufferPointer(rebasing: buf[0..<n])) { ev, number, line in
                        try loader.handleJSON(ev, line: line, number: number, index: &self, stats: &stats)
                    }
                }
                n = reader.next()
                stats.bytes += n
            }
            try splitter.finish { ev, number, line in
                try loader.handleJSON(ev, line: line, number: number, index: &self, stats: &stats)
            }
        }
        return stats
    }

    /// Loads bytes already in memory (tests, pipes); `name` is the source recorded in candidates and problems.
    /// `chunkSize` is the read size used internally (records spanning chunks are reassembled).
    @discardableResult
    public mutating func load(bytes: [UInt8], name: String, format: CTSourceFormat = .auto,
                              chunkSize: Int = 1 << 16) throws -> CTLoadStats {
        let start = monotonicSeconds()
        var reader = ChunkReader(bytes: bytes, chunkSize: max(1, chunkSize))
        var s = try load(reader: &reader, path: name, format: format)
        s.seconds = monotonicSeconds() - start
        return s
    }
}
