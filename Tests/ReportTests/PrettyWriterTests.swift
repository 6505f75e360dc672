import Testing
import Foundation
import Pipeline
import Report

/// The indented text as `JSONValue.pretty` built it by string concatenation before `PrettyJSONWriter` existed: kept
/// here as the oracle the streamed writer must match byte for byte.
func concatenatedPretty(_ v: JSONValue, indent: String = "") -> String {
    switch v {
    case .array(let a):
        if a.isEmpty { return "[]" }
        let inner = indent + "  "
        return "[\n" + a.map { inner + concatenatedPretty($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
    case .object(let o):
        if o.isEmpty { return "{}" }
        let inner = indent + "  "
        return "{\n" + o.keys.sorted().map { k -> String in
            var kw = JSONWriter()
            kw.string(k)
            return inner + String(decoding: kw.bytes, as: UTF8.self) + ": " + concatenatedPretty(o[k]!, indent: inner)
        }.joined(separator: ",\n") + "\n" + indent + "}"
    default:
        var w = JSONWriter()
        v.write(to: &w)
        return String(decoding: w.bytes, as: UTF8.self)
    }
}

/// The text a flushing writer hands out, put back together.
func streamed(chunkSize: Int, _ body: (inout PrettyJSONWriter) -> Void) -> [UInt8] {
    final class Collected { var bytes: [UInt8] = []; var chunks = 0 }
    let collected = Collected()
    var w = PrettyJSONWriter(chunkSize: chunkSize) { chunk in
        collected.bytes.append(contentsOf: chunk)
        collected.chunks += 1
    }
    body(&w)
    w.finish()
    #expect(w.bytes.isEmpty)
    return collected.bytes
}

@Suite struct PrettyWriter {
    static let awkward: JSONValue = .object([
        "empty_array": .array([]), "empty_object": .object([:]), "nested_empty": .array([.array([]), .object([:]), .array([.object([:])])]),
        "quote\"back\\slash": .string("line\nbreak\ttab\r\u{01}\u{7f}\u{2028}\u{2029}é😀"),
        "numbers": .array([.int(0), .int(-1), .int(Int.max), .int(Int.min), .double(1.0), .double(-0.5), .double(12.3456),
                           .double(1e21), .double(1e-7), .double(.nan), .double(.infinity)]),
        "flags": .array([.bool(true), .bool(false), .null]),
        "": .object(["b": .int(2), "a": .object(["z": .array([.int(1)]), "é": .null, "Z": .string("")])]),
    ])

    @Test func matchesTheConcatenatedTextOnAwkwardValues() {
        for v: JSONValue in [Self.awkward, .array([]), .object([:]), .string("x"), .int(3), .null, .array([Self.awkward, Self.awkward])] {
            #expect(v.pretty() == concatenatedPretty(v))
            #expect(v.pretty(indent: "    ") == concatenatedPretty(v, indent: "    "))
            for size in [1, 7, 4096] {
                #expect(streamed(chunkSize: size) { $0.value(v) } == Array(concatenatedPretty(v).utf8))
            }
        }
    }

    /// The whole lab report: the in-memory tree through the new writer, and the builder streaming it element by
    /// element, both give the bytes of the old concatenation.
    @Test func labReportBytesUnchanged() throws {
        let (builder, doc) = try report(ReportDocument.labCaptures)
        let oracle = Array(concatenatedPretty(doc).utf8)
        #expect(oracle.count > 10_000)
        #expect(Array(doc.pretty().utf8) == oracle)
        for size in [1, 1000, 65_536] {
            #expect(streamed(chunkSize: size) { builder.write(to: &$0) } == oracle)
            #expect(streamed(chunkSize: size) { $0.value(doc) } == oracle)
        }
        var inMemory = PrettyJSONWriter()
        builder.write(to: &inMemory)
        #expect(inMemory.bytes == oracle)
    }

    /// `amend` changes the short members, as the live report does with its own section.
    @Test func amendedShortMembers() throws {
        let (builder, doc) = try report(["curl-nostatus.pcap"])
        guard case .object(var root) = doc else { Issue.record("not an object"); return }
        root["options"] = .object(["live": .object(["final": .bool(true)])])
        let expected = Array(concatenatedPretty(.object(root)).utf8)
        #expect(streamed(chunkSize: 64) { w in
            builder.write(to: &w) { members in members["options"] = .object(["live": .object(["final": .bool(true)])]) }
        } == expected)
    }

    @Test func flushesInChunksOfAboutTheSizeAsked() {
        final class Sizes { var list: [Int] = [] }
        let sizes = Sizes()
        var w = PrettyJSONWriter(chunkSize: 1024) { sizes.list.append($0.count) }
        w.beginArray()
        for i in 0..<10_000 { w.value(.object(["i": .int(i), "s": .string(String(repeating: "x", count: i % 50))])) }
        w.endArray()
        w.finish()
        #expect(sizes.list.count > 50)
        #expect(sizes.list.dropLast().allSatisfy { $0 >= 1024 && $0 < 1024 + 200 })
    }
}
