import PKIParsing
import Testing
import TestSupport
@testable import CTIndex

/// The real samples of `../shared/corpus/ct-samples/` (FORMATS.md): every serial resolves to its host.
@Suite(.enabled(if: Samples.available, "reference corpus ../shared/corpus/ct-samples not present"))
struct CorpusSampleTests {
    @Test func crtshSample() throws {
        var index = CTIndex()
        let s = try index.load(path: Samples.path("crtsh-json-example-storbeck-readme.json"))
        #expect(s.format == .crtsh && s.entries == 1 && s.malformed == 0)
        let m = try #require(index.lookup(serialHex: "03B5914E5F28724457A5A51AD2C494D040F6"))
        #expect(m.hostnames == ["insecure.com", "issues.nmap.org", "nmap.org", "svn.nmap.org", "www.nmap.org"])
        #expect(m.candidates[0].recordID == 2_549_490_984)
        #expect(m.candidates[0].issuer == "C=US, O=Let's Encrypt, CN=Let's Encrypt Authority X3")
        #expect(m.candidates[0].notBefore == TimeText.parse(Array("2020-03-06T23:14:48".utf8)))
    }

    @Test func certstreamSample() throws {
        var index = CTIndex()
        let s = try index.load(path: Samples.path("certstream-example.json"))
        #expect(s.format == .certstream && s.entries == 1 && s.malformed == 0)
        // Upper-case, odd length in the message: 37A3A72033B9AFF73A4BED5BB4F7CE6746E.
        let m = try #require(index.lookup(serialHex: "037a3a72033b9aff73a4bed5bb4f7ce6746e"))
        #expect(m.hostnames == ["access.smm-cheap.com", "www.access.smm-cheap.com"])
        #expect(m.candidates[0].recordID == 343_999_487)
        #expect(m.candidates[0].recordKind == .logIndex)
    }

    @Test func censysSample() throws {
        var index = CTIndex()
        let s = try index.load(path: Samples.path("censys-v2-certificate-view-excerpt.json"))
        #expect(s.format == .censys && s.entries == 1 && s.malformed == 0)
        let serial = try #require(SerialNumber(decimal: "5878999135690490607"))
        let m = try #require(index.lookup(serial: serial))
        #expect(m.serial == "51966690cda902ef")
        #expect(m.hostnames.contains("*.google.com"))
        #expect(m.hostnames.contains("youtube.com"))
        // The excerpt's elisions ("...", "...(48 more in source)") are not hostnames.
        #expect(!m.hostnames.contains { $0.hasPrefix(".") })
        #expect(m.candidates[0].recordID == 165_790)
    }

    @Test(arguments: ["rfc6962-get-entries-shape-from-icarus-120000000.json",
                      "rfc6962-get-entry-and-proof-icarus-120000000.json"])
    func rfc6962Samples(file: String) throws {
        var index = CTIndex()
        let s = try index.load(path: Samples.path(file))
        #expect(s.format == .rfc6962 && s.entries == 1 && s.malformed == 0)
        // The CertID an OCSP client would send for this leaf: hashes of Let's Encrypt Authority X3 from extra_data.
        let extra = try #require(String(decoding: Samples.bytes(file), as: UTF8.self)
            .components(separatedBy: "\"extra_data\"").last?.split(separator: "\"").dropFirst().first)
        let chain = try MerkleTreeLeaf.chain(extraData: try #require(Base64.decode(Array(extra.utf8))), isPrecert: false)
        let x3 = try X509Certificate(derEncoded: chain[0])
        #expect(x3.subject.commonName == "Let's Encrypt Authority X3")
        let serial = try #require(SerialNumber(hex: "042FF6537D9D0477FFF07F5A228776AAA3C5"))
        for alg in [PKIDigest.Algorithm.sha1, .sha256] {
            let m = try #require(index.lookup(serial: serial, issuerNameHash: x3.subjectNameHash(alg),
                                              issuerKeyHash: x3.subjectPublicKeyHash(alg), hashAlgorithm: alg))
            #expect(m.quality == .serialIssuerKey)
            #expect(m.hostnames == ["gem-jewelers.com", "www.gem-jewelers.com"])
            // Decoy: the same serial under the root's hashes.
            let root = try X509Certificate(derEncoded: chain[1])
            #expect(index.lookup(serial: serial, issuerNameHash: root.subjectNameHash(alg),
                                 issuerKeyHash: root.subjectPublicKeyHash(alg), hashAlgorithm: alg) == nil)
        }
    }

    @Test func everySampleTogether() throws {
        var index = CTIndex()
        let s = try index.load(path: Samples.directory ?? "")
        // Five JSON samples and the DER leaf; FORMATS.md, the .sql.txt and .txt are not recognised.
        #expect(s.entries == 6)
        #expect(s.malformed == 0)
        #expect(index.lookup(serialHex: "042ff6537d9d0477fff07f5a228776aaa3c5")?.candidates.count == 3)
        // A serial of a chain certificate is not an entry (chains register issuers only).
        #expect(index.lookup(serialHex: "0a0141420000015385736a0b85eca708") == nil)
    }

    @Test func everyTruncationOfTheSamples() throws {
        for (file, format) in [("crtsh-json-example-storbeck-readme.json", CTSourceFormat.crtsh),
                               ("certstream-example.json", .certstream)] {
            let bytes = Samples.bytes(file)
            let end = try #require(bytes.lastIndex(of: UInt8(ascii: "}"))) + 1
            try ReaderTests.checkTruncations(bytes, format: format, recordStart: ReaderTests.jsonRecordStart(bytes),
                                             recordEnd: end)
        }
    }
}

/// The lab PKI export (`captures/lab/pki/ct-export.json` and its certificates), when present.
@Suite(.enabled(if: Lab.available, "captures/lab/pki/ct-export.json not present"))
struct LabExportTests {
    @Test func everyExportedSerialResolvesToItsHost() throws {
        var index = CTIndex()
        let s = try index.load(path: Lab.directory + "/ct-export.json")
        #expect(s.format == .crtsh && s.entries > 0 && s.malformed == 0)
        let text = String(decoding: Paths.readFile(Lab.directory + "/ct-export.json") ?? [], as: UTF8.self)
        // Pairs of serial_number and common_name, read with the plain string functions.
        for chunk in text.components(separatedBy: "\"serial_number\"").dropFirst() {
            let serial = String(chunk.split(separator: "\"")[1])
            let m = try #require(index.lookup(serialHex: serial), "\(serial)")
            #expect(!m.hostnames.isEmpty)
            #expect(m.hostnames.allSatisfy { $0.hasSuffix(".lab.test") || $0.contains(".") })
        }
        // With the lab certificates (the intermediate among them) the CertIDs resolve by issuer.
        let certs = Paths.files(under: Lab.directory, suffixes: [".crt", ".pem"])
        var intermediates: [X509Certificate] = []
        for c in certs {
            if let x = try? X509Certificate(derOrPEM: Paths.readFile(c) ?? []), x.isCA == true { intermediates.append(x) }
        }
        index.addIssuers(intermediates)
        var checked = 0
        for c in certs {
            guard let leaf = try? X509Certificate(derOrPEM: Paths.readFile(c) ?? []), leaf.isCA != true,
                  let issuer = intermediates.first(where: { $0.subject.derEncoded == leaf.issuer.derEncoded }),
                  index.lookup(serial: leaf.serialNumber) != nil else { continue }
            let m = try #require(index.lookup(serial: leaf.serialNumber, issuerNameHash: issuer.subjectNameHash(.sha1),
                                              issuerKeyHash: issuer.subjectPublicKeyHash(.sha1)))
            #expect(m.quality == .serialIssuerName)
            #expect(m.hostnames.contains(leaf.subject.commonName?.lowercased() ?? "-"))
            checked += 1
        }
        #expect(checked > 0)
    }
}
