import Foundation
import Testing

enum Fixture {
    static let directory: URL = {
        if let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) { return url }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    }()

    static func bytes(_ name: String) throws -> [UInt8] {
        let url = directory.appendingPathComponent(name)
        return [UInt8](try Data(contentsOf: url))
    }

    static func names(withSuffix suffix: String = ".der") -> [String] {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return all.filter { $0.hasSuffix(suffix) }.sorted()
    }
}

func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var chars = Array(s.utf8.filter { $0 != UInt8(ascii: " ") })
    if chars.count % 2 == 1 { chars.insert(UInt8(ascii: "0"), at: 0) }
    var i = 0
    while i < chars.count {
        out.append(UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16)!)
        i += 2
    }
    return out
}
