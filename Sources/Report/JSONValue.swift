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
                w.key(text: k)
                o[k]!.write(to: &w)  // key taken from the dictionary itself
            }
            w.endObject()
        }
    }

    /// Indented text (two spaces), for files people read: `PrettyJSONWriter`'s layout, each line after the first
    /// prefixed with `indent`. Long documents are better streamed with a `PrettyJSONWriter` of their own.
    public func pretty(indent: String = "") -> String {
        var w = PrettyJSONWriter(indent: indent)
        w.value(self)
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
