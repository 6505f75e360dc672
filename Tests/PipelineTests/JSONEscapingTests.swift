import Testing
import Pipeline

/// The escaping rules of the JSON writer on every kind of byte: runs copied as they are, escapes in between.
struct JSONEscapingTests {
    func encoded(_ s: String) -> String {
        var w = JSONWriter()
        w.string(s)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    @Test func plainAndMultibyteTextIsCopied() {
        #expect(encoded("") == #""""#)
        #expect(encoded("good.lab.test") == #""good.lab.test""#)
        // U+20AC and U+2027 share the lead byte 0xE2 with U+2028/U+2029 and are not escaped.
        #expect(encoded("é€\u{2027}\u{202a}😀x") == "\"é€\u{2027}\u{202a}😀x\"")
    }

    @Test func everyEscape() {
        #expect(encoded("a\"b\\c\nd\re\tf") == #""a\"b\\c\nd\re\tf""#)
        #expect(encoded("\u{0}\u{1f}\u{7f}") == #""\u0000\u001f\u007f""#)
        #expect(encoded("\u{2028}\u{2029}") == #""\u2028\u2029""#)
        #expect(encoded("x\u{2028}") == #""x\u2028""#)
        #expect(encoded("\u{e2}") == "\"\u{e2}\"")
    }
}

struct JSONIntegerTests {
    @Test func integersAsStringWritesThem() {
        var w = JSONWriter()
        w.beginArray()
        // Every digit count and its boundaries, both signs, and the extremes.
        var values: [Int64] = [0, 7, -7, 10, 1234567890, Int64.max, Int64.min, Int64.min + 1, Int64.max - 1]
        var p: Int64 = 1
        for _ in 0..<18 {
            p *= 10
            for v in [p - 1, p, p + 1, p + 9, p * 5 + 3] { values += [v, -v] }
        }
        for v: Int64 in 0...1000 { values.append(v) }
        for v in values { w.int(v) }
        w.int(UInt64.max)
        w.int(UInt8(255))
        w.endArray()
        let expected = "[" + (values.map { String($0) } + [String(UInt64.max), "255"]).joined(separator: ",") + "]"
        #expect(String(decoding: w.bytes, as: UTF8.self) == expected)
    }
}

struct JSONUInt16ListTests {
    /// Every 16-bit value, through the list writer TLS code points go through (an array and a lazy collection).
    @Test func everyValueAsStringWritesIt() {
        let all = (0...UInt16.max).map { $0 }
        let expected = "{\"a\":[" + all.map { String($0) }.joined(separator: ",") + "],\"b\":[],\"c\":[7,65535]}"
        var w = JSONWriter()
        w.beginObject()
        w.field("a", ints: all)
        w.field("b", ints: [UInt16]())
        w.field("c", ints: [UInt16(7), 65535].lazy.map { $0 })
        w.endObject()
        #expect(String(decoding: w.bytes, as: UTF8.self) == expected)
    }
}

struct JSONLongStringTests {
    /// Every escaped character at every position of strings longer than the eight bytes checked at once.
    @Test func escapesAtEveryPosition() {
        let specials: [(String, String)] = [("\"", #"\""#), ("\\", #"\\"#), ("\n", #"\n"#), ("\u{1}", #"\u0001"#),
                                            ("\u{1f}", #"\u001f"#), ("\u{7f}", #"\u007f"#), ("\u{2028}", #"\u2028"#),
                                            ("é", "é"), (" ", " "), ("~", "~")]
        for length in [7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 47, 48, 49] {
            for position in 0..<length {
                for (raw, escaped) in specials {
                    let plain = Array(repeating: "a", count: length)
                    var s = plain, e = plain
                    s[position] = raw
                    e[position] = escaped
                    var w = JSONWriter()
                    w.string(s.joined())
                    #expect(String(decoding: w.bytes, as: UTF8.self) == "\"" + e.joined() + "\"")
                }
            }
        }
    }

    /// Runs of every length up to 200 bytes are copied whole (the writer copies short runs with fixed-size moves,
    /// the last one overlapping, and long ones with memcpy), also after an escape, and within an existing line.
    @Test func runsOfEveryLengthAreCopiedWhole() {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/ ".utf8)
        for length in 0...200 {
            let text = String(decoding: (0..<length).map { alphabet[($0 * 7 + length) % alphabet.count] }, as: UTF8.self)
            var w = JSONWriter()
            w.beginArray()
            w.string(text)
            w.string("\n" + text)
            w.string(utf8: Array(text.utf8)[...])
            w.endArray()
            #expect(String(decoding: w.bytes, as: UTF8.self) == "[\"\(text)\",\"\\n\(text)\",\"\(text)\"]", "length \(length)")
        }
    }
}
