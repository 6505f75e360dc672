import Testing
@testable import PKIParsing

/// Certificates from the shared corpus `ct-samples/` and the serial spellings of FORMATS.md: every source's
/// spelling normalises to the same value as the certificate's own DER serial.
@Suite struct CTSampleTests {
    @Test func censysCertificateAndDecimalSerial() throws {
        let cert = try X509Certificate(derEncoded: try Fixture.bytes("ct-censys-google.der"))
        // Censys `parsed.serial_number` is decimal.
        #expect(cert.serialNumber == SerialNumber(decimal: "5878999135690490607"))
        #expect(cert.serialNumber.hex == "51966690cda902ef")
        #expect(cert.subject.rfc4514 == "CN=*.google.com,O=Google Inc,L=Mountain View,ST=California,C=US")
        #expect(cert.issuer.oneline == "C = US, O = Google Inc, CN = Google Internet Authority G2")
        #expect(cert.ocspURLs == ["http://clients1.google.com/ocsp"])
        #expect(cert.caIssuersURLs == ["http://pki.google.com/GIAG2.crt"])
        #expect(cert.notBefore.rfc3339 == "2015-09-29T18:39:20Z")
        #expect(cert.notAfter.rfc3339 == "2015-12-28T00:00:00Z")
        #expect(cert.dnsNames.count == 50)
        #expect(cert.dnsNames.first == "*.google.com")
        #expect(!cert.mustStaple)
    }

    @Test func icarusLeaf() throws {
        let cert = try X509Certificate(derEncoded: try Fixture.bytes("ct-icarus-leaf.der"))
        #expect(cert.serialNumber.hex == "042ff6537d9d0477fff07f5a228776aaa3c5")
        #expect(cert.subject.rfc4514 == "CN=gem-jewelers.com")
        #expect(cert.issuer.commonName == "Let's Encrypt Authority X3")
        #expect(cert.ocspURLs == ["http://ocsp.int-x3.letsencrypt.org"])
        #expect(cert.caIssuersURLs == ["http://cert.int-x3.letsencrypt.org/"])
        #expect(cert.notBefore.rfc3339 == "2017-09-27T19:43:00Z")
        #expect(cert.signatureAlgorithm.name == "sha256WithRSAEncryption")
    }

    @Test func spellingsFromEachSource() {
        // certstream: upper-case, no leading zeros, odd length (= 0A0141420000015385736A0B85ECA708).
        #expect(SerialNumber(hex: "A0141420000015385736A0B85ECA708")?.hex == "0a0141420000015385736a0b85eca708")
        // crt.sh / tshark: DER content octets with the sign octet; openssl -serial: upper-case without it.
        #expect(SerialNumber(hex: "00f1d2c3b4a5968778") == SerialNumber(hex: "F1D2C3B4A5968778"))
        #expect(SerialNumber(hex: "00f1d2c3b4a5968778")?.hex == "f1d2c3b4a5968778")
        // Zeek ocsp.log: upper-case content octets.
        #expect(SerialNumber(hex: "081C862DC8AAC9")?.hex == "081c862dc8aac9")
        #expect(SerialNumber(hex: "81C862DC8AAC9") == SerialNumber(hex: "081C862DC8AAC9"))
    }
}
