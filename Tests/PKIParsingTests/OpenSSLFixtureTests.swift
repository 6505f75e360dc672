import Testing
@testable import PKIParsing

/// Fixtures made by Fixtures/make-fixtures.sh. Values fixed by the script are asserted literally; hashes are
/// recomputed from the CA certificate (the script makes fresh keys on every run).
@Suite struct OpenSSLFixtureTests {
    let ca: X509Certificate
    init() throws { ca = try X509Certificate(derEncoded: try Fixture.bytes("ca.der")) }

    @Test func caCertificate() throws {
        #expect(ca.serialNumber.hex == "01")
        #expect(ca.subject.rfc4514 == "CN=Helloscope Test CA,O=Helloscope Test,C=DE")
        #expect(ca.subject.oneline == "C = DE, O = Helloscope Test, CN = Helloscope Test CA")
        #expect(ca.issuer == ca.subject)
        #expect(ca.isCA == true)
        #expect(ca.mustStaple == false)
        #expect(ca.notBefore.rfc3339 == "2025-01-01T00:00:00Z")
        #expect(ca.notAfter.rfc3339 == "2035-01-01T00:00:00Z")
        #expect(ca.signatureAlgorithm.name == "ecdsa-with-SHA256")
        #expect(ca.subjectPublicKeyAlgorithm.name == "id-ecPublicKey")
        #expect(ca.subjectPublicKey.count == 65 && ca.subjectPublicKey.first == 0x04)
        #expect(ca.subjectNameHash(.sha1).count == 20)
        #expect(ca.subjectNameHash(.sha256).count == 32)
        // The subject Name DER is inside the certificate DER, and starts with a SEQUENCE tag.
        #expect(ca.subjectDER.first == 0x30)
        #expect(ca.derEncoded == (try Fixture.bytes("ca.der")))
    }

    @Test func leafWithTopBitSerial() throws {
        let leaf = try X509Certificate(derEncoded: try Fixture.bytes("leaf.der"))
        #expect(leaf.version == 2)
        #expect(leaf.serialNumber.hex == "8f000000000000000001")
        #expect(leaf.serialNumber == SerialNumber(hex: "8F:00:00:00:00:00:00:00:00:01"))
        #expect(leaf.subject.rfc4514 == "CN=www.example.test,O=Helloscope Test,C=DE")
        #expect(leaf.subject.commonName == "www.example.test")
        #expect(leaf.issuer.rfc4514 == "CN=Helloscope Test CA,O=Helloscope Test,C=DE")
        #expect(leaf.issuerDER == ca.subjectDER)
        #expect(leaf.dnsNames == ["www.example.test", "example.test"])
        #expect(leaf.ipAddresses == ["192.0.2.10", "2001:db8::1"])
        #expect(leaf.ocspURLs == ["http://ocsp.example.test/"])
        #expect(leaf.caIssuersURLs == ["http://ca.example.test/ca.der"])
        #expect(leaf.crlDistributionPointURLs == ["http://crl.example.test/ca.crl"])
        #expect(leaf.mustStaple == false)
        #expect(leaf.tlsFeatures == nil)
        #expect(leaf.isCA == false)
        #expect(leaf.undecodableExtensions.isEmpty)
        #expect(leaf.notBefore.rfc3339 == "2025-06-01T00:00:00Z")
        #expect(leaf.notBefore.secondsSinceEpoch == 1_748_736_000)
        #expect(leaf.notAfter.rfc3339 == "2026-06-01T00:00:00Z")
    }

    @Test func mustStapleLeaf() throws {
        let leaf = try X509Certificate(derEncoded: try Fixture.bytes("must-staple.der"))
        #expect(leaf.mustStaple)
        #expect(leaf.tlsFeatures == [5])
        #expect(leaf.serialNumber.hex == "1001")
        #expect(leaf.dnsNames == ["staple.example.test"])
        #expect(leaf.subject.rfc4514 == "CN=staple.example.test")
    }

    @Test func requestWithNonce() throws {
        let req = try OCSPRequest(derEncoded: try Fixture.bytes("ocsp-req-nonce.der"))
        #expect(req.version == 0)
        #expect(!req.isSigned)
        #expect(!req.hasRequestorName)
        #expect(req.requests.count == 1)
        let id = try #require(req.certIDs.first)
        #expect(id.hashAlgorithmName == "sha1")
        #expect(id.hashAlgorithm.oid == "1.3.14.3.2.26")
        #expect(id.issuerNameHash == ca.subjectNameHash(.sha1))
        #expect(id.issuerKeyHash == ca.subjectPublicKeyHash(.sha1))
        #expect(id.issuerNameHashHex == PKIHex.encode(ca.subjectNameHash(.sha1)))
        #expect(id.serialNumber.hex == "8f000000000000000001")
        let leaf = try X509Certificate(derEncoded: try Fixture.bytes("leaf.der"))
        #expect(id.matches(issuer: ca, serial: leaf.serialNumber))
        #expect(!id.matches(issuer: leaf, serial: leaf.serialNumber))
        let nonce = try #require(req.nonce)
        #expect(nonce.isWrapped)
        #expect(nonce.value.count == 16)
        #expect(nonce.extensionValue.count == 18)
        #expect(nonce.hex == PKIHex.encode(nonce.extensionValue.dropFirst(2)))
    }

    @Test func requestWithoutNonce() throws {
        let req = try OCSPRequest(derEncoded: try Fixture.bytes("ocsp-req-nononce.der"))
        #expect(req.nonce == nil)
        #expect(req.requestExtensions.isEmpty)
        #expect(req.certIDs.map(\.serialNumber.hex) == ["8f000000000000000001"])
    }

    @Test func requestWithSeveralSHA256CertIDs() throws {
        let req = try OCSPRequest(derEncoded: try Fixture.bytes("ocsp-req-sha256-multi.der"))
        #expect(req.certIDs.map(\.serialNumber.hex) == ["8f000000000000000001", "1001", "2001"])
        for id in req.certIDs {
            #expect(id.hashAlgorithmName == "sha256")
            #expect(id.issuerNameHash == ca.subjectNameHash(.sha256))
            #expect(id.issuerKeyHash == ca.subjectPublicKeyHash(.sha256))
        }
    }

    @Test func goodResponse() throws {
        let resp = try OCSPResponse(derEncoded: try Fixture.bytes("ocsp-resp-good.der"))
        #expect(resp.responseStatus == .successful)
        #expect(resp.responseType == "1.3.6.1.5.5.7.48.1.1")
        let basic = try #require(resp.basic)
        #expect(basic.version == 0)
        #expect(basic.responderID.description == "C = DE, O = Helloscope Test, CN = Helloscope Test CA")
        #expect(basic.responderID.name == ca.subject)
        #expect(basic.signatureAlgorithm.name == "ecdsa-with-SHA256")
        #expect(basic.certificateCount == 1)
        let embedded = try X509Certificate(derEncoded: try #require(basic.certificates.first))
        #expect(embedded == ca)
        #expect(basic.responses.count == 1)
        let single = try #require(basic.responses.first)
        #expect(single.certStatus == .good)
        #expect(single.certID.serialNumber.hex == "8f000000000000000001")
        #expect(single.certID.issuerNameHash == ca.subjectNameHash(.sha1))
        let next = try #require(single.nextUpdate)
        #expect(next.secondsSinceEpoch - single.thisUpdate.secondsSinceEpoch == 7 * 86_400)
        #expect(abs(basic.producedAt.secondsSinceEpoch - single.thisUpdate.secondsSinceEpoch) <= 5)
        // openssl copies the request nonce into the response.
        let req = try OCSPRequest(derEncoded: try Fixture.bytes("ocsp-req-nonce.der"))
        #expect(basic.nonce == req.nonce)
        #expect(basic.nonce != nil)
    }

    @Test func revokedResponseByKey() throws {
        let resp = try OCSPResponse(derEncoded: try Fixture.bytes("ocsp-resp-revoked.der"))
        let basic = try #require(resp.basic)
        #expect(basic.responderID.keyHash == ca.subjectPublicKeyHash(.sha1))
        #expect(basic.responderID.description == PKIHex.encode(ca.subjectPublicKeyHash(.sha1)))
        #expect(basic.certificateCount == 0)
        #expect(basic.nonce == nil)
        let single = try #require(basic.responses.first)
        #expect(single.certID.serialNumber.hex == "2001")
        #expect(single.certStatus.name == "revoked")
        let info = try #require(single.certStatus.revokedInfo)
        #expect(info.revocationTime.rfc3339 == "2025-07-15T12:00:00Z")
        #expect(info.revocationReason == .keyCompromise)
        #expect(info.revocationReason?.name == "keyCompromise")
    }

    @Test func unknownResponse() throws {
        let basic = try #require(try OCSPResponse(derEncoded: try Fixture.bytes("ocsp-resp-unknown.der")).basic)
        #expect(basic.responses.map(\.certStatus) == [.unknown])
        #expect(basic.responses.first?.certID.serialNumber.hex == "7777")
    }

    @Test func multiResponse() throws {
        let basic = try #require(try OCSPResponse(derEncoded: try Fixture.bytes("ocsp-resp-multi.der")).basic)
        #expect(basic.responses.map(\.certID.serialNumber.hex) == ["8f000000000000000001", "1001", "2001"])
        #expect(basic.responses.map(\.certStatus.name) == ["good", "good", "revoked"])
        #expect(basic.responses.allSatisfy { $0.certID.hashAlgorithmName == "sha256" })
    }

    @Test func crl() throws {
        let crl = try CertificateList(derEncoded: try Fixture.bytes("crl.der"))
        #expect(crl.version == 1)
        #expect(crl.issuerString == "CN=Helloscope Test CA,O=Helloscope Test,C=DE")
        #expect(crl.issuer == ca.subject)
        #expect(crl.thisUpdate.rfc3339 == "2025-08-01T00:00:00Z")
        #expect(crl.nextUpdate?.rfc3339 == "2025-08-08T00:00:00Z")
        #expect(crl.crlNumber?.hex == "1000")
        #expect(crl.crlNumber?.decimal == "4096")
        #expect(crl.revokedCount == 3)
        #expect(!crl.revokedTruncated)
        #expect(crl.revokedCertificates.map(\.serialNumber.hex) == ["2001", "2002", "2003"])
        #expect(crl.revokedCertificates.map(\.reason) == [.keyCompromise, .superseded, .unspecified])
        #expect(crl.revokedCertificates.allSatisfy { $0.revocationDate.rfc3339 == "2025-07-15T12:00:00Z" })
        #expect(crl.signatureAlgorithm.name == "ecdsa-with-SHA256")
    }

    @Test func wrongParserIsAnError() throws {
        #expect(throws: PKIParsingError.self) { try OCSPRequest(derEncoded: try Fixture.bytes("ocsp-resp-good.der")) }
        #expect(throws: PKIParsingError.self) { try OCSPResponse(derEncoded: try Fixture.bytes("ocsp-req-nonce.der")) }
        #expect(throws: PKIParsingError.self) { try CertificateList(derEncoded: try Fixture.bytes("leaf.der")) }
        #expect(throws: PKIParsingError.self) { try X509Certificate(derEncoded: try Fixture.bytes("crl.der")) }
    }
}
