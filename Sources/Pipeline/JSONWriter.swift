import CScan
import PacketDecoding
import TLSParsing

/// The growable byte buffer behind a `JSONWriter`: writes go through a raw pointer after one capacity check per
/// value, instead of an array's uniqueness and capacity checks per byte.
final class JSONBytes {
    // Only the writer that owns the buffer touches it (a copied writer copies it first): no exclusivity checks.
    @exclusivity(unchecked) private(set) var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) var count = 0
    @exclusivity(unchecked) private(set) var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    func copy() -> JSONBytes {
        let c = JSONBytes(capacity: capacity)
        c.base.update(from: base, count: count)
        c.count = count
        return c
    }

    /// Makes room for `n` more bytes; returns where they go.
    @inline(__always)
    func reserve(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if count + n > capacity { grow(to: count + n) }
        return base + count
    }

    private func grow(to needed: Int) {
        var c = capacity * 2
        while c < needed { c *= 2 }
        let b = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        b.update(from: base, count: count)
        base.deallocate()
        base = b
        capacity = c
    }

    @inline(__always)
    func put(_ b: UInt8) {
        reserve(1).pointee = b
        count += 1
    }

    @inline(__always)
    func put(_ p: UnsafePointer<UInt8>, _ n: Int) {
        guard n > 0 else { return }
        hs_copy(reserve(n), p, n)
        count += n
    }

    @inline(__always)
    func put(_ b: UnsafeBufferPointer<UInt8>) {
        if let p = b.baseAddress { put(p, b.count) }
    }
}

/// "00" "01" … "99": two digits at a time.
private let decimalPairs: StaticString = """
    00010203040506070809101112131415161718192021222324252627282930313233343536373839\
    40414243444546474849505152535455565758596061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899
    """

/// Writes the `digits` decimal digits of `m` at `p`, two at a time.
@inline(__always)
private func writeDigits(_ m: UInt64, _ digits: Int, to p: UnsafeMutablePointer<UInt8>) {
    let pairs = decimalPairs.utf8Start
    var m = m
    var i = digits
    while m >= 100 {
        let r = Int(m % 100)
        m /= 100
        i -= 2
        p[i] = pairs[2 * r]
        p[i + 1] = pairs[2 * r + 1]
    }
    if m >= 10 {
        p[i - 2] = pairs[2 * Int(m)]
        p[i - 1] = pairs[2 * Int(m) + 1]
    } else {
        p[i - 1] = 0x30 + UInt8(m)
    }
}

/// Writes the decimal digits of `x` (as `String(x)` writes them) at `p`, which has room for 20; returns how many.
@inline(__always)
func writeDecimal(_ x: Int64, to p: UnsafeMutablePointer<UInt8>) -> Int {
    if x >= 0 && x < 10 { p[0] = 0x30 + UInt8(x); return 1 }
    var o = 0
    if x < 0 { p[0] = UInt8(ascii: "-"); o = 1 }
    let m = x.magnitude
    var digits = 1
    var t = m
    while t >= 100 { digits += 2; t /= 100 }
    if t >= 10 { digits += 1 }
    writeDigits(m, digits, to: p + o)
    return o + digits
}

/// Writes the decimal digits of `v` at `p`, which has room for 5; returns how many.
@inline(__always)
func writeDecimal(_ v: UInt16, to p: UnsafeMutablePointer<UInt8>) -> Int {
    let digits = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10_000 ? 4 : 5
    writeDigits(UInt64(v), digits, to: p)
    return digits
}

/// Object members written as raw JSON, for `JSONWriter.members`: names come with their punctuation in the
/// literals (`,"index":`), values are appended with one capacity check each. Strings are escaped as the writer
/// escapes them; literals are written in the source and hold nothing to escape.
public struct JSONMembers {
    fileprivate let b: JSONBytes

    fileprivate init(_ b: JSONBytes) { self.b = b }

    /// Appends `text` as it is: member names with their quotes, colon and comma, or whole JSON values.
    @inline(__always)
    public func raw(_ text: StaticString) {
        assert(text.hasPointerRepresentation)
        b.put(text.utf8Start, text.utf8CodeUnitCount)
    }

    /// `name` (with its punctuation: `,"index":`) and the value, for each kind of value below.
    @inline(__always) public func field(_ name: StaticString, _ v: Int) { raw(name); int(v) }
    @inline(__always) public func field(_ name: StaticString, _ v: Int?) { raw(name); int(v) }
    @inline(__always) public func field(_ name: StaticString, _ v: Bool) { raw(name); bool(v) }
    @inline(__always) public func field(_ name: StaticString, _ v: String) { raw(name); string(v) }
    @inline(__always) public func field(_ name: StaticString, _ v: String?) { raw(name); string(v) }
    @inline(__always) public func field(_ name: StaticString, list l: TLSUInt16List) { raw(name); list(l) }

    @inline(__always)
    public func int(_ v: Int) { b.putDecimal(Int64(v)) }

    @inline(__always)
    public func int(_ v: Int?) { if let v { int(v) } else { raw("null") } }

    @inline(__always)
    public func bool(_ v: Bool) { raw(v ? "true" : "false") }

    public func string(_ s: String) { b.putQuoted(s) }

    public func string(_ s: String?) { if let s { b.putQuoted(s) } else { raw("null") } }

    /// A string of bytes from a packet (`JSONWriter.string(utf8:)`).
    public func string(utf8 bytes: ArraySlice<UInt8>) { b.putString(utf8: bytes) }

    /// A string this module formats (an address, a time, a flow id): at most `maximumLength` bytes that `body`
    /// writes at the pointer it is given and whose count it returns, bytes already valid inside a JSON string.
    @inline(__always)
    public func plain(maximumLength: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        b.putPlain(maximumLength: maximumLength, body)
    }

    /// `[v0,v1,…]`, `value(i)` the `i`th of `count` 16-bit values.
    @inline(__always)
    public func list(count: Int, _ value: (Int) -> UInt16) { b.putList(count: count, value) }

    /// A TLS list read in place (cipher suites, groups, signature algorithms, versions).
    public func list(_ l: TLSUInt16List) {
        l.withUnsafeBigEndianBytes { u in list(count: u.count / 2) { UInt16(u[2 * $0]) << 8 | UInt16(u[2 * $0 + 1]) } }
    }

    /// `[…]` of small integers (EC point formats).
    public func list(bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBufferPointer { u in list(count: u.count) { UInt16(u[$0]) } }
    }

    /// `[…]` of integers of any width (SSLv2 cipher specs, key share groups).
    public func list<S: Sequence>(ints: S) where S.Element: BinaryInteger { b.putInts(ints) }

    /// `[…]` of strings from packet bytes.
    public func list<S: Sequence>(utf8Strings: S) where S.Element == ArraySlice<UInt8> {
        b.put(UInt8(ascii: "["))
        var first = true
        for v in utf8Strings {
            if !first { b.put(UInt8(ascii: ",")) }
            first = false
            b.putString(utf8: v)
        }
        b.put(UInt8(ascii: "]"))
    }
}

/// A small streaming JSON writer into a reusable byte buffer: objects and arrays in the order written,
/// strings escaped per RFC 8259 (control characters as `\u00XX`, and U+2028/U+2029 escaped too so the output
/// is safe to embed in JavaScript), never a raw byte from a packet.
public struct JSONWriter {
    private var out: JSONBytes
    /// One bit per open object or array (the innermost in bit 0): whether a member was written, so the next one
    /// needs a comma. Nesting deeper than 64 keeps its bits in `deepComma`.
    private var commaBits: UInt64 = 0
    private var depth = 0
    private var deepComma: [UInt64] = []
    private var keyPending = false

    public init(capacity: Int = 4096) { out = JSONBytes(capacity: capacity) }

    /// The bytes written so far (a copy; `byteCount` and `withBytes` read them without one).
    public var bytes: [UInt8] { withBytes { Array($0) } }
    public var byteCount: Int { out.count }

    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: out.base, count: out.count))
    }

    /// The buffer, unshared before a write (a copied writer writes into its own bytes).
    private var buffer: JSONBytes {
        @inline(__always) mutating get {
            if !isKnownUniquelyReferenced(&out) { out = out.copy() }
            return out
        }
    }

    public mutating func reset() {
        buffer.count = 0
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
        buffer.put(0x0a)
        resetNesting()
    }

    @inline(__always)
    private mutating func separator(_ b: JSONBytes) {
        guard depth > 0 else { return }
        if commaBits & 1 != 0 { b.put(UInt8(ascii: ",")) }
        commaBits |= 1
    }

    @inline(__always)
    private mutating func valueStart(_ b: JSONBytes) {
        if keyPending {
            keyPending = false
        } else {
            separator(b)
        }
    }

    @inline(__always)
    private mutating func open(_ c: UInt8) {
        let b = buffer
        valueStart(b)
        b.put(c)
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
        buffer.put(c)
    }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    /// Writes members of the object being written, known in advance, through a `JSONMembers`: the writer's
    /// nesting and comma bookkeeping is done once (a comma before the first member if one came before), and each
    /// piece is appended with nothing but a capacity check. `body` writes the first member without a leading comma
    /// and every other with one, as `,"name":` literals. Events write their fixed members this way.
    @inline(__always)
    public mutating func members(_ body: (JSONMembers) -> Void) {
        let b = buffer
        separator(b)
        body(JSONMembers(b))
    }

    /// Writes `"name":` — the next value call writes the value. Member names written in the source are plain
    /// ASCII with nothing to escape (checked in debug builds), so they are copied as they are.
    public mutating func key(_ name: StaticString) {
        let b = buffer
        separator(b)
        let n = name.utf8CodeUnitCount
        assert(UnsafeBufferPointer(start: name.utf8Start, count: n).allSatisfy { $0 >= 0x20 && $0 < 0x7f && $0 != 0x22 && $0 != 0x5c },
               "member name needs escaping")
        let p = b.reserve(n + 3)
        p[0] = UInt8(ascii: "\"")
        hs_copy(p + 1, name.utf8Start, n)
        p[n + 1] = UInt8(ascii: "\"")
        p[n + 2] = UInt8(ascii: ":")
        b.count += n + 3
        keyPending = true
    }

    /// Writes `"name":` for a name made at run time (escaped).
    public mutating func key(text name: String) {
        let b = buffer
        separator(b)
        b.putQuoted(name)
        b.put(UInt8(ascii: ":"))
        keyPending = true
    }

    public mutating func string(_ s: String) {
        let b = buffer
        valueStart(b)
        b.putQuoted(s)
    }

    public mutating func int<T: BinaryInteger>(_ v: T) {
        let b = buffer
        valueStart(b)
        if let x = Int64(exactly: v) {
            b.putDecimal(x)
        } else {
            var text = String(v)
            text.withUTF8 { b.put($0) }
        }
    }

    private mutating func literal(_ text: StaticString) {
        let b = buffer
        valueStart(b)
        b.put(text.utf8Start, text.utf8CodeUnitCount)
    }

    public mutating func bool(_ v: Bool) { literal(v ? "true" : "false") }
    public mutating func null() { literal("null") }
    public mutating func double(_ v: Double, decimals: Int = 3) {
        if !v.isFinite { null(); return }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let r = (v * scale).rounded() / scale
        var text = String(r)
        if text.hasSuffix(".0") { text.removeLast(2) }
        let b = buffer
        valueStart(b)
        text.withUTF8 { b.put($0) }
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
        let b = buffer
        valueStart(b)
        b.putInts(ints)
    }

    /// A list of 16-bit values (TLS code points: cipher suites, extension types, groups), as `ints:` writes it,
    /// with one capacity check for the whole list.
    public mutating func field<C: Collection>(_ name: StaticString, ints: C) where C.Element == UInt16 {
        var values = ints.makeIterator()
        field(name, u16Count: ints.count) { _ in values.next()! }  // called once per index, in order
    }

    /// A list of `count` 16-bit values, `value(i)` the `i`th, as `ints:` writes them: one capacity check. `value` is
    /// called once for each index, in order.
    @inline(__always)
    public mutating func field(_ name: StaticString, u16Count count: Int, _ value: (Int) -> UInt16) {
        key(name)
        let b = buffer
        valueStart(b)
        b.putList(count: count, value)
    }

    /// An IP address in its text form (`IPAddress.description`), formatted in place as the events write it.
    public mutating func field(_ name: StaticString, address: IPAddress) {
        key(name)
        let b = buffer
        valueStart(b)
        b.putPlain(maximumLength: IPAddress.maximumTextLength) { address.writeText(to: $0) }
    }

    public mutating func field(_ name: StaticString, strings: [String]) {
        key(name)
        beginArray()
        for v in strings { string(v) }
        endArray()
    }

    /// Writes bytes from a packet as a string: as `String(decoding: bytes, as: UTF8.self)` would give them (invalid
    /// UTF-8 replaced by U+FFFD), escaped. Plain ASCII, the usual case, is escaped straight from the bytes.
    public mutating func string(utf8 bytes: ArraySlice<UInt8>) {
        let b = buffer
        valueStart(b)
        b.putString(utf8: bytes)
    }

    /// Appends a JSON value already encoded (trusted, produced by this writer).
    public mutating func raw(_ encoded: [UInt8]) {
        let b = buffer
        valueStart(b)
        encoded.withUnsafeBufferPointer { b.put($0) }
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)
}

extension JSONBytes {
    @inline(__always)
    func putDecimal(_ x: Int64) { count += writeDecimal(x, to: reserve(20)) }

    /// `[v0,v1,…]` for `count` 16-bit values, `value(i)` the `i`th (called once per index, in order): one capacity
    /// check for the whole list.
    @inline(__always)
    func putList(count n: Int, _ value: (Int) -> UInt16) {
        let p = reserve(n * 6 + 2)
        p[0] = UInt8(ascii: "[")
        var o = 1
        for i in 0..<n {
            if i > 0 { p[o] = UInt8(ascii: ","); o += 1 }
            o += writeDecimal(value(i), to: p + o)
        }
        p[o] = UInt8(ascii: "]")
        count += o + 1
    }

    /// A string of at most `maximumLength` bytes that `body` writes at the pointer it is given and whose count it
    /// returns, quoted: bytes already valid inside a JSON string (trusted, produced by this module).
    @inline(__always)
    func putPlain(maximumLength: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        let p = reserve(maximumLength + 2)
        p[0] = UInt8(ascii: "\"")
        let n = body(p + 1)
        precondition(n <= maximumLength, "JSONWriter: plain string longer than announced")
        p[n + 1] = UInt8(ascii: "\"")
        count += n + 2
    }

    /// `[…]` of integers, in decimal (as `String(v)` writes them).
    func putInts<S: Sequence>(_ ints: S) where S.Element: BinaryInteger {
        put(UInt8(ascii: "["))
        var first = true
        for v in ints {
            if !first { put(UInt8(ascii: ",")) }
            first = false
            if let x = Int64(exactly: v) { putDecimal(x) } else { var text = String(v); text.withUTF8 { put($0) } }
        }
        put(UInt8(ascii: "]"))
    }

    /// Bytes from a packet as a string: as `String(decoding: bytes, as: UTF8.self)` would give them (invalid UTF-8
    /// replaced by U+FFFD), escaped. Plain ASCII, the usual case, is escaped straight from the bytes.
    func putString(utf8 bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBufferPointer { u in
            var ascii = true
            for c in u where c >= 0x80 { ascii = false; break }
            guard ascii else { putQuoted(String(decoding: u, as: UTF8.self)); return }
            put(UInt8(ascii: "\""))
            putEscaped(u)
            put(UInt8(ascii: "\""))
        }
    }

    /// Appends `s` as a JSON string, quoted and escaped.
    func putQuoted(_ s: String) {
        put(UInt8(ascii: "\""))
        // A native string's bytes are read where they are (`withUTF8` would need a mutable copy: a retain and a
        // release per string); other strings are made contiguous first.
        if s.utf8.withContiguousStorageIfAvailable({ putEscaped($0) }) == nil {
            var s = s
            s.withUTF8 { putEscaped($0) }
        }
        put(UInt8(ascii: "\""))
    }

    /// Appends well-formed UTF-8, escaped: runs of bytes that need no escape are copied at once.
    func putEscaped(_ u: UnsafeBufferPointer<UInt8>) {
        let b = self
        guard let base = u.baseAddress else { return }
        let n = u.count
        // The plain run from the start, copied as it is scanned: all of the string, usually.
        let plain = hs_json_copy_plain(b.reserve(n + 16), base, n)
        b.count += plain
        if plain == n { return }
        var runStart = plain
        var i = plain
        while i < n {
            // The run of plain ASCII bytes from here (no control, '"', '\\', DEL or non-ASCII byte among them).
            i += hs_json_plain_prefix(base + i, n - i)
            if i == n { break }
            let c = u[i]
            // Bytes that may need an escape: controls, '"', '\\', DEL, and 0xE2 (lead byte of U+2028/U+2029).
            if c >= 0x20 && c != 0x22 && c != 0x5c && c != 0x7f && c != 0xe2 { i += 1; continue }
            var v = UInt32(c)
            var width = 1
            if c == 0xe2 {
                guard i + 2 < n, u[i + 1] == 0x80, u[i + 2] == 0xa8 || u[i + 2] == 0xa9 else { i += 1; continue }
                v = u[i + 2] == 0xa8 ? 0x2028 : 0x2029
                width = 3
            }
            if i > runStart { b.put(base + runStart, i - runStart) }
            let p = b.reserve(6)
            p[0] = 0x5c
            switch v {
            case 0x22: p[1] = 0x22; b.count += 2
            case 0x5c: p[1] = 0x5c; b.count += 2
            case 0x0a: p[1] = UInt8(ascii: "n"); b.count += 2
            case 0x0d: p[1] = UInt8(ascii: "r"); b.count += 2
            case 0x09: p[1] = UInt8(ascii: "t"); b.count += 2
            default:
                p[1] = UInt8(ascii: "u")
                p[2] = JSONWriter.hex[Int((v >> 12) & 0xf)]
                p[3] = JSONWriter.hex[Int((v >> 8) & 0xf)]
                p[4] = JSONWriter.hex[Int((v >> 4) & 0xf)]
                p[5] = JSONWriter.hex[Int(v & 0xf)]
                b.count += 6
            }
            i += width
            runStart = i
        }
        if n > runStart { b.put(base + runStart, n - runStart) }
    }
}

/// RFC 3339 UTC timestamp with microseconds: `2019-03-06T15:25:31.123456Z`.
public func rfc3339(seconds: Int64, nanoseconds: UInt32) -> String {
    guard rfc3339InPlace(seconds: seconds, nanoseconds: nanoseconds) else {
        return rfc3339General(seconds: seconds, nanoseconds: nanoseconds)
    }
    return String(unsafeUninitializedCapacity: 27) { writeRFC3339(seconds: seconds, nanoseconds: nanoseconds, to: $0.baseAddress!) }
}

/// Whether `writeRFC3339` formats this time: years 0...9999 (every capture); the general formatting writes others.
@inline(__always)
func rfc3339InPlace(seconds: Int64, nanoseconds: UInt32) -> Bool {
    seconds >= -62_167_219_200 && seconds <= 253_402_300_799 && nanoseconds < 1_000_000_000
}

/// Writes the 27 characters of `rfc3339` at `buf` (a time for which `rfc3339InPlace` holds); returns 27.
func writeRFC3339(seconds: Int64, nanoseconds: UInt32, to buf: UnsafeMutablePointer<UInt8>) -> Int {
    let (y, m, d, secOfDay) = civilDate(seconds)
    let micros = Int64(nanoseconds / 1000)
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
    return 27
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
