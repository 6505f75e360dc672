import FoundationEssentials
import CaptureInput

/// What a fingerprint is known to be: an application (and version), a library, a device.
public struct FingerprintLabel: Sendable, Equatable {
    public var application: String
    public var version: String?
    public var library: String?
    public var device: String?
    public var os: String?
    /// `browser`, `tool`, `library`, `malware`, `other`.
    public var kind: String
    public var notes: String?
    /// Where the label comes from (the bundled lab, or the user's file).
    public var source: String

    public var display: String { [application, version].compactMap { $0 }.joined(separator: " ") }

    public var json: JSONValue {
        .object(["application": .string(application), "version": .optional(version), "library": .optional(library),
                 "device": .optional(device), "os": .optional(os), "kind": .string(kind), "notes": .optional(notes),
                 "source": .string(source)])
    }
}

/// Known fingerprints: the bundled data (data/fingerprints.csv, built from the lab's real clients) plus files
/// the user adds with `--fingerprints` (CSV with a header, or JSON: an array of objects, as ja4db exports).
public struct FingerprintDatabase: Sendable {
    private var byJA4: [String: FingerprintLabel] = [:]
    private var byJA3: [String: FingerprintLabel] = [:]

    public init() {}

    public static let bundledDatabase: FingerprintDatabase = {
        var db = FingerprintDatabase()
        _ = try? db.load(csv: FingerprintDatabase.bundledCSV, source: "helloscope lab (data/fingerprints.csv)")
        return db
    }()

    public var count: Int { byJA4.count + byJA3.count }

    public func label(ja4: String?, ja3: String?) -> FingerprintLabel? {
        if let ja4, let l = byJA4[ja4] { return l }
        if let ja3, let l = byJA3[ja3] { return l }
        return nil
    }

    public enum LoadError: Error, CustomStringConvertible {
        case unreadable(String), malformed(String)
        public var description: String {
            switch self {
            case .unreadable(let s): return "cannot read fingerprint file: \(s)"
            case .malformed(let s): return "malformed fingerprint file: \(s)"
            }
        }
    }

    /// Loads a user file; returns how many labels it added. Later files win over earlier ones and the bundle.
    @discardableResult
    public mutating func load(path: String) throws -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { throw LoadError.unreadable(path) }
        let text = String(decoding: data, as: UTF8.self)
        let name = lastPathComponent(path)
        if text.drop(while: { $0.isWhitespace }).first == "[" || text.drop(while: { $0.isWhitespace }).first == "{" {
            return try load(json: data, source: name)
        }
        return try load(csv: text, source: name)
    }

    mutating func add(_ fields: [String: String], source: String) -> Bool {
        func v(_ keys: String...) -> String? {
            for k in keys { if let x = fields[k].map(FingerprintDatabase.trimmingBlanks), !x.isEmpty { return x } }
            return nil
        }
        let ja4 = v("ja4", "ja4_fingerprint")
        let ja3 = v("ja3", "ja3_fingerprint")
        guard ja4 != nil || ja3 != nil else { return false }
        let app = v("application", "app", "name") ?? v("library") ?? "unknown"
        let label = FingerprintLabel(application: app, version: v("version"), library: v("library"), device: v("device"),
                                     os: v("os"), kind: v("kind") ?? FingerprintDatabase.guessKind(app), notes: v("notes"),
                                     source: v("source", "provenance") ?? source)
        if let ja4 { byJA4[ja4] = label }
        if let ja3 { byJA3[ja3] = label }
        return true
    }

    static func guessKind(_ application: String) -> String {
        let a = application.lowercased()
        for b in ["chrome", "chromium", "firefox", "safari", "edge", "opera", "brave"] where a.contains(b) { return "browser" }
        return "other"
    }

    @discardableResult
    mutating func load(csv text: String, source: String) throws -> Int {
        var lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.hasPrefix("#") && !$0.isEmpty }
        guard !lines.isEmpty else { return 0 }
        let header = FingerprintDatabase.csvFields(lines.removeFirst()).map { $0.lowercased() }
        guard header.contains("ja4") || header.contains("ja3") || header.contains("ja4_fingerprint") else {
            throw LoadError.malformed("CSV header names no ja4 or ja3 column")
        }
        var added = 0
        for line in lines {
            let f = FingerprintDatabase.csvFields(line)
            var fields: [String: String] = [:]
            for (i, name) in header.enumerated() where i < f.count { fields[name] = f[i] }
            if add(fields, source: source) { added += 1 }
        }
        return added
    }

    mutating func load(json data: Data, source: String) throws -> Int {
        let decoder = JSONDecoder()
        let array: [LabelObject]
        if let a = try? decoder.decode([LabelObject].self, from: data) {
            array = a
        } else if let o = try? decoder.decode(LabelFile.self, from: data) {
            array = o.fingerprints
        } else {
            throw LoadError.malformed("expected a JSON array of objects")
        }
        var added = 0
        for o in array where add(o.fields, source: source) { added += 1 }
        return added
    }

    /// `{"fingerprints": [...]}`.
    private struct LabelFile: Decodable {
        var fingerprints: [LabelObject]
    }

    /// One element of a JSON labels file: its string and number members (numbers as text, booleans as 1 and 0),
    /// keys lowercased; none for an element that is not an object.
    private struct LabelObject: Decodable {
        var fields: [String: String] = [:]

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: Decoder) throws {
            guard let members = try? decoder.container(keyedBy: Key.self) else { return }
            for key in members.allKeys {
                let name = key.stringValue.lowercased()
                if let s = try? members.decode(String.self, forKey: key) {
                    fields[name] = s
                } else if let b = try? members.decode(Bool.self, forKey: key) {
                    fields[name] = b ? "1" : "0"
                } else if let i = try? members.decode(Int.self, forKey: key) {
                    fields[name] = String(i)
                } else if let d = try? members.decode(Double.self, forKey: key) {
                    fields[name] = String(d)
                }
            }
        }
    }

    /// `s` without the spaces and tabs (not line breaks) at either end.
    static func trimmingBlanks(_ s: String) -> String {
        let blank: (Character) -> Bool = { $0.isWhitespace && !$0.isNewline }
        guard let first = s.firstIndex(where: { !blank($0) }), let last = s.lastIndex(where: { !blank($0) }) else { return "" }
        return String(s[first...last])
    }

    /// RFC 4180 fields of one line (quotes, doubled quotes).
    static func csvFields(_ line: String) -> [String] {
        var out: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(line)
        if chars.last == "\r" { chars.removeLast() }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count && chars[i + 1] == "\"" { field.append("\""); i += 1 } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" { quoted = true } else if c == "," { out.append(field); field = "" } else { field.append(c) }
            i += 1
        }
        out.append(field)
        return out
    }
}
