import Testing
import Foundation
import Pipeline
import TestSupport

/// Runs scripts/validate-json.py (python3 + jsonschema; `make test` installs jsonschema when missing).
enum SchemaValidator {
    static let available: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import jsonschema"]
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    /// Validates `documents` (NDJSON when `ndjson`) against a schema under reports/; returns the validator's output
    /// and whether every document is valid.
    static func validate(schema: String, text: String, ndjson: Bool) throws -> (valid: Bool, output: String) {
        let path = Paths.temporaryPath("schema-\(UInt64.random(in: 0...UInt64.max)).json")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Paths.packageRoot + "/scripts/validate-json.py", Paths.packageRoot + "/reports/" + schema, path]
            + (ndjson ? ["--ndjson"] : [])
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus == 0, String(decoding: data, as: UTF8.self))
    }
}

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
