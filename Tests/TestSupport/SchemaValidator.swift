import Foundation

/// Runs scripts/validate-json.py (python3 + jsonschema; `make test` installs jsonschema when missing).
public enum SchemaValidator {
    public static let available: Bool = {
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
    public static func validate(schema: String, text: String, ndjson: Bool) throws -> (valid: Bool, output: String) {
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

