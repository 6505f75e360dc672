import Pipeline

/// A JSON value for documents built in memory (the report): objects are written with sorted keys, so the same
/// input gives the same bytes.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public static func optional(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
    public static func optional(_ i: Int?) -> JSONValue { i.map { .int($0) } ?? .null }
    public static func optional(_ d: Double?) -> JSONValue { d.map { .double($0) } ?? .null }
    public static func strings<S: Sequence>(_ s: S) -> JSONValue where S.Element == String { .array(s.map { .string($0) }) }

    public func write(to w: inout JSONWriter) {
        switch self {
        case .null: w.null()
        case .bool(let b): w.bool(b)
        case .int(let i): w.int(i)
        case .double(let d): w.double(d)
        case .string(let s): w.string(s)
        case .array(let a):
            w.beginArray()
            for v in a { v.write(to: &w) }
            w.endArray()
        case .object(let o):
            w.beginObject()
            for k in o.keys.sorted() {
                w.key(k)
                o[k]!.write(to: &w)  // key taken from the dictionary itself
            }
            w.endObject()
        }
    }

    /// Indented text (two spaces), for files people read.
    public func pretty(indent: String = "") -> String {
        var w = JSONWriter()
        switch self {
        case .array(let a):
            if a.isEmpty { return "[]" }
            let inner = indent + "  "
            return "[\n" + a.map { inner + $0.pretty(indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let o):
            if o.isEmpty { return "{}" }
            let inner = indent + "  "
            return "{\n" + o.keys.sorted().map { k -> String in
                var kw = JSONWriter()
                kw.string(k)
                return inner + String(decoding: kw.bytes, as: UTF8.self) + ": " + o[k]!.pretty(indent: inner)
            }.joined(separator: ",\n") + "\n" + indent + "}"
        default:
            write(to: &w)
            return String(decoding: w.bytes, as: UTF8.self)
        }
    }
}
