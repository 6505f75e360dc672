import Testing
@testable import PKIParsing

/// OCSP bodies and staples extracted once (tshark) from the Zeek test traces in the shared corpus
/// (`zeek-ocsp/*.pcap`), checked against Zeek's baselines (`zeek-ocsp/baseline/*ocsp*`). Values below are copied
/// from those baselines; Zeek prints hex upper-case, this module lower-case.
@Suite struct ZeekTraceTests {
    /// One row of Zeek's ocsp.log.
    struct OCSPLogRow: Sendable, CustomStringConvertible {
        var response: String
        var request: String?
        var hashAlgorithm: String
        var issuerNameHash: String
        var issuerKeyHash: String
        var serialNumber: String
        var certStatus: String
        var revokeTime: Int64?
        var revokeReason: String?
        var thisUpdate: Int64
        var nextUpdate: Int64?
        /// From the `ocsp_response_bytes` line of the matching .stdout baseline.
        var responderID: String
        var signatureAlgorithm: String
        var description: String { response }
    }

    static let rows: [OCSPLogRow] = [
        // scripts.base.protocols.ssl.ocsp-http-get__ocsp.log / __.stdout
        OCSPLogRow(response: "zeek-http-get-response.der", request: nil, hashAlgorithm: "sha1",
                   issuerNameHash: "F2E06AF9858A1D8D709B4919237AA9B51A287E64",
                   issuerKeyHash: "4ADD06161BBCF668B576F581B6BB621ABA5A812F", serialNumber: "3D474496FF942316",
                   certStatus: "good", revokeTime: nil, revokeReason: nil, thisUpdate: 1_436_577_056,
                   nextUpdate: 1_437_181_856, responderID: "4ADD06161BBCF668B576F581B6BB621ABA5A812F",
                   signatureAlgorithm: "sha1WithRSAEncryption"),
        // scripts.base.protocols.ssl.ocsp-request-response__ocsp.log (= ocsp-response-only) / __.stdout
        OCSPLogRow(response: "zeek-godaddy-response.der", request: "zeek-godaddy-request.der", hashAlgorithm: "sha1",
                   issuerNameHash: "B6080D5F6C6B76EB13E438A5F8660BA85233344E",
                   issuerKeyHash: "40C2BD278ECC348330A233D7FB6CB3F0B42C80CE", serialNumber: "081C862DC8AAC9",
                   certStatus: "good", revokeTime: nil, revokeReason: nil, thisUpdate: 1_434_665_014,
                   nextUpdate: 1_434_794_614,
                   responderID: "C = US, ST = Arizona, L = Scottsdale, O = GoDaddy Inc., CN = Go Daddy Validation Authority - G2",
                   signatureAlgorithm: "sha1WithRSAEncryption"),
        // scripts.base.protocols.ssl.ocsp-revoked__ocsp.log / __.stdout
        OCSPLogRow(response: "zeek-revoked-response-1.der", request: "zeek-revoked-request-1.der", hashAlgorithm: "sha1",
                   issuerNameHash: "74241467069FF5E0983F5E3E1A6BA0652A541575",
                   issuerKeyHash: "0159ABE7DD3A0B59A66463D6CF200757D591E76A",
                   serialNumber: "010BF45E184C4169AB61B41168DF802E", certStatus: "revoked", revokeTime: 1_431_615_529,
                   revokeReason: "superseded", thisUpdate: 1_436_286_514, nextUpdate: 1_443_489_162,
                   responderID: "F6215E926EB3EC41FE08FC25F09FB1B9A0344A10", signatureAlgorithm: "sha1WithRSAEncryption"),
        OCSPLogRow(response: "zeek-revoked-response-2.der", request: "zeek-revoked-request-2.der", hashAlgorithm: "sha1",
                   issuerNameHash: "74241467069FF5E0983F5E3E1A6BA0652A541575",
                   issuerKeyHash: "0159ABE7DD3A0B59A66463D6CF200757D591E76A",
                   serialNumber: "013D34BFD6348EBA231D6925768ACD87", certStatus: "revoked", revokeTime: 1_422_391_081,
                   revokeReason: "unspecified", thisUpdate: 1_436_304_214, nextUpdate: 1_443_597_239,
                   responderID: "F6215E926EB3EC41FE08FC25F09FB1B9A0344A10", signatureAlgorithm: "sha1WithRSAEncryption"),
        OCSPLogRow(response: "zeek-revoked-response-3.der", request: "zeek-revoked-request-3.der", hashAlgorithm: "sha1",
                   issuerNameHash: "74241467069FF5E0983F5E3E1A6BA0652A541575",
                   issuerKeyHash: "0159ABE7DD3A0B59A66463D6CF200757D591E76A",
                   serialNumber: "0150C0C06D53F9D39205D84EFB5F2BA4", certStatus: "revoked", revokeTime: 1_432_792_428,
                   revokeReason: "privilegeWithdrawn", thisUpdate: 1_436_238_224, nextUpdate: 1_443_473_859,
                   responderID: "F6215E926EB3EC41FE08FC25F09FB1B9A0344A10", signatureAlgorithm: "sha1WithRSAEncryption"),
        OCSPLogRow(response: "zeek-revoked-response-4.der", request: "zeek-revoked-request-4.der", hashAlgorithm: "sha1",
                   issuerNameHash: "74241467069FF5E0983F5E3E1A6BA0652A541575",
                   issuerKeyHash: "0159ABE7DD3A0B59A66463D6CF200757D591E76A",
                   serialNumber: "017447CB30072EE15B9C1B057B731C5A", certStatus: "revoked", revokeTime: 1_421_494_379,
                   revokeReason: "keyCompromise", thisUpdate: 1_436_321_024, nextUpdate: 1_443_459_307,
                   responderID: "F6215E926EB3EC41FE08FC25F09FB1B9A0344A10", signatureAlgorithm: "sha1WithRSAEncryption"),
    ]

    @Test(arguments: rows)
    func responseMatchesZeekBaseline(_ row: OCSPLogRow) throws {
        let resp = try OCSPResponse(derEncoded: try Fixture.bytes(row.response))
        #expect(resp.responseStatus.name == "successful")
        let basic = try #require(resp.basic)
        #expect(basic.version == 0)
        #expect(basic.responderID.description == (basic.responderID.keyHash == nil ? row.responderID : row.responderID.lowercased()))
        #expect(basic.signatureAlgorithm.name == row.signatureAlgorithm)
        #expect(basic.responses.count == 1)
        let single = try #require(basic.responses.first)
        #expect(single.certID.hashAlgorithmName == row.hashAlgorithm)
        #expect(single.certID.issuerNameHashHex == row.issuerNameHash.lowercased())
        #expect(single.certID.issuerKeyHashHex == row.issuerKeyHash.lowercased())
        #expect(single.certID.serialNumber.hex == row.serialNumber.lowercased())
        #expect(single.certStatus.name == row.certStatus)
        #expect(single.certStatus.revokedInfo?.revocationTime.secondsSinceEpoch == row.revokeTime)
        #expect(single.certStatus.revokedInfo?.revocationReason?.name == row.revokeReason)
        #expect(single.thisUpdate.secondsSinceEpoch == row.thisUpdate)
        #expect(single.nextUpdate?.secondsSinceEpoch == row.nextUpdate)
        // The request of the same exchange names the same certificate (Zeek's "request cert" lines).
        if let name = row.request {
            let req = try OCSPRequest(derEncoded: try Fixture.bytes(name))
            #expect(req.version == 0)
            #expect(req.certIDs == [single.certID])
        }
    }

    @Test func godaddyRequestOnly() throws {
        // scripts.base.protocols.ssl.ocsp-request-only__.stdout:
        //   request, 0,
        //   request cert, sha1, B6080D5F..., 40C2BD27..., 081C862DC8AAC9
        let req = try OCSPRequest(derEncoded: try Fixture.bytes("zeek-godaddy-request.der"))
        #expect(req.version == 0)
        #expect(req.requestorName == nil)
        try #require(req.requests.count == 1)
        #expect(req.certIDs[0].hashAlgorithmName == "sha1")
        #expect(req.certIDs[0].issuerNameHashHex == "b6080d5f6c6b76eb13e438a5f8660ba85233344e")
        #expect(req.certIDs[0].issuerKeyHashHex == "40c2bd278ecc348330a233d7fb6cb3f0b42c80ce")
        #expect(req.certIDs[0].serialNumber.hex == "081c862dc8aac9")
        #expect(!req.isSigned)
    }

    @Test func godaddyResponseDates() throws {
        let basic = try #require(try OCSPResponse(derEncoded: try Fixture.bytes("zeek-godaddy-response.der")).basic)
        #expect(basic.producedAt.rfc3339 == "2015-06-18T22:03:34Z")
        #expect(basic.responses.first?.thisUpdate.rfc3339 == "2015-06-18T22:03:34Z")
        #expect(basic.responderID.name?.rfc4514
            == "CN=Go Daddy Validation Authority - G2,O=GoDaddy Inc.,L=Scottsdale,ST=Arizona,C=US")
    }

    @Test func revokedResponsesProducedAt() throws {
        // openssl ocsp -resp_text on the extracted bodies; Zeek masks producedAt in its baseline.
        let expected = ["2015-07-07T16:28:34Z", "2015-07-07T21:23:34Z", "2015-07-07T03:03:44Z", "2015-07-08T02:03:44Z"]
        for (i, want) in expected.enumerated() {
            let basic = try #require(try OCSPResponse(derEncoded: try Fixture.bytes("zeek-revoked-response-\(i + 1).der")).basic)
            #expect(basic.producedAt.rfc3339 == want)
            // The responder's certificate is embedded; its key hash is the byKey responder ID.
            #expect(basic.certificateCount >= 1)
            let signer = try X509Certificate(derEncoded: try #require(basic.certificates.first))
            #expect(signer.subjectPublicKeyHash(.sha1) == basic.responderID.keyHash)
        }
    }

    @Test func getRequestFromRealURI() throws {
        // ocsp-http-get.pcap frame 4: Firefox 39 GET to clients1.google.com.
        let uri = "/ocsp/MEkwRzBFMEMwQTAJBgUrDgMCGgUABBTy4Gr5hYodjXCbSRkjeqm1Gih%2BZAQUSt0GFhu89mi1dvWBtrtiGrpagS8CCD1HRJb%2FlCMW"
        let req = try #require(OCSPRequest.fromGETPath(uri))
        // scripts.base.protocols.ssl.ocsp-http-get__.stdout / ocsp.log
        try #require(req.certIDs.count == 1)
        #expect(req.certIDs[0].hashAlgorithmName == "sha1")
        #expect(req.certIDs[0].issuerNameHashHex == "f2e06af9858a1d8d709b4919237aa9b51a287e64")
        #expect(req.certIDs[0].issuerKeyHashHex == "4add06161bbcf668b576f581b6bb621aba5a812f")
        #expect(req.certIDs[0].serialNumber.hex == "3d474496ff942316")
        #expect(req.nonce == nil)
        // Same request through an absolute URL, a query string, with %2F left unescaped (so the base64 spans two
        // path segments) and with the URL-safe alphabet and no escapes.
        #expect(OCSPRequest.fromGETPath("http://clients1.google.com" + uri + "?x=1") == req)
        let slashes = uri.replacingPercent("%2F", with: "/")
        #expect(slashes.split(separator: "/").count == 3)
        #expect(OCSPRequest.fromGETPath(slashes) == req)
        let urlSafe = uri.replacingPercent("%2B", with: "-").replacingPercent("%2F", with: "_")
        #expect(OCSPRequest.fromGETPath(urlSafe) == req)
        #expect(OCSPRequest.fromGETPath("/ocsp/") == nil)
        #expect(OCSPRequest.fromGETPath("/ocsp/MEkwRzBFMEMw") == nil)
        #expect(OCSPRequest.fromGETPath("/index.html") == nil)
        #expect(OCSPRequest.fromGETPath("") == nil)
    }

    @Test func getRequestWithPaddingAndOddLengths() throws {
        let der = try Fixture.bytes("ocsp-req-nonce.der")
        let b64 = base64(der)
        let expected = try OCSPRequest(derEncoded: der)
        #expect(OCSPRequest.fromGETPath("/" + b64) == expected)
        #expect(OCSPRequest.fromGETPath("/a/b/" + b64.replacingPercent("=", with: "")) == expected)
        #expect(OCSPRequest.fromGETPath("/" + b64.replacingPercent("=", with: "%3D").replacingPercent("+", with: "%2B")
            .replacingPercent("/", with: "%2F")) == expected)
    }

    @Test func emptyResponderID() throws {
        // scripts.base.protocols.ssl.ocsp-empty-responderid__.stdout:
        //   successful, 0, , 0, XXXXXXXXXX.XXXXXX, sha256WithRSAEncryption, 0
        let resp = try OCSPResponse(derEncoded: try Fixture.bytes("zeek-empty-responderid-response.der"))
        #expect(resp.responseStatus == .successful)
        let basic = try #require(resp.basic)
        #expect(basic.version == 0)
        #expect(basic.responderID.name?.rdns.isEmpty == true)
        #expect(basic.responderID.description == "")
        #expect(basic.responses.isEmpty)
        #expect(basic.signatureAlgorithm.name == "sha256WithRSAEncryption")
        #expect(basic.certificateCount == 0)
        #expect(basic.producedAt.rfc3339 == "2024-01-01T00:00:00Z")
    }

    struct Staple: Sendable, CustomStringConvertible {
        var name: String
        var certCount: Int
        var serial: String
        var chainSHA256: [String]  // Zeek validate-ocsp ssl*.log cert_chain_fps
        var description: String { name }
    }

    static let staples: [Staple] = [
        Staple(name: "ocsp-stapling", certCount: 3, serial: "62035c00776a614eaf430c6a5c56e2bd",
               chainSHA256: ["d9280d7781b3d9100e4293de623de3a333c9402029825c6ad9342ae60c94a754",
                             "89a7bfab6b842542dcd9b043ae068483961f8e8603840ffef93dded30bb3cd7c",
                             "5bd0a995ad9721601725c889c0132e0ac00323afc6b49e1c9af27ac07f9157bf"]),
        Staple(name: "ocsp-stapling-twimg", certCount: 2, serial: "0c1af634fd9bd197245c7d54b4fd3b8a",
               chainSHA256: ["976555a08e0815121ac431992054cc13f70550b8b24313add9019dae2ea61311",
                             "21eb37ab4cf6ef8965ec1766409ca76b8b2e03f2d1a388df734208e86deee679"]),
        Staple(name: "ocsp-stapling-digicert", certCount: 2, serial: "03b6ab7407b516ef13baeab315d22130",
               chainSHA256: ["077437619abb5f4e0892188660d94f6ba2bdc32eb106c954cb2de8b0beb9895c",
                             "403e062a2653059113285baf80a0d4ae422c848c9f78fad01fc94bc5b87fef1a"]),
    ]

    @Test(arguments: staples)
    func stapledResponseMatchesChain(_ staple: Staple) throws {
        let chain = try (0..<staple.certCount).map {
            try X509Certificate(derEncoded: try Fixture.bytes("\(staple.name)-cert\($0).der"))
        }
        // validate-ocsp baselines: cert_chain_fps are the SHA-256 of each certificate.
        #expect(chain.map { PKIHex.encode($0.fingerprint(.sha256)) } == staple.chainSHA256)
        try #require(chain.count >= 2)
        let leaf = chain[0]
        #expect(leaf.serialNumber.hex == staple.serial)
        #expect(chain[1].subjectDER == leaf.issuerDER)
        #expect(!leaf.ocspURLs.isEmpty)
        // ocsp_status = good (validate-ocsp), and the CertID names this leaf under its issuer.
        let resp = try OCSPResponse(derEncoded: try Fixture.bytes("\(staple.name)-staple.der"))
        let single = try #require(resp.basic?.responses.first)
        #expect(single.certStatus == .good)
        #expect(single.certID.serialNumber == leaf.serialNumber)
        #expect(single.certID.matches(issuer: chain[1], serial: leaf.serialNumber))
        #expect(single.certID.issuerNameHash == chain[1].subjectNameHash(.sha1))
        #expect(single.certID.issuerKeyHash == chain[1].subjectPublicKeyHash(.sha1))
    }

    @Test func verisignStapleDetails() throws {
        // scripts.base.protocols.ssl.ocsp-stapling__.stdout: "F, 1995" (size) and result good.
        let bytes = try Fixture.bytes("ocsp-stapling-staple.der")
        #expect(bytes.count == 1995)
        let basic = try #require(try OCSPResponse(derEncoded: bytes).basic)
        #expect(basic.producedAt.rfc3339 == "2014-04-21T08:04:10Z")
        #expect(basic.responses.first?.nextUpdate?.rfc3339 == "2014-04-28T08:04:10Z")
        #expect(basic.responderID.name?.commonName == "VeriSign Class 3 Extended Validation SSL SGC OCSP Responder")
        #expect(basic.responderID.name?.values("OU") == ["VeriSign Trust Network",
                                                         "Terms of use at https://www.verisign.com/rpa (c)06"])
        #expect(basic.certificateCount == 1)
    }
}

func base64(_ bytes: [UInt8]) -> String {
    let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    var i = 0
    while i < bytes.count {
        let b0 = bytes[i], b1 = i + 1 < bytes.count ? bytes[i + 1] : 0, b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
        out.append(table[Int(b0 >> 2)])
        out.append(table[Int((b0 & 3) << 4 | b1 >> 4)])
        out.append(i + 1 < bytes.count ? table[Int((b1 & 0xf) << 2 | b2 >> 6)] : UInt8(ascii: "="))
        out.append(i + 2 < bytes.count ? table[Int(b2 & 0x3f)] : UInt8(ascii: "="))
        i += 3
    }
    return String(decoding: out, as: UTF8.self)
}

extension String {
    func replacingPercent(_ a: String, with b: String) -> String {
        split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}
