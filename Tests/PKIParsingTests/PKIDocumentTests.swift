import Testing
@testable import PKIParsing

@Suite struct PKIDocumentTests {
    static func expectedKind(_ name: String) -> String {
        if name.contains("req") { return "ocsp-request" }
        if name.contains("resp") || (name.hasPrefix("ocsp-stapling") && name.hasSuffix("-staple.der")) { return "ocsp-response" }
        if name.hasPrefix("crl") { return "crl" }
        return "certificate"
    }

    @Test(arguments: DERRobustnessTests.fixtures)
    func everyFixtureIsRecognised(_ name: String) throws {
        let doc = PKIDocument.parse(try Fixture.bytes(name))
        #expect(doc?.kind == Self.expectedKind(name))
    }

    @Test func pem() throws {
        let der = try Fixture.bytes("crl.der")
        let pem = "-----BEGIN X509 CRL-----\n" + base64(der).chunked(64) + "\n-----END X509 CRL-----\n"
        #expect(try CertificateList(derOrPEM: Array(pem.utf8)) == CertificateList(derEncoded: der))
        #expect(PKIDocument.parse(Array(("\r\n" + pem).utf8))?.kind == "crl")
        let cert = try Fixture.bytes("leaf.der")
        let certPEM = "-----BEGIN CERTIFICATE-----\r\n" + base64(cert).chunked(64) + "\r\n-----END CERTIFICATE-----\r\n"
        #expect(try X509Certificate(derOrPEM: Array(certPEM.utf8)).serialNumber.hex == "8f000000000000000001")
        #expect(try X509Certificate(derOrPEM: cert).serialNumber.hex == "8f000000000000000001")
        // Broken PEM: no END line, bad base64.
        #expect(PEM.firstBlock(Array("-----BEGIN X509 CRL-----\nMIIB\n".utf8)[...]) == nil)
        #expect(PEM.firstBlock(Array("-----BEGIN X509 CRL-----\nM!IB\n-----END X509 CRL-----\n".utf8)[...]) == nil)
        #expect(PKIDocument.parse(Array("hello".utf8)) == nil)
        #expect(PKIDocument.parse([]) == nil)
    }

    @Test func pemTruncations() throws {
        let cert = try Fixture.bytes("must-staple.der")
        let pem = Array(("-----BEGIN CERTIFICATE-----\n" + base64(cert).chunked(64) + "\n-----END CERTIFICATE-----\n").utf8)
        // Nothing parses until "-----END " has arrived (its label is not checked); no prefix traps.
        let endMarker = Array("-----END ".utf8)
        let endAt = try #require((0..<pem.count).first { pem[$0...].starts(with: endMarker) }) + endMarker.count
        for cut in 0..<pem.count {
            let doc = PKIDocument.parse(pem[0..<cut])
            #expect((doc?.kind == "certificate") == (cut >= endAt), "cut \(cut)")
        }
        #expect(PKIDocument.parse(pem)?.kind == "certificate")
    }
}

extension String {
    func chunked(_ n: Int) -> String {
        var lines: [Substring] = []
        var rest = self[...]
        while !rest.isEmpty {
            lines.append(rest.prefix(n))
            rest = rest.dropFirst(n)
        }
        return lines.joined(separator: "\n")
    }
}
