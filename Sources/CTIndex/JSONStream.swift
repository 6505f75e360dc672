/// Splits a JSON byte stream into records without holding more than one record in memory.
///
/// A record is an object that is (a) a top-level value (one per line in NDJSON, or pretty-printed), (b) an
/// element of a top-level array (crt.sh export), or (c) an element of the `"entries"` array of a top-level object
/// (RFC 6962 get-entries). Only strings and bracket depth are tracked here; the record's content is checked by
/// the record parser. A record longer than `maximumRecordSize` is not kept (reported as oversized).
///
/// Resynchronisation after damage: a raw line break inside a string ends the record as malformed (JSON strings
/// cannot hold one); an `{` in the first column while inside a top-level record starts a new record and reports
/// the unfinished one (NDJSON with a cut line). Text outside records that is not `[ ] , :` or white space is
/// skipped and reported once per run.
struct JSONRecordSplitter {
    enum Event {
        case record(UnsafeBufferPointer<UInt8>)
        case oversized(size: Int)
        case malformed(String)
    }

    let maximumRecordSize: Int
    private(set) var buffer: [UInt8] = []
    private var depth = 0
    /// Container kinds of the first levels outside a record (true = array).
    private var outerIsArray: [Bool] = []
    private var inString = false
    private var escaped = false
    private var capturing = false
    private var recordDepth = 0
    private var recordSize = 0
    private var oversized = false
    private var inGarbage = false
    private var atLineStart = true
    /// Wrapper object whose "entries" array holds the records.
    private var wrapperDepth = -1

    /// 1-based line of the current byte, and of the current record's start.
    private(set) var line = 1
    private(set) var recordLine = 0
    /// Records started so far (1-based number of the current one).
    private(set) var recordNumber = 0

    init(maximumRecordSize: Int) {
        self.maximumRecordSize = maximumRecordSize
    }

    private mutating func startRecord(at d: Int) {
        capturing = true
        recordDepth = d
        recordSize = 0
        oversized = false
        buffer.removeAll(keepingCapacity: true)
        recordNumber += 1
        recordLine = line
        inGarbage = false
    }

    private mutating func keep(_ chunk: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) {
        guard capturing, to > from else { return }
        recordSize += to - from
        if oversized { return }
        if recordSize > maximumRecordSize {
            oversized = true
            buffer.removeAll(keepingCapacity: false)
            return
        }
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[from..<to]))
    }

    /// True when the kept bytes end with `"entries"` and a colon (white space allowed).
    private func bufferEndsWithEntriesKey() -> Bool {
        var i = buffer.count - 1
        while i >= 0, isSpace(buffer[i]) { i -= 1 }
        guard i >= 0, buffer[i] == UInt8(ascii: ":") else { return false }
        i -= 1
        while i >= 0, isSpace(buffer[i]) { i -= 1 }
        let key = Array("\"entries\"".utf8)
        guard i + 1 >= key.count else { return false }
        return Array(buffer[(i + 1 - key.count)...i]) == key
    }

    /// Feeds bytes; `emit` receives every completed record or problem in order.
    mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, _ emit: (Event, Int, Int) throws -> Void) rethrows {
        let n = chunk.count
        var i = 0
        var segStart = 0
        while i < n {
            let c = chunk[i]
            if inString {
                // Fast scan to the next interesting byte: eight bytes at a time while none of them is '"', '\\'
                // or a line break (SWAR zero-byte test), then byte by byte.
                if !escaped, let base = chunk.baseAddress {
                    let raw = UnsafeRawPointer(base)
                    while i + 8 <= n {
                        let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                        if swarHasByte(w, 0x22) || swarHasByte(w, 0x5c) || swarHasByte(w, 0x0a) { break }
                        i += 8
                    }
                }
                while i < n {
                    let d = chunk[i]
                    if escaped {
                        escaped = false
                        if d == 0x0a { break }
                        i += 1
                        continue
                    }
                    if d == UInt8(ascii: "\"") || d == UInt8(ascii: "\\") || d == 0x0a { break }
                    i += 1
                }
                if i >= n { break }
                let d = chunk[i]
                if d == UInt8(ascii: "\\") {
                    escaped = true
                    i += 1
                    continue
                }
                if d == UInt8(ascii: "\"") {
                    inString = false
                    i += 1
                    continue
                }
                // Raw line break inside a string: the record is broken.
                inString = false
                escaped = false
                if capturing {
                    capturing = false
                    try emit(.malformed("line break inside a string"), recordNumber, recordLine)
                    depth = recordDepth
                } else {
                    inGarbage = false
                }
                line += 1
                atLineStart = true
                i += 1
                segStart = i
                continue
            }
            if c == 0x0a {
                line += 1
                atLineStart = true
                if !capturing { inGarbage = false }
                i += 1
                continue
            }
            let lineStart = atLineStart
            atLineStart = false
            if capturing {
                switch c {
                case UInt8(ascii: "\""):
                    inString = true
                case UInt8(ascii: "{"):
                    if lineStart && recordDepth == 0 && wrapperDepth < 0 {
                        // NDJSON: a new record begins in column 1 while the previous one is unfinished.
                        keep(chunk, segStart, i)
                        capturing = false
                        try emit(.malformed("record not terminated"), recordNumber, recordLine)
                        depth = 0
                        startRecord(at: 0)
                        segStart = i
                    }
                    depth += 1
                case UInt8(ascii: "["):
                    if depth == 1 && recordDepth == 0 && wrapperDepth < 0 {
                        keep(chunk, segStart, i)
                        segStart = i
                        if !oversized && bufferEndsWithEntriesKey() {
                            // A get-entries wrapper: its array elements are the records.
                            capturing = false
                            recordNumber -= 1
                            wrapperDepth = 0
                            outerIsArray = [false, true]
                            depth = 2
                            i += 1
                            segStart = i
                            continue
                        }
                    }
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth <= recordDepth {
                        depth = recordDepth
                        keep(chunk, segStart, i + 1)
                        capturing = false
                        if oversized {
                            try emit(.oversized(size: recordSize), recordNumber, recordLine)
                        } else {
                            try buffer.withUnsafeBufferPointer { try emit(.record($0), recordNumber, recordLine) }
                        }
                        i += 1
                        segStart = i
                        continue
                    }
                default:
                    break
                }
                i += 1
                continue
            }
            // Outside a record.
            switch c {
            case UInt8(ascii: "{"):
                let isRecordPosition: Bool
                if depth == 0 {
                    isRecordPosition = true
                } else if depth == 1 {
                    isRecordPosition = outerIsArray.first == true
                } else if depth == 2 {
                    isRecordPosition = wrapperDepth == 0
                } else {
                    isRecordPosition = false
                }
                if isRecordPosition {
                    startRecord(at: depth)
                    depth += 1
                    segStart = i
                    i += 1
                    continue
                } else {
                    // Nested object outside any record position (e.g. inside a wrapper's other fields): skip it.
                    depth += 1
                    if outerIsArray.count < depth { outerIsArray.append(false) }
                }
            case UInt8(ascii: "["):
                if outerIsArray.count > depth { outerIsArray[depth] = true } else { outerIsArray.append(true) }
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth > 0 { depth -= 1 }
                if depth < outerIsArray.count { outerIsArray.removeLast(outerIsArray.count - depth) }
                if wrapperDepth >= 0 && depth == 0 { wrapperDepth = -1 }
            case UInt8(ascii: "\""):
                // A string outside a record: a key or value of a wrapper, or junk.
                inString = true
                if depth == 0 || (depth == 1 && outerIsArray.first == true) { try garbage(emit) }
            case UInt8(ascii: ","), UInt8(ascii: ":"), 0x20, 0x09, 0x0d:
                break
            default:
                if depth == 0 || (depth == 1 && outerIsArray.first == true) { try garbage(emit) }
            }
            i += 1
            segStart = i
        }
        keep(chunk, segStart, n)
    }

    private mutating func garbage(_ emit: (Event, Int, Int) throws -> Void) rethrows {
        if !inGarbage {
            inGarbage = true
            recordNumber += 1
            recordLine = line
            try emit(.malformed("text outside a record"), recordNumber, recordLine)
        }
    }

    /// End of input: an unfinished record is reported.
    mutating func finish(_ emit: (Event, Int, Int) throws -> Void) rethrows {
        if capturing {
            capturing = false
            try emit(.malformed("truncated record"), recordNumber, recordLine)
        }
    }
}

/// True when some byte of `w` equals `b`.
@inline(__always)
func swarHasByte(_ w: UInt64, _ b: UInt8) -> Bool {
    let x = w ^ (0x0101_0101_0101_0101 &* UInt64(b))
    return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 != 0
}

@inline(__always)
func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09 }

/// Errors of the per-record JSON parser.
struct JSONError: Error, CustomStringConvertible {
    let description: String
    init(_ s: String) { description = s }
}

/// A cursor over one record's bytes with the operations the readers need: strings decoded into a reusable
/// buffer, numbers as raw text, values skipped, and a small tree parser for the nested shapes.
struct JSONCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    @inline(__always)
    mutating func skipSpace() {
        while i < bytes.count, isSpace(bytes[i]) { i += 1 }
    }

    @inline(__always)
    mutating func peek() -> UInt8? {
        skipSpace()
        return i < bytes.count ? bytes[i] : nil
    }

    mutating func expect(_ c: UInt8) throws {
        guard peek() == c else { throw JSONError("expected '\(Character(UnicodeScalar(c)))' at offset \(i)") }
        i += 1
    }

    /// Reads the members of an object: `body` gets the key bytes and must consume the value.
    mutating func object(_ body: (inout JSONCursor, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        if peek() == UInt8(ascii: "}") {
            i += 1
            return
        }
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw JSONError("expected a key at offset \(i)") }
            let key = try rawKey()
            try expect(UInt8(ascii: ":"))
            try body(&self, key)
            guard let c = peek() else { throw JSONError("unterminated object") }
            i += 1
            if c == UInt8(ascii: "}") { return }
            guard c == UInt8(ascii: ",") else { throw JSONError("expected ',' or '}' at offset \(i - 1)") }
        }
    }

    /// Key bytes (escape sequences are kept as written; the keys looked for have none).
    private mutating func rawKey() throws -> UnsafeBufferPointer<UInt8> {
        i += 1
        let start = i
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\\") {
                i += 2
                continue
            }
            if c == UInt8(ascii: "\"") {
                let key = UnsafeBufferPointer(rebasing: bytes[start..<i])
                i += 1
                return key
            }
            i += 1
        }
        throw JSONError("unterminated key")
    }

    /// True and consumes `null` when the next value is null.
    mutating func null() -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        if i + 4 <= bytes.count, bytes[i + 1] == UInt8(ascii: "u"), bytes[i + 2] == UInt8(ascii: "l"),
           bytes[i + 3] == UInt8(ascii: "l") {
            i += 4
            return true
        }
        return false
    }

    /// Decodes a string value into `out` (replacing its contents).
    mutating func string(into out: inout [UInt8]) throws {
        out.removeAll(keepingCapacity: true)
        guard peek() == UInt8(ascii: "\"") else { throw JSONError("expected a string at offset \(i)") }
        i += 1
        var start = i
        while i < bytes.count {
            // Eight plain bytes at a time (no '"', '\\' or control character).
            if let base = bytes.baseAddress {
                let raw = UnsafeRawPointer(base)
                while i + 8 <= bytes.count {
                    let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    let controls = (w &- 0x2020_2020_2020_2020) & ~w & 0x8080_8080_8080_8080
                    if controls != 0 || swarHasByte(w, 0x22) || swarHasByte(w, 0x5c) { break }
                    i += 8
                }
                if i >= bytes.count { break }
            }
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                i += 1
                return
            }
            if c < 0x20 { throw JSONError("control character in a string") }
            if c == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                i += 1
                guard i < bytes.count else { break }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0c)
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00, i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"),
                       bytes[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let low = try hex4()
                        if low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            scalar = 0xFFFD
                        }
                    }
                    let u = UnicodeScalar(scalar) ?? "\u{FFFD}"
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    throw JSONError("bad escape in a string")
                }
                start = i
                continue
            }
            i += 1
        }
        throw JSONError("unterminated string")
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw JSONError("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let d = hexValue(bytes[i]) else { throw JSONError("bad \\u escape") }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }

    /// The raw text of a number value.
    mutating func numberText() throws -> UnsafeBufferPointer<UInt8> {
        skipSpace()
        let start = i
        while i < bytes.count {
            let c = bytes[i]
            if (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                i += 1
            } else {
                break
            }
        }
        guard i > start else { throw JSONError("expected a number at offset \(start)") }
        return UnsafeBufferPointer(rebasing: bytes[start..<i])
    }

    /// An integer value (a number without fraction, or a string of digits); nil for null.
    mutating func integer() throws -> Int64? {
        if null() { return nil }
        if peek() == UInt8(ascii: "\"") {
            var s: [UInt8] = []
            try string(into: &s)
            return parseInt(s[...])
        }
        let t = try numberText()
        return parseInt(t[...])
    }

    /// Skips one value of any kind.
    mutating func skipValue() throws {
        guard let c = peek() else { throw JSONError("expected a value") }
        switch c {
        case UInt8(ascii: "\""):
            i += 1
            while i < bytes.count {
                let d = bytes[i]
                if d == UInt8(ascii: "\\") {
                    i += 2
                    continue
                }
                i += 1
                if d == UInt8(ascii: "\"") { return }
            }
            throw JSONError("unterminated string")
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while i < bytes.count {
                let d = bytes[i]
                if d == UInt8(ascii: "\"") {
                    try skipValue()
                    continue
                }
                i += 1
                if d == UInt8(ascii: "{") || d == UInt8(ascii: "[") { depth += 1 }
                if d == UInt8(ascii: "}") || d == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { return }
                }
            }
            throw JSONError("unterminated container")
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            let start = i
            while i < bytes.count, bytes[i] >= UInt8(ascii: "a"), bytes[i] <= UInt8(ascii: "z") { i += 1 }
            let word = Array(bytes[start..<i])
            guard word == Array("true".utf8) || word == Array("false".utf8) || word == Array("null".utf8) else {
                throw JSONError("bad literal")
            }
        default:
            _ = try numberText()
        }
    }

    /// Parses one value into a tree.
    mutating func value(depth: Int = 0) throws -> JSONValue {
        guard depth < 64 else { throw JSONError("nesting too deep") }
        guard let c = peek() else { throw JSONError("expected a value") }
        switch c {
        case UInt8(ascii: "{"):
            var members: [(String, JSONValue)] = []
            try object { cur, key in
                members.append((String(decoding: key, as: UTF8.self), try cur.value(depth: depth + 1)))
            }
            return .object(members)
        case UInt8(ascii: "["):
            i += 1
            var items: [JSONValue] = []
            if peek() == UInt8(ascii: "]") {
                i += 1
                return .array(items)
            }
            while true {
                items.append(try value(depth: depth + 1))
                guard let d = peek() else { throw JSONError("unterminated array") }
                i += 1
                if d == UInt8(ascii: "]") { return .array(items) }
                guard d == UInt8(ascii: ",") else { throw JSONError("expected ',' or ']'") }
            }
        case UInt8(ascii: "\""):
            var s: [UInt8] = []
            try string(into: &s)
            return .string(String(decoding: s, as: UTF8.self))
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            let start = i
            try skipValue()
            let w = bytes[start]
            return w == UInt8(ascii: "n") ? .null : .bool(w == UInt8(ascii: "t"))
        default:
            let t = try numberText()
            return .number(String(decoding: t, as: UTF8.self))
        }
    }

    /// True when only white space is left.
    mutating func atEnd() -> Bool { peek() == nil }
}

/// A parsed JSON value (used for the nested certstream and Censys shapes).
indirect enum JSONValue {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    subscript(key: String) -> JSONValue? {
        if case .object(let m) = self { return m.first { $0.0 == key }?.1 }
        return nil
    }

    var string: String? {
        switch self {
        case .string(let s): return s
        case .number(let s): return s
        default: return nil
        }
    }

    var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    var members: [(String, JSONValue)]? { if case .object(let m) = self { return m } else { return nil } }

    /// Integer part of a number (or numeric string), e.g. epoch seconds written as a float.
    var int64: Int64? {
        guard let s = string else { return nil }
        let intPart = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return parseInt(Array(intPart.utf8)[...])
    }
}

@inline(__always)
func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}

func parseInt(_ s: some Collection<UInt8>) -> Int64? {
    var v: Int64 = 0
    var neg = false
    var any = false
    for (k, c) in s.enumerated() {
        if k == 0 && c == UInt8(ascii: "-") {
            neg = true
            continue
        }
        guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
        let (m, o1) = v.multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(Int64(c - UInt8(ascii: "0")))
        guard !o1, !o2 else { return nil }
        v = a
        any = true
    }
    return any ? (neg ? -v : v) : nil
}
