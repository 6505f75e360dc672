import PacketDecoding

/// A small streaming JSON writer into a reusable byte buffer: objects and arrays in the order written,
/// strings escaped per RFC 8259 (control characters as `\u00XX`, and U+2028/U+2029 escaped too so the output
/// is safe to embed in JavaScript), never a raw byte from a packet.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// One bit per open object or array (the innermost in bit 0): whether a member was written, so the next one
    /// needs a comma. Nesting deeper than 64 keeps its bits in `deepComma`.
    private var commaBits: UInt64 = 0
    private var depth = 0
    private var deepComma: [UInt64] = []

    public init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        resetNesting()
    }

    private mutating func resetNesting() {
        commaBits = 0
        depth = 0
        deepComma.removeAll(keepingCapacity: true)
        keyPending = false
    }

    /// Ends a top-level value with a newline and prepares for the next one, keeping the bytes written so far
    /// (newline-delimited JSON, several lines per buffer).
    public mutating func endLine() {
        bytes.append(0x0a)
        resetNesting()
    }

    @inline(__always)
    private mutating func separator() {
        guard depth > 0 else { return }
        if commaBits & 1 != 0 { bytes.append(UInt8(ascii: ",")) }
        commaBits |= 1
    }

    @inline(__always)
    private mutating func open(_ c: UInt8) {
        valueStart()
        bytes.append(c)
        if depth >= 64 { deepComma.append(commaBits >> 63) }
        commaBits <<= 1
        depth += 1
    }

    @inline(__always)
    private mutating func close(_ c: UInt8) {
        precondition(depth > 0, "JSONWriter: close without open")
        depth -= 1
        commaBits >>= 1
        if depth >= 64 { commaBits |= deepComma.removeLast() << 63 }
        bytes.append(c)
    }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    /// Writes `"name":` — the next value call writes the value. Member names written in the source are plain
    /// ASCII with nothing to escape (checked in debug builds), so they are copied as they are.
    public mutating func key(_ name: StaticString) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        let names = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        assert(names.allSatisfy { $0 >= 0x20 && $0 < 0x7f && $0 != 0x22 && $0 != 0x5c }, "member name needs escaping")
        bytes.append(contentsOf: names)
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        keyPending = true
    }

    /// Writes `"name":` for a name made at run time (escaped).
    public mutating func key(text name: String) {
        separator()
        appendQuoted(name)
        bytes.append(UInt8(ascii: ":"))
        keyPending = true
    }

    private var keyPending = false

    private mutating func valueStart() {
        if keyPending {
            keyPending = false
        } else {
            separator()
        }
    }

    public mutating func string(_ s: String) { valueStart(); appendQuoted(s) }
    public mutating func int<T: BinaryInteger>(_ v: T) {
        valueStart()
        if let x = Int64(exactly: v) { appendDecimal(x) } else { bytes.append(contentsOf: String(v).utf8) }
    }

    /// The decimal digits of `x` (as `String(x)` writes them), without building a string.
    private mutating func appendDecimal(_ x: Int64) { appendDecimalDigits(x, to: &bytes) }
    public mutating func bool(_ v: Bool) { valueStart(); bytes.append(contentsOf: (v ? "true" : "false").utf8) }
    public mutating func null() { valueStart(); bytes.append(contentsOf: "null".utf8) }
    public mutating func double(_ v: Double, decimals: Int = 3) {
        valueStart()
        if !v.isFinite { bytes.append(contentsOf: "null".utf8); return }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let r = (v * scale).rounded() / scale
        var text = String(r)
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    public mutating func optionalString(_ s: String?) { if let s { string(s) } else { null() } }
    public mutating func optionalInt<T: BinaryInteger>(_ v: T?) { if let v { int(v) } else { null() } }

    // Object members.
    public mutating func field(_ name: StaticString, _ v: String) { key(name); string(v) }
    public mutating func field(_ name: StaticString, _ v: String?) { key(name); optionalString(v) }
    public mutating func field<T: BinaryInteger>(_ name: StaticString, _ v: T) { key(name); int(v) }
    public mutating func field<T: BinaryInteger>(_ name: StaticString, _ v: T?) { key(name); optionalInt(v) }
    public mutating func field(_ name: StaticString, _ v: Bool) { key(name); bool(v) }
    public mutating func field<S: Sequence>(_ name: StaticString, ints: S) where S.Element: BinaryInteger {
        key(name)
        beginArray()
        for v in ints { int(v) }
        endArray()
    }

    /// An IP address in its text form (`IPAddress.description`), formatted in place.
    public mutating func field(_ name: StaticString, address: IPAddress) {
        key(name)
        valueStart()
        bytes.append(UInt8(ascii: "\""))
        address.withText { bytes.append(contentsOf: $0) }  // digits, letters, '.' and ':': nothing to escape
        bytes.append(UInt8(ascii: "\""))
    }

    /// An RFC 3339 timestamp (`rfc3339`), formatted in place.
    public mutating func field(_ name: StaticString, seconds: Int64, nanoseconds: UInt32) {
        key(name)
        valueStart()
        bytes.append(UInt8(ascii: "\""))
        if !writeRFC3339(seconds: seconds, nanoseconds: nanoseconds, into: &bytes) {
            bytes.append(contentsOf: rfc3339General(seconds: seconds, nanoseconds: nanoseconds).utf8)
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends bytes that are already valid inside a JSON string (trusted: produced by this module), as one string.
    mutating func plainString(_ parts: (inout [UInt8]) -> Void) {
        valueStart()
        bytes.append(UInt8(ascii: "\""))
        parts(&bytes)
        bytes.append(UInt8(ascii: "\""))
    }
    public mutating func field(_ name: StaticString, strings: [String]) {
        key(name)
        beginArray()
        for v in strings { string(v) }
        endArray()
    }

    /// Appends a JSON value already encoded (trusted, produced by this writer).
    public mutating func raw(_ encoded: [UInt8]) { valueStart(); bytes.append(contentsOf: encoded) }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendQuoted(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { appendEscaped($0) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Whether any of the eight bytes of `w` is below 0x20, '"', '\\', DEL or 0x80 and above (exact: never false
    /// for such a word; the byte loop then decides).
    @inline(__always)
    static func mayNeedEscape(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZeroByte(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
        let below20 = (w &- ones &* 0x20) & ~w & highs
        return (w & highs) | below20 != 0 || hasZeroByte(w ^ (ones &* 0x22)) || hasZeroByte(w ^ (ones &* 0x5c))
            || hasZeroByte(w ^ (ones &* 0x7f))
    }

    /// Appends well-formed UTF-8, escaped: runs of bytes that need no escape are copied at once.
    private mutating func appendEscaped(_ u: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        var i = 0
        let n = u.count
        while i < n {
            // Eight plain ASCII bytes at a time (no control, '"', '\\', DEL or non-ASCII byte among them).
            if n - i >= 8 && !JSONWriter.mayNeedEscape(UnsafeRawPointer(u.baseAddress! + i).loadUnaligned(as: UInt64.self)) {
                i += 8
                continue
            }
            let b = u[i]
            // Bytes that may need an escape: controls, '"', '\\', DEL, and 0xE2 (lead byte of U+2028/U+2029).
            if b >= 0x20 && b != 0x22 && b != 0x5c && b != 0x7f && b != 0xe2 { i += 1; continue }
            var v = UInt32(b)
            var width = 1
            if b == 0xe2 {
                guard i + 2 < n, u[i + 1] == 0x80, u[i + 2] == 0xa8 || u[i + 2] == 0xa9 else { i += 1; continue }
                v = u[i + 2] == 0xa8 ? 0x2028 : 0x2029
                width = 3
            }
            if i > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<i])) }
            switch v {
            case 0x22: bytes.append(contentsOf: [0x5c, 0x22])
            case 0x5c: bytes.append(contentsOf: [0x5c, 0x5c])
            case 0x0a: bytes.append(contentsOf: [0x5c, UInt8(ascii: "n")])
            case 0x0d: bytes.append(contentsOf: [0x5c, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5c, UInt8(ascii: "t")])
            default:
                bytes.append(contentsOf: [0x5c, UInt8(ascii: "u"),
                                          JSONWriter.hex[Int((v >> 12) & 0xf)], JSONWriter.hex[Int((v >> 8) & 0xf)],
                                          JSONWriter.hex[Int((v >> 4) & 0xf)], JSONWriter.hex[Int(v & 0xf)]])
            }
            i += width
            runStart = i
        }
        if n > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<n])) }
    }
}

/// The decimal digits of `x` (as `String(x)` writes them), appended without building a string.
@inline(__always)
func appendDecimalDigits(_ x: Int64, to bytes: inout [UInt8]) {
    if x >= 0 && x < 10 { bytes.append(0x30 + UInt8(x)); return }
    if x < 0 { bytes.append(UInt8(ascii: "-")) }
    var m = x.magnitude
    var digits = 0
    var t = m
    repeat { digits += 1; t /= 10 } while t > 0
    let end = bytes.count + digits
    bytes.append(contentsOf: repeatElement(0x30, count: digits))
    bytes.withUnsafeMutableBufferPointer { b in
        var i = end
        repeat {
            i -= 1
            b[i] = 0x30 + UInt8(m % 10)
            m /= 10
        } while m > 0
    }
}

/// RFC 3339 UTC timestamp with microseconds: `2019-03-06T15:25:31.123456Z`.
public func rfc3339(seconds: Int64, nanoseconds: UInt32) -> String {
    var bytes: [UInt8] = []
    guard writeRFC3339(seconds: seconds, nanoseconds: nanoseconds, into: &bytes) else {
        return rfc3339General(seconds: seconds, nanoseconds: nanoseconds)
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Appends the 27 characters of `rfc3339` for years 0...9999 (every capture); returns false, appending nothing,
/// for other times (the general formatting writes those).
func writeRFC3339(seconds: Int64, nanoseconds: UInt32, into bytes: inout [UInt8]) -> Bool {
    guard seconds >= -62_167_219_200 && seconds <= 253_402_300_799 && nanoseconds < 1_000_000_000 else { return false }
    let (y, m, d, secOfDay) = civilDate(seconds)
    let micros = Int64(nanoseconds / 1000)
    let o = bytes.count
    bytes.append(contentsOf: repeatElement(0, count: 27))
    bytes.withUnsafeMutableBufferPointer { b in
        let buf = UnsafeMutableBufferPointer(rebasing: b[o..<(o + 27)])
        func put(_ v: Int64, _ width: Int, at o: Int) {
            var v = v
            var i = o + width - 1
            while i >= o { buf[i] = 0x30 + UInt8(v % 10); v /= 10; i -= 1 }
        }
        put(y, 4, at: 0); buf[4] = 0x2d
        put(m, 2, at: 5); buf[7] = 0x2d
        put(d, 2, at: 8); buf[10] = 0x54
        put(secOfDay / 3600, 2, at: 11); buf[13] = 0x3a
        put(secOfDay % 3600 / 60, 2, at: 14); buf[16] = 0x3a
        put(secOfDay % 60, 2, at: 17); buf[19] = 0x2e
        put(micros, 6, at: 20); buf[26] = 0x5a
    }
    return true
}

/// `rfc3339` for any value (years outside 0...9999 are written with as many digits as they need).
func rfc3339General(seconds: Int64, nanoseconds: UInt32) -> String {
    let (y, m, d, secOfDay) = civilDate(seconds)
    func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
    let micros = Int64(nanoseconds / 1000)
    return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secOfDay / 3600, 2)):\(pad(secOfDay % 3600 / 60, 2)):\(pad(secOfDay % 60, 2)).\(pad(micros, 6))Z"
}

/// Year, month, day and second of the day of a Unix time (civil date from days since 1970-01-01, H. Hinnant's
/// algorithm; proleptic Gregorian, UTC).
@inline(__always)
func civilDate(_ seconds: Int64) -> (year: Int64, month: Int64, day: Int64, secondOfDay: Int64) {
    let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    let secOfDay = seconds - days * 86_400
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    var y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    if m <= 2 { y += 1 }
    return (y, m, d, secOfDay)
}
