import PKIParsing
import Testing
import TestSupport
@testable import CTIndex

/// The openssl fixtures of this folder (see Fixtures/make-fixtures.sh).
enum Fixture {
    static let directory = Paths.packageRoot + "/Tests/CTIndexTests/Fixtures"

    static func path(_ name: String) -> String { directory + "/" + name }

    static func bytes(_ name: String) -> [UInt8] { Paths.readFile(path(name)) ?? [] }

    static func text(_ name: String) -> String { String(decoding: bytes(name), as: UTF8.self) }

    static func certificate(_ name: String) throws -> X509Certificate {
        try X509Certificate(derOrPEM: bytes(name))
    }

    /// The CertID of an openssl OCSP request fixture (`ocsp-<leaf>-<sha1|sha256>.der`).
    static func certID(_ leaf: String, _ digest: String) throws -> OCSPCertID {
        let request = try OCSPRequest(derEncoded: bytes("ocsp-\(leaf)-\(digest).der"))
        return try #require(request.requests.first).certID
    }

    struct Expected {
        var serial: SerialNumber
        var issuerCN: String
        var hostnames: [String]
    }

    /// expected.tsv: the four exported leaves.
    static var expected: [Expected] {
        text("expected.tsv").split(separator: "\n").compactMap { line in
            let f = line.split(separator: "\t").map(String.init)
            guard f.count == 3, let s = SerialNumber(hex: f[0]) else { return nil }
            return Expected(serial: s, issuerCN: f[1], hostnames: f[2].split(separator: ",").map(String.init).sorted())
        }
    }

    /// Leaf file name for an expected row.
    static func leafName(_ e: Expected) -> String {
        switch e.hostnames.first ?? "" {
        case "shop.example.org": return "shop-a"
        case "mail.example.net": return "mail-b"
        case "api.example.org": return "api-a"
        default: return "blog-a"
        }
    }
}

/// The shared corpus `ct-samples/` folder, when present.
enum Samples {
    static var directory: String? {
        guard let c = Paths.corpus else { return nil }
        let d = c + "/ct-samples"
        return Paths.fileExists(d + "/FORMATS.md") ? d : nil
    }
    static var available: Bool { directory != nil }
    static func path(_ name: String) -> String { (directory ?? "") + "/" + name }
    static func bytes(_ name: String) -> [UInt8] { Paths.readFile(path(name)) ?? [] }
}

/// The lab PKI (`captures/lab/pki/` in the package), when the lab has produced it.
enum Lab {
    static let directory = Paths.packageRoot + "/captures/lab/pki"
    static var available: Bool { Paths.fileExists(directory + "/ct-export.json") }
}

func loaded(_ paths: [String], format: CTSourceFormat = .auto) throws -> CTIndex {
    var index = CTIndex()
    for p in paths { try index.load(path: p, format: format) }
    return index
}
