import Pipeline

/// Indented JSON text, the layout of `JSONValue.pretty`: two spaces per level, one member or element per line,
/// `": "` after keys, `[]` and `{}` when empty. Written as it is produced: strings and numbers go through
/// `JSONWriter` (its escaping and number formatting), and with a `flush` handler the text is handed out in chunks
/// of about `chunkSize` bytes, so that a long document is never held whole, neither as a tree nor as text.
///
/// Containers are opened and closed explicitly (`beginObject`, `key`, `endObject`, `beginArray`, `endArray`), so a
/// caller can write a long array one element at a time; `value` writes a whole `JSONValue`, object keys sorted.
public struct PrettyJSONWriter {
    /// The text not handed out yet. `JSONWriter` is only used at its top level here (no container of its own is
    /// ever open), so it adds no separator: the layout is this writer's.
    private var out: JSONWriter
    /// Per open container: whether it has a member yet.
    private var hasMembers: [Bool] = []
    private var keyPending = false
    /// `"\n"` followed by the indentation of each depth, built as deeper levels are reached.
    private var newlines: [[UInt8]]
    private let chunkSize: Int
    private let flush: ((UnsafeRawBufferPointer) -> Void)?

    private static let comma: [UInt8] = [UInt8(ascii: ",")]
    private static let colon: [UInt8] = [UInt8(ascii: ":"), UInt8(ascii: " ")]
    private static let openBrace: [UInt8] = [UInt8(ascii: "{")]
    private static let closeBrace: [UInt8] = [UInt8(ascii: "}")]
    private static let openBracket: [UInt8] = [UInt8(ascii: "[")]
    private static let closeBracket: [UInt8] = [UInt8(ascii: "]")]

    /// Keeps the whole text in `bytes`. `indent` prefixes every line after the first (as `pretty(indent:)`).
    public init(indent: String = "") {
        out = JSONWriter()
        newlines = [[UInt8(ascii: "\n")] + Array(indent.utf8)]
        chunkSize = .max
        flush = nil
    }

    /// Hands the text to `flush` whenever at least `chunkSize` bytes are pending, and in `finish`.
    public init(chunkSize: Int = 65_536, flush: @escaping (UnsafeRawBufferPointer) -> Void) {
        out = JSONWriter(capacity: chunkSize + 4096)
        newlines = [[UInt8(ascii: "\n")]]
        self.chunkSize = chunkSize
        self.flush = flush
    }

    /// The text written and not handed to `flush` yet (all of it, without a flush handler).
    public var bytes: [UInt8] { out.bytes }

    /// Hands out what is pending (nothing happens without a flush handler).
    public mutating func finish() {
        guard let flush, out.byteCount > 0 else { return }
        out.withBytes(flush)
        out.reset()
    }

    public mutating func beginObject() { open(Self.openBrace) }
    public mutating func endObject() { close(Self.closeBrace) }
    public mutating func beginArray() { open(Self.openBracket) }
    public mutating func endArray() { close(Self.closeBracket) }

    /// Starts an object member: the next call writes its value.
    public mutating func key(_ name: String) {
        memberStart()
        out.string(name)
        out.raw(Self.colon)
        keyPending = true
    }

    /// Writes a whole value (objects with their keys sorted).
    public mutating func value(_ v: JSONValue) {
        switch v {
        case .null: valueStart(); out.null()
        case .bool(let b): valueStart(); out.bool(b)
        case .int(let i): valueStart(); out.int(i)
        case .double(let d): valueStart(); out.double(d)
        case .string(let s): valueStart(); out.string(s)
        case .array(let a):
            beginArray()
            for e in a { value(e) }
            endArray()
        case .object(let o):
            beginObject()
            for k in o.keys.sorted() {
                key(k)
                value(o[k]!)  // key taken from the dictionary itself
            }
            endObject()
        }
    }

    private mutating func open(_ bracket: [UInt8]) {
        valueStart()
        out.raw(bracket)
        hasMembers.append(false)
    }

    private mutating func close(_ bracket: [UInt8]) {
        if hasMembers.removeLast() { newline(depth: hasMembers.count) }
        out.raw(bracket)
    }

    /// Before a value: nothing after a key; otherwise a new element of the innermost array (if any).
    private mutating func valueStart() {
        if keyPending {
            keyPending = false
        } else if !hasMembers.isEmpty {
            memberStart()
        }
    }

    /// A new member of the innermost container: a comma after the previous one, a new line, the indentation.
    private mutating func memberStart() {
        if out.byteCount >= chunkSize { finish() }
        if hasMembers[hasMembers.count - 1] {
            out.raw(Self.comma)
        } else {
            hasMembers[hasMembers.count - 1] = true
        }
        newline(depth: hasMembers.count)
    }

    private mutating func newline(depth: Int) {
        while newlines.count <= depth { newlines.append(newlines[newlines.count - 1] + [0x20, 0x20]) }
        out.raw(newlines[depth])
    }
}
