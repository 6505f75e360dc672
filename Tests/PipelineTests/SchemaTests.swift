import Testing
import Foundation
import Pipeline
import TestSupport

func ndjson(_ events: EventCollector) -> String {
    var text = ""
    for e in events.events {
        var w = JSONWriter()
        e.write(to: &w)
        text += String(decoding: w.bytes, as: UTF8.self) + "\n"
    }
    return text
}

@Suite(.enabled(if: SchemaValidator.available, "python3 jsonschema missing (make test installs it)"))
struct EventSchema {
    static var captures: [String] {
        var out = Paths.files(under: Paths.packageRoot + "/captures", suffixes: [".pcap", ".pcapng"])
        if let corpus = Paths.corpus { out += Paths.files(under: corpus, suffixes: [".pcap", ".pcapng"]) }
        return out
    }

    /// Every event the suite's captures produce validates against reports/helloscope-events.schema.json, which
    /// forbids undocumented fields.
    @Test func everyEventOfEveryCaptureValidates() throws {
        var text = ""
        for capture in Self.captures { text += ndjson(try analyze(capture)) }
        text += ndjson(try analyzeBytes(helloCapture(segmentSizes: [100, 417])))
        let r = try SchemaValidator.validate(schema: "helloscope-events.schema.json", text: text, ndjson: true)
        #expect(r.valid, "\(r.output)")
    }

    /// The schema can fail: an undocumented field or a wrong type is rejected.
    @Test func schemaRejectsUndocumentedFields() throws {
        var line = ndjson(try analyzeBytes(helloCapture(segmentSizes: [517]))).split(separator: "\n")[0]
        line.removeLast()
        let extra = line + #","undocumented":1}"#
        #expect(try !SchemaValidator.validate(schema: "helloscope-events.schema.json", text: String(extra), ndjson: true).valid)
        let wrongType = line.replacingOccurrences(of: #""frame":3"#, with: #""frame":"3""#) + "}"
        #expect(try !SchemaValidator.validate(schema: "helloscope-events.schema.json", text: wrongType, ndjson: true).valid)
    }
}
