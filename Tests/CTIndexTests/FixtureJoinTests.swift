import PKIParsing
import Testing
import TestSupport
@testable import CTIndex

/// The openssl fixtures: every exported serial resolves to its host from every format, CertIDs pick the right
/// issuer, decoys never match.
@Suite struct FixtureJoinTests {
    static let exports = ["crtsh.json", "certstream.ndjson", "censys.ndjson", "leaves"]

    @Test(arguments: exports)
    func everySerialResolvesToItsHost(export: String) throws {
        var index = CTIndex()
        let stats = try index.load(path: Fixture.path(export))
        #expect(stats.malformed == 0 && stats.oversized == 0)
        #expect(stats.entries >= 4)
        #expect(Fixture.expected.count == 4)
        for e in Fixture.expected {
            let m = try #require(index.lookup(serial: e.serial), "\(export): \(e.serial.hex)")
            // Without issuer information every candidate of the serial is reported.
            #expect(m.quality == .serialOnly)
            let c = m.candidates.filter { $0.issuer.hasSuffix(e.issuerCN) || $0.issuer.contains("CN=\(e.issuerCN)") }
            #expect(c.contains { $0.hostnames == e.hostnames }, "\(export): \(e.serial.hex) → \(m.candidates)")
        }
    }

    @Test func formatsAreDetected() throws {
        let cases: [(String, CTSourceFormat)] = [
            ("crtsh.json", .crtsh), ("certstream.ndjson", .certstream), ("censys.ndjson", .censys),
            ("get-entries.json", .rfc6962), ("issuers.pem", .pem),
        ]
        for (file, format) in cases {
            var index = CTIndex()
            let s = try index.load(path: Fixture.path(file))
            #expect(s.format == format, "\(file)")
        }
    }

    @Test func unrecognisedInputThrows() {
        var index = CTIndex()
        #expect(throws: CTIndexError.self) { try index.load(bytes: Array("hello world".utf8), name: "x") }
        #expect(throws: CTIndexError.self) { try index.load(path: Fixture.path("does-not-exist")) }
    }

    @Test(arguments: ["sha1", "sha256"])
    func certIDWithIssuerBundlePicksTheIssuerByKey(digest: String) throws {
        // Leaves from a directory, issuers from a bundle: the issuer link is the exact issuer Name DER.
        let index = try loaded([Fixture.path("leaves"), Fixture.path("issuers.pem")])
        for e in Fixture.expected {
            let id = try Fixture.certID(Fixture.leafName(e), digest)
            let m = try #require(index.lookup(certID: id))
            #expect(m.quality == .serialIssuerKey)
            #expect(m.hostnames == e.hostnames)
            #expect(!m.ambiguous)
            #expect(m.candidates.count == 1)
        }
    }

    @Test func sharedSerialWithoutIssuerInformationIsAmbiguous() throws {
        let index = try loaded([Fixture.path("crtsh.json")])
        let shop = try Fixture.certID("shop-a", "sha1")
        let m = try #require(index.lookup(certID: shop))
        #expect(m.quality == .serialOnly)
        #expect(m.ambiguous)
        // Precertificate row, certificate row (CA A) and the CA B certificate.
        #expect(m.candidates.count == 3)
        #expect(m.candidates.allSatisfy { $0.quality == .serialOnly })
        #expect(m.hostnames == ["mail.example.net", "shop.example.org", "www.shop.example.org"])
        #expect(Set(m.candidates.compactMap(\.recordID)) == [999, 1001, 1002])
        #expect(m.candidates.allSatisfy { $0.recordKind == .crtshID })
    }

    @Test(arguments: ["sha1", "sha256"])
    func sharedSerialWithIssuerCandidatesPicksByName(digest: String) throws {
        let index = try loaded([Fixture.path("crtsh.json")])
        let caA = try Fixture.certificate("ca-a.pem")
        let caB = try Fixture.certificate("ca-b.pem")
        let shop = try Fixture.certID("shop-a", digest)
        // Only CA A known: the CA A rows match by name, the CA B row cannot be excluded.
        let m1 = try #require(index.lookup(certID: shop, issuerCandidates: [caA]))
        #expect(m1.quality == .serialIssuerName)
        #expect(m1.hostnames == ["shop.example.org", "www.shop.example.org"])
        #expect(!m1.ambiguous)
        #expect(m1.candidates.filter { $0.quality == .serialIssuerName }.count == 2)
        #expect(m1.candidates.filter { $0.quality == .serialOnly }.map(\.hostnames) == [["mail.example.net"]])
        // Both CAs known: the CA B row is excluded.
        let m2 = try #require(index.lookup(certID: shop, issuerCandidates: [caA, caB]))
        #expect(m2.candidates.count == 2)
        #expect(m2.candidates.allSatisfy { $0.quality == .serialIssuerName && $0.issuer.hasSuffix("CA A") })
        let mail = try Fixture.certID("mail-b", digest)
        let m3 = try #require(index.lookup(certID: mail, issuerCandidates: [caA, caB]))
        #expect(m3.quality == .serialIssuerName)
        #expect(m3.hostnames == ["mail.example.net"])
        #expect(m3.candidates.count == 1)
    }

    @Test func crtshWithRegisteredIssuersNeedsNoCandidates() throws {
        var index = try loaded([Fixture.path("crtsh.json")])
        index.addIssuers([try Fixture.certificate("ca-a.pem"), try Fixture.certificate("ca-b.pem")])
        for e in Fixture.expected {
            for digest in ["sha1", "sha256"] {
                let m = try #require(index.lookup(certID: try Fixture.certID(Fixture.leafName(e), digest)))
                #expect(m.quality == .serialIssuerName)
                #expect(m.hostnames == e.hostnames)
                #expect(!m.ambiguous)
            }
        }
    }

    @Test func getEntriesGiveKeyQualityFromTheChain() throws {
        var index = CTIndex()
        let s = try index.load(path: Fixture.path("get-entries.json"))
        #expect(s.entries == 2)
        #expect(s.malformed == 0)
        #expect(index.knownIssuerCount >= 2)  // CA A and the root
        for leaf in ["shop-a", "api-a"] {
            for digest in ["sha1", "sha256"] {
                let m = try #require(index.lookup(certID: try Fixture.certID(leaf, digest)), "\(leaf) \(digest)")
                #expect(m.quality == .serialIssuerKey)
                #expect(m.candidates.count == 1)
                #expect(m.candidates[0].recordKind == .fileEntry)
            }
        }
        // The precert entry (api-a) is read from its TBSCertificate.
        let api = try #require(index.lookup(serialHex: "abc"))
        #expect(api.hostnames == ["api.example.org", "api2.example.org"])
        #expect(api.candidates[0].recordID == 1)
        // The mail-b CertID shares shop-a's serial but not its issuer.
        #expect(index.lookup(certID: try Fixture.certID("mail-b", "sha1")) == nil)
    }

    @Test func decoysNeverMatch() throws {
        let everything = try loaded(FixtureJoinTests.exports.map(Fixture.path) + [Fixture.path("issuers.pem"),
                                                                                   Fixture.path("get-entries.json")])
        for digest in ["sha1", "sha256"] {
            // Same serial as api-a, issued by CA C (whose DN is in no export): excluded wherever the issuer is known.
            let decoy = try Fixture.certID("decoy-c", digest)
            let withIssuers = try loaded([Fixture.path("leaves"), Fixture.path("issuers.pem"),
                                          Fixture.path("get-entries.json")])
            #expect(withIssuers.lookup(certID: decoy) == nil)
            var crtsh = try loaded([Fixture.path("crtsh.json")])
            crtsh.addIssuers([try Fixture.certificate("ca-a.pem")])
            #expect(crtsh.lookup(certID: decoy) == nil)
            // In the index with every source, no candidate may be better than serial-only (DN-only rows whose
            // issuer is unknown cannot be excluded) and none may carry the decoy's host.
            if let m = everything.lookup(certID: decoy) {
                #expect(m.quality == .serialOnly)
                #expect(!m.hostnames.contains("decoy.example.com"))
            }
            // A serial in no export.
            #expect(everything.lookup(certID: try Fixture.certID("stray-a", digest)) == nil)
        }
    }

    @Test func everySourceTogetherGivesTheBestQuality() throws {
        let index = try loaded(FixtureJoinTests.exports.map(Fixture.path) + [Fixture.path("issuers.pem"),
                                                                              Fixture.path("get-entries.json")])
        for e in Fixture.expected {
            let m = try #require(index.lookup(certID: try Fixture.certID(Fixture.leafName(e), "sha256")))
            #expect(m.quality == .serialIssuerKey)
            #expect(m.hostnames == e.hostnames)
            #expect(!m.ambiguous)
            // crt.sh, certstream, Censys rows carry only a DN: they come with serial+issuer-name.
            #expect(m.candidates.contains { $0.quality == .serialIssuerName })
            #expect(!m.candidates.contains { $0.hostnames.contains("decoy.example.com") })
        }
    }

    @Test func hashAlgorithmIsInferredFromTheHashLength() throws {
        let index = try loaded([Fixture.path("leaves"), Fixture.path("issuers.pem")])
        let caA = try Fixture.certificate("ca-a.pem")
        let serial = try #require(SerialNumber(hex: "00:8F:00:00:00:00:00:00:00:00:00:01"))
        let m = try #require(index.lookup(serial: serial, issuerNameHash: caA.subjectNameHash(.sha256),
                                          issuerKeyHash: caA.subjectPublicKeyHash(.sha256)))
        #expect(m.quality == .serialIssuerKey)
        #expect(m.hostnames == ["shop.example.org", "www.shop.example.org"])
        // Key hash only.
        let k = try #require(index.lookup(serial: serial, issuerKeyHash: caA.subjectPublicKeyHash(.sha1)))
        #expect(k.quality == .serialIssuerKey)
        #expect(k.candidates.count == 1)
        // A wrong name hash excludes.
        var wrong = caA.subjectNameHash(.sha1)
        wrong[0] ^= 1
        #expect(index.lookup(serial: serial, issuerNameHash: wrong, issuerKeyHash: caA.subjectPublicKeyHash(.sha1)) == nil)
    }

    @Test func matchRendersAsJSON() throws {
        let index = try loaded([Fixture.path("crtsh.json")])
        let m = try #require(index.lookup(serialHex: "1234"))
        #expect(m.json.hasPrefix("{\"serial\":\"1234\",\"quality\":\"serial-only\",\"ambiguous\":false,"))
        #expect(m.json.contains("\"hostnames\":[\"blog.example.org\"]"))
        #expect(m.json.contains("\"record_id\":1004"))
        #expect(m.json.contains("\"not_before\":\"2026-01-02T03:04:05Z\""))
        #expect(m.json.contains("\"issuer\":\"C=XX, O=CT Fixtures, Inc., CN=CT Fixture CA A\""))
    }
}

@Suite struct LearnTests {
    @Test func learnedCertificatesJoinWithTheirSNI() throws {
        var index = CTIndex()
        let shop = try Fixture.certificate("shop-a.pem")
        let caA = try Fixture.certificate("ca-a.pem")
        index.learn(certificate: shop, issuer: caA, sni: "Checkout.Example.org", source: "capture.pcap")
        #expect(index.count == 1)
        let m = try #require(index.lookup(certID: try Fixture.certID("shop-a", "sha1")))
        #expect(m.quality == .serialIssuerKey)
        #expect(m.hostnames == ["checkout.example.org", "shop.example.org", "www.shop.example.org"])
        #expect(m.candidates[0].recordKind == .capture)
        #expect(m.candidates[0].source == "capture.pcap")
        // The same certificate, SNI and source again: nothing new.
        index.learn(certificate: shop, issuer: caA, sni: "checkout.example.org", source: "capture.pcap")
        #expect(index.count == 1)
        // Another SNI: a new entry.
        index.learn(certificate: shop, issuer: caA, sni: "other.example.org", source: "capture.pcap")
        #expect(index.count == 2)
        // A chain certificate that did not issue the leaf gives no key hashes: name quality.
        var index2 = CTIndex()
        index2.learn(certificate: shop, issuer: try Fixture.certificate("ca-b.pem"), sni: nil, source: "c")
        let m2 = try #require(index2.lookup(certID: try Fixture.certID("shop-a", "sha256")))
        #expect(m2.quality == .serialIssuerName)
        // The CA B CertID for the same serial does not match it.
        #expect(index2.lookup(certID: try Fixture.certID("mail-b", "sha256")) == nil)
    }
}
