import Testing
@testable import PKIParsing

func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] { [tag] + lengthOctets4(content.count) + content }

func lengthOctets4(_ n: Int) -> [UInt8] {
    if n < 0x80 { return [UInt8(n)] }
    var octets: [UInt8] = []
    var v = n
    while v > 0 {
        octets.insert(UInt8(v & 0xff), at: 0)
        v >>= 8
    }
    return [0x80 | UInt8(octets.count)] + octets
}

func u24(_ n: Int) -> [UInt8] { [UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] }

@Suite struct CertificateStatusTests {
    @Test func ocspStatusType() throws {
        let der = try Fixture.bytes("ocsp-stapling-digicert-staple.der")
        let status = try CertificateStatus(tlsMessageBody: [1] + u24(der.count) + der)
        #expect(status.statusType == 1)
        #expect(status.responseDERs == [der])
        #expect(status.response?.basic?.responses.first?.certID.serialNumber.hex == "03b6ab7407b516ef13baeab315d22130")
    }

    @Test func ocspMultiWithEmptySlot() throws {
        let der = try Fixture.bytes("ocsp-resp-good.der")
        let list = u24(der.count) + der + u24(0)
        let status = try CertificateStatus(tlsMessageBody: [2] + u24(list.count) + list)
        #expect(status.statusType == 2)
        try #require(status.responses.count == 2)
        #expect(status.responses[1] == nil)
        #expect(status.response?.responseStatus == .successful)
    }

    @Test func badBodies() throws {
        let der = try Fixture.bytes("ocsp-resp-good.der")
        let good = [UInt8(1)] + u24(der.count) + der
        for cut in 0..<good.count {
            #expect(throws: PKIParsingError.self) { try CertificateStatus(tlsMessageBody: Array(good[0..<cut])) }
        }
        do {
            _ = try CertificateStatus(tlsMessageBody: [9, 0, 0, 1, 0])
            Issue.record("status_type 9 accepted")
        } catch {
            #expect(!error.isMalformed)
        }
    }
}

@Suite struct CRLCapTests {
    /// A synthetic CRL with more entries than the retention cap (the signature is not checked by the parser).
    @Test func entriesBeyondCapAreCountedNotKept() throws {
        let total = PKIParsingLimits.maximumRetainedCRLEntries + 7
        var entries: [UInt8] = []
        entries.reserveCapacity(total * 24)
        for i in 0..<total {
            let serial: [UInt8] = [0x01, UInt8(i >> 16 & 0xff), UInt8(i >> 8 & 0xff), UInt8(i & 0xff)]
            // reasonCode extension on odd entries.
            var entry = tlv(0x02, serial) + tlv(0x17, Array("250101000000Z".utf8))
            if i % 2 == 1 {
                let reason = tlv(0x0a, [0x01])
                entry += tlv(0x30, tlv(0x30, tlv(0x06, [0x55, 0x1d, 0x15]) + tlv(0x04, reason)))
            }
            entries += tlv(0x30, entry)
        }
        let alg = tlv(0x30, tlv(0x06, [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]))
        let name = tlv(0x30, tlv(0x31, tlv(0x30, tlv(0x06, [0x55, 0x04, 0x03]) + tlv(0x0c, Array("Big CA".utf8)))))
        let tbs = tlv(0x30, tlv(0x02, [0x01]) + alg + name + tlv(0x17, Array("250101000000Z".utf8))
            + tlv(0x18, Array("20250108000000Z".utf8)) + tlv(0x30, entries))
        let crlDER = tlv(0x30, tbs + alg + tlv(0x03, [0x00, 0x01]))
        let crl = try CertificateList(derEncoded: crlDER)
        #expect(crl.revokedCount == total)
        #expect(crl.revokedCertificates.count == PKIParsingLimits.maximumRetainedCRLEntries)
        #expect(crl.revokedTruncated)
        #expect(crl.issuerString == "CN=Big CA")
        #expect(crl.nextUpdate?.rfc3339 == "2025-01-08T00:00:00Z")
        #expect(crl.crlNumber == nil)
        try #require(crl.revokedCertificates.count == PKIParsingLimits.maximumRetainedCRLEntries)
        #expect(crl.revokedCertificates[0].serialNumber.hex == "01000000")
        #expect(crl.revokedCertificates[0].reason == nil)
        #expect(crl.revokedCertificates[1].reason == .keyCompromise)
        #expect(crl.revokedCertificates[9999].serialNumber.hex == "0100270f")
    }

    @Test func decimalCap() {
        #expect(SerialNumber(decimal: String(repeating: "9", count: 5000)) == nil)
        #expect(SerialNumber(decimal: String(repeating: "9", count: 900)) != nil)
    }
}
