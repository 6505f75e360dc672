import Testing
@testable import PKIParsing

/// Every DER fixture, every prefix and every single-byte corruption, through every parser: each call must return
/// a value or throw `PKIParsingError` — a trap would abort the test process.
@Suite struct DERRobustnessTests {
    static let fixtures = Fixture.names(withSuffix: ".der")

    enum Kind: CaseIterable { case request, response, certificate, crl, name }

    /// Runs the parsers in `kinds`; returns how many succeeded.
    @discardableResult
    static func parseAll(_ bytes: ArraySlice<UInt8>, _ kinds: [Kind] = Kind.allCases) -> Int {
        var ok = 0
        if kinds.contains(.request), (try? OCSPRequest(derEncoded: bytes)) != nil { ok += 1 }
        if kinds.contains(.response), let r = try? OCSPResponse(derEncoded: bytes) {
            ok += 1
            // Exercise every rendering path on whatever decoded.
            for s in r.basic?.responses ?? [] {
                _ = (s.certID.serialNumber.hex, s.thisUpdate.rfc3339, s.certStatus.name, s.certID.issuerNameHashHex)
            }
            _ = r.basic?.responderID.description
        }
        if kinds.contains(.certificate), let c = try? X509Certificate(derEncoded: bytes) {
            ok += 1
            _ = (c.subject.rfc4514, c.issuer.oneline, c.dnsNames, c.ipAddresses, c.notAfter.rfc3339)
        }
        if kinds.contains(.crl), let l = try? CertificateList(derEncoded: bytes) {
            ok += 1
            _ = l.revokedCertificates.map(\.serialNumber.decimal)
        }
        if kinds.contains(.name), (try? DistinguishedName(derEncoded: bytes)) != nil { ok += 1 }
        return ok
    }

    /// The parser that accepts the unmodified fixture (the only one that gets the mutated inputs: the others fail
    /// at the first tag anyway).
    static func kind(of bytes: [UInt8]) -> Kind? {
        Kind.allCases.first { parseAll(bytes[...], [$0]) == 1 }
    }

    @Test func fixturesArePresent() {
        #expect(Self.fixtures.count >= 30)
    }

    @Test(arguments: fixtures)
    func everyFixtureParsesWithExactlyOneParser(_ name: String) throws {
        let bytes = try Fixture.bytes(name)
        // Each fixture is one of the structures; only the matching parser (plus none other) accepts it.
        #expect(Self.parseAll(bytes[...]) == 1)
    }

    @Test(arguments: fixtures)
    func everyTruncationIsAnError(_ name: String) throws {
        let bytes = try Fixture.bytes(name)
        let kind = try #require(Self.kind(of: bytes))
        for cut in 0..<bytes.count {
            let prefix = bytes[0..<cut]
            #expect(Self.parseAll(prefix, [kind]) == 0, "prefix \(cut) of \(name) parsed")
        }
        // Trailing garbage is an error too.
        #expect(Self.parseAll((bytes + [0x00])[...]) == 0)
    }

    @Test(arguments: fixtures)
    func everySingleByteCorruptionIsHandled(_ name: String) throws {
        let bytes = try Fixture.bytes(name)
        let kind = try #require(Self.kind(of: bytes))
        var mutated = bytes
        var accepted = 0
        for i in 0..<bytes.count {
            for transform in [{ (b: UInt8) in b ^ 0xff }, { _ in 0x00 }, { _ in 0x80 }, { _ in 0xff }] {
                mutated[i] = transform(bytes[i])
                accepted += Self.parseAll(mutated[...], [kind])
            }
            mutated[i] = bytes[i]
        }
        // Corrupting tags and lengths must be caught often; content-only changes may still parse.
        #expect(accepted < bytes.count * 4)
    }

    @Test func typedErrorsDistinguishMalformedFromUnsupported() throws {
        // OCSPRequest with version v2 (1): [0] EXPLICIT INTEGER 1 in TBSRequest.
        let v2: [UInt8] = [0x30, 0x09, 0x30, 0x07, 0xa0, 0x03, 0x02, 0x01, 0x01, 0x30, 0x00]
        do {
            _ = try OCSPRequest(derEncoded: v2)
            Issue.record("v2 accepted")
        } catch {
            #expect(!error.isMalformed)
            #expect(error.structure == "OCSPRequest")
        }
        do {
            _ = try OCSPRequest(derEncoded: [0x30, 0x03, 0x02, 0x01])
            Issue.record("garbage accepted")
        } catch {
            #expect(error.isMalformed)
        }
        #expect(throws: PKIParsingError.malformed(structure: "OCSPResponse", reason: "empty input")) {
            try OCSPResponse(derEncoded: [])
        }
        let big = [UInt8](repeating: 0x30, count: PKIParsingLimits.maximumOCSPSize + 1)
        #expect(throws: PKIParsingError.inputTooLarge(structure: "OCSPResponse", size: big.count,
                                                      limit: PKIParsingLimits.maximumOCSPSize)) {
            try OCSPResponse(derEncoded: big)
        }
    }

    @Test func deepNestingIsRefused() {
        // 200 nested SEQUENCEs: deeper than the DER depth cap.
        var der: [UInt8] = []
        for depth in 0..<200 {
            let inner = der
            der = [0x30] + lengthOctets(inner.count) + inner
            _ = depth
        }
        #expect(Self.parseAll(der[...]) == 0)
    }

    @Test func nonceEncodings() {
        // RFC 8954: OCTET STRING inside extnValue.
        let wrapped = OCSPNonce(extensionValue: [0x04, 0x03, 0xaa, 0xbb, 0xcc])
        #expect(wrapped.isWrapped && wrapped.hex == "aabbcc")
        // Raw bytes directly in extnValue.
        let raw = OCSPNonce(extensionValue: [0xde, 0xad, 0xbe, 0xef])
        #expect(!raw.isWrapped && raw.hex == "deadbeef")
        // Looks like an OCTET STRING header but the length does not match: raw.
        let mismatch = OCSPNonce(extensionValue: [0x04, 0x05, 0xaa])
        #expect(!mismatch.isWrapped && mismatch.hex == "0405aa")
        // Long form length.
        let long = OCSPNonce(extensionValue: [0x04, 0x81, 0x80] + [UInt8](repeating: 7, count: 128))
        #expect(long.isWrapped && long.value.count == 128)
    }

    @Test func generalNameRendering() {
        #expect(GeneralName.renderIP([192, 0, 2, 1]) == "192.0.2.1")
        #expect(GeneralName.renderIP([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]) == "2001:db8::1")
        #expect(GeneralName.renderIP([UInt8](repeating: 0, count: 16)) == "::")
        #expect(GeneralName.renderIP([0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]) == "1:0:1:0:1:0:1:0")
        #expect(GeneralName.renderIP([10, 0, 0, 0, 255, 0, 0, 0]) == "10.0.0.0/255.0.0.0")
        #expect(GeneralName.renderIP([1, 2, 3]) == "010203")
    }

    @Test func distinguishedNameEscaping() throws {
        // SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, UTF8String "a,b+c" } } }
        let value = Array("a,b+c".utf8)
        let atv: [UInt8] = [0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, UInt8(value.count)] + value
        let der: [UInt8] = [0x30, UInt8(atv.count + 4), 0x31, UInt8(atv.count + 2), 0x30, UInt8(atv.count)] + atv
        let name = try DistinguishedName(derEncoded: der[...])
        #expect(name.rfc4514 == "CN=a\\,b\\+c")
        #expect(name.oneline == "CN = a,b+c")
        #expect(name.derEncoded == der)
    }
}

func lengthOctets(_ n: Int) -> [UInt8] {
    if n < 0x80 { return [UInt8(n)] }
    if n < 0x100 { return [0x81, UInt8(n)] }
    return [0x82, UInt8(n >> 8), UInt8(n & 0xff)]
}

@Suite struct DEREdgeCaseTests {
    @Test func emptyInnerDocuments() {
        // OCSPResponse { successful, [0] { id-pkix-ocsp-basic, OCTET STRING (empty) } }
        let oid: [UInt8] = [0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01]
        let rb = tlv(0x30, oid + [0x04, 0x00])
        let resp = tlv(0x30, [0x0a, 0x01, 0x00] + tlv(0xa0, rb))
        #expect(throws: PKIParsingError.self) { try OCSPResponse(derEncoded: resp) }
        // Same with an unknown response type: not decoded, not an error.
        let other = tlv(0x30, [0x0a, 0x01, 0x00] + tlv(0xa0, tlv(0x30, [0x06, 0x03, 0x2a, 0x03, 0x04, 0x04, 0x01, 0x00])))
        let parsed = try? OCSPResponse(derEncoded: other)
        #expect(parsed?.responseType == "1.2.3.4")
        #expect(parsed?.basic == nil)
        #expect(parsed?.responseBytes == [0x00])
        // Non-successful status without responseBytes.
        let tryLater = try? OCSPResponse(derEncoded: [0x30, 0x03, 0x0a, 0x01, 0x03])
        #expect(tryLater?.responseStatus == .tryLater)
        #expect(tryLater?.responseStatus.name == "tryLater")
        let odd = try? OCSPResponse(derEncoded: [0x30, 0x03, 0x0a, 0x01, 0x04])
        #expect(odd?.responseStatus == .other(4))
        // Nonce extension with an empty value.
        #expect(OCSPNonce(extensionValue: []).value.isEmpty)
    }

    @Test func indefiniteLengthAndBERForms() {
        // Indefinite length (BER only) for the outer SEQUENCE of a tryLater response.
        #expect((try? OCSPResponse(derEncoded: [0x30, 0x80, 0x0a, 0x01, 0x03, 0x00, 0x00]))?.responseStatus == .tryLater)
        // Non-minimal length octets (BER only).
        #expect((try? OCSPResponse(derEncoded: [0x30, 0x81, 0x03, 0x0a, 0x01, 0x03]))?.responseStatus == .tryLater)
        // Unterminated indefinite length.
        #expect((try? OCSPResponse(derEncoded: [0x30, 0x80, 0x0a, 0x01, 0x03])) == nil)
    }
}
