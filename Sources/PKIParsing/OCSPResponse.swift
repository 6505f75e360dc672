import SwiftASN1

/// The outcome of an OCSP request as the responder reports it.
///
/// ```
/// OCSPResponseStatus ::= ENUMERATED {
///     successful            (0),  -- Response has valid confirmations
///     malformedRequest      (1),  -- Illegal confirmation request
///     internalError         (2),  -- Internal error in issuer
///     tryLater              (3),  -- Try again later
///                                 -- (4) is not used
///     sigRequired           (5),  -- Must sign the request
///     unauthorized          (6)   -- Request unauthorized
/// }                                                                     -- RFC 6960 §4.2.1
/// ```
public enum OCSPResponseStatus: Sendable, Hashable, CustomStringConvertible {
    case successful, malformedRequest, internalError, tryLater, sigRequired, unauthorized
    /// Any other value, kept.
    case other(Int)

    public init(code: Int) {
        switch code {
        case 0: self = .successful
        case 1: self = .malformedRequest
        case 2: self = .internalError
        case 3: self = .tryLater
        case 5: self = .sigRequired
        case 6: self = .unauthorized
        default: self = .other(code)
        }
    }

    public var code: Int {
        switch self {
        case .successful: return 0
        case .malformedRequest: return 1
        case .internalError: return 2
        case .tryLater: return 3
        case .sigRequired: return 5
        case .unauthorized: return 6
        case .other(let c): return c
        }
    }

    /// The ASN.1 name (`successful`, ...) or `status-N`.
    public var name: String {
        switch self {
        case .successful: return "successful"
        case .malformedRequest: return "malformedRequest"
        case .internalError: return "internalError"
        case .tryLater: return "tryLater"
        case .sigRequired: return "sigRequired"
        case .unauthorized: return "unauthorized"
        case .other(let c): return "status-\(c)"
        }
    }

    public var description: String { name }
}

/// An OCSP response, as carried in an HTTP body (application/ocsp-response) or a TLS CertificateStatus message.
///
/// ```
/// OCSPResponse ::= SEQUENCE {
///    responseStatus         OCSPResponseStatus,
///    responseBytes          [0] EXPLICIT ResponseBytes OPTIONAL }
///
/// ResponseBytes ::=       SEQUENCE {
///    responseType   OBJECT IDENTIFIER,
///    response       OCTET STRING }                                      -- RFC 6960 §4.2.1
/// ```
///
/// When responseType is id-pkix-ocsp-basic (1.3.6.1.5.5.7.48.1.1) the response is decoded into `basic`; any other
/// type leaves `basic` nil (not an error). A malformed BasicOCSPResponse makes the whole parse fail.
/// Caps: input at most `PKIParsingLimits.maximumOCSPSize` bytes, DER depth `PKIParsingLimits.maximumDERDepth`.
public struct OCSPResponse: Sendable, Hashable {
    public let responseStatus: OCSPResponseStatus
    /// Dotted OID of responseBytes.responseType, when responseBytes is present.
    public let responseType: String?
    /// Content of responseBytes.response, when present.
    public let responseBytes: [UInt8]?
    /// The decoded BasicOCSPResponse, when responseType is id-pkix-ocsp-basic.
    public let basic: BasicOCSPResponse?

    public init(derEncoded bytes: ArraySlice<UInt8>) throws(PKIParsingError) {
        self = try DERSupport.parse(bytes, structure: "OCSPResponse", limit: PKIParsingLimits.maximumOCSPSize) {
            try OCSPResponse(node: $0)
        }
    }

    public init(derEncoded bytes: [UInt8]) throws(PKIParsingError) {
        try self.init(derEncoded: bytes[...])
    }

    init(node: ASN1Node) throws {
        var status = OCSPResponseStatus.successful
        var type: String?
        var raw: [UInt8]?
        try DERSupport.sequence(node, what: "OCSPResponse") { it in
            status = OCSPResponseStatus(
                code: try DERSupport.smallInt(try DERSupport.required(&it, "responseStatus"), .enumerated,
                                              what: "responseStatus"))
            if let rb = DERSupport.optional(&it, DERSupport.context(0)) {
                try DERSupport.sequence(try DERSupport.explicitChild(rb, what: "responseBytes"), what: "ResponseBytes") {
                    r in
                    type = try DERSupport.oid(try DERSupport.required(&r, "responseType"), what: "responseType")
                    raw = Array(try DERSupport.octetString(try DERSupport.required(&r, "response"), what: "response"))
                }
            }
        }
        self.responseStatus = status
        self.responseType = type
        self.responseBytes = raw
        if type == PKIObjectIdentifier.ocspBasic, let raw {
            guard raw.count <= PKIParsingLimits.maximumOCSPSize else {
                throw DERFailure.malformed("BasicOCSPResponse too large")
            }
            let inner: ASN1Node
            if let der = try? DER.parse(raw) { inner = der } else { inner = try BER.parse(raw) }
            self.basic = try BasicOCSPResponse(node: inner)
        } else {
            self.basic = nil
        }
    }
}

/// The basic OCSP response type.
///
/// ```
/// BasicOCSPResponse       ::= SEQUENCE {
///    tbsResponseData      ResponseData,
///    signatureAlgorithm   AlgorithmIdentifier,
///    signature            BIT STRING,
///    certs            [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }  -- RFC 6960 §4.2.1
/// ```
///
/// Embedded certificates are counted (`certificateCount`) and the first
/// `PKIParsingLimits.maximumRetainedOCSPCertificates` are kept as DER in `certificates`.
public struct BasicOCSPResponse: Sendable, Hashable {
    public let tbsResponseData: OCSPResponseData
    public let signatureAlgorithm: AlgorithmIdentifier
    /// The signature bits (BIT STRING content without the unused-bits octet).
    public let signature: [UInt8]
    /// Number of certificates in `certs` (0 when absent).
    public let certificateCount: Int
    /// DER of the first certificates in `certs` (see the cap above). Parse with `X509Certificate`.
    public let certificates: [[UInt8]]

    // Forwarders to tbsResponseData.
    public var version: Int { tbsResponseData.version }
    public var responderID: OCSPResponderID { tbsResponseData.responderID }
    public var producedAt: PKITime { tbsResponseData.producedAt }
    public var responses: [OCSPSingleResponse] { tbsResponseData.responses }
    public var responseExtensions: [X509Extension] { tbsResponseData.responseExtensions }
    public var nonce: OCSPNonce? { tbsResponseData.nonce }

    /// Parses a DER BasicOCSPResponse on its own (the content of ResponseBytes.response).
    public init(derEncoded bytes: ArraySlice<UInt8>) throws(PKIParsingError) {
        self = try DERSupport.parse(bytes, structure: "BasicOCSPResponse", limit: PKIParsingLimits.maximumOCSPSize) {
            try BasicOCSPResponse(node: $0)
        }
    }

    init(node: ASN1Node) throws {
        (tbsResponseData, signatureAlgorithm, signature, certificateCount, certificates) = try DERSupport.sequence(
            node, what: "BasicOCSPResponse"
        ) { it in
            let tbs = try OCSPResponseData(node: try DERSupport.required(&it, "tbsResponseData"))
            let alg = try AlgorithmIdentifier(node: try DERSupport.required(&it, "signatureAlgorithm"),
                                              what: "signatureAlgorithm")
            let sig = try DERSupport.bitString(try DERSupport.required(&it, "signature"), what: "signature")
            var count = 0
            var ders: [[UInt8]] = []
            if let c = DERSupport.optional(&it, DERSupport.context(0)) {
                (count, ders) = try parseCertificateList(c, cap: PKIParsingLimits.maximumRetainedOCSPCertificates)
            }
            return (tbs, alg, Array(sig), count, ders)
        }
    }
}

/// The signed part of a BasicOCSPResponse.
///
/// ```
/// ResponseData ::= SEQUENCE {
///    version              [0] EXPLICIT Version DEFAULT v1,
///    responderID              ResponderID,
///    producedAt               GeneralizedTime,
///    responses                SEQUENCE OF SingleResponse,
///    responseExtensions   [1] EXPLICIT Extensions OPTIONAL }            -- RFC 6960 §4.2.1
/// ```
public struct OCSPResponseData: Sendable, Hashable {
    /// Version value (0 = v1). Other values are `unsupported`.
    public let version: Int
    public let responderID: OCSPResponderID
    public let producedAt: PKITime
    public let responses: [OCSPSingleResponse]
    /// responseExtensions (empty when absent).
    public let responseExtensions: [X509Extension]
    /// The nonce extension among responseExtensions, when present.
    public let nonce: OCSPNonce?

    init(node: ASN1Node) throws {
        var version = 0
        (responderID, producedAt, responses, responseExtensions) = try DERSupport.sequence(node, what: "ResponseData") {
            it in
            if let v = DERSupport.optional(&it, DERSupport.context(0)) {
                version = try DERSupport.smallInt(try DERSupport.explicitChild(v, what: "version"), what: "version")
            }
            let rid = try OCSPResponderID(node: try DERSupport.required(&it, "responderID"))
            let produced = try DERSupport.generalizedTime(try DERSupport.required(&it, "producedAt"), what: "producedAt")
            let list = try DERSupport.required(&it, "responses")
            let responses = try DERSupport.children(list, what: "responses").map { try OCSPSingleResponse(node: $0) }
            var ext: [X509Extension] = []
            if let e = DERSupport.optional(&it, DERSupport.context(1)) {
                ext = try X509Extension.list(try DERSupport.explicitChild(e, what: "responseExtensions"))
            }
            return (rid, produced, responses, ext)
        }
        guard version == 0 else { throw DERFailure.unsupported("ResponseData version \(version)") }
        self.version = version
        self.nonce = OCSPNonce.find(in: responseExtensions)
    }
}

/// Who signed an OCSP response.
///
/// ```
/// ResponderID ::= CHOICE {
///    byName   [1] Name,
///    byKey    [2] KeyHash }
///
/// KeyHash ::= OCTET STRING -- SHA-1 hash of responder's public key
///                          -- (excluding the tag and length fields)    -- RFC 6960 §4.2.1
/// ```
///
/// The tags are EXPLICIT (the RFC 6960 module uses EXPLICIT TAGS). An empty RDNSequence (`a1 02 30 00`) gives
/// `byName` with an empty name, whose `description` is `""`.
public enum OCSPResponderID: Sendable, Hashable, CustomStringConvertible {
    case byName(DistinguishedName)
    case byKey([UInt8])

    /// byName: the one-line form (`C = US, ST = Arizona, ..., CN = ...`, as Zeek logs it); byKey: lowercase hex.
    public var description: String {
        switch self {
        case .byName(let n): return n.oneline
        case .byKey(let k): return PKIHex.encode(k)
        }
    }

    /// The name, for byName.
    public var name: DistinguishedName? {
        if case .byName(let n) = self { return n }
        return nil
    }

    /// The key hash, for byKey.
    public var keyHash: [UInt8]? {
        if case .byKey(let k) = self { return k }
        return nil
    }

    init(node: ASN1Node) throws {
        guard node.identifier.tagClass == .contextSpecific else {
            throw DERFailure.malformed("ResponderID: unexpected tag \(node.identifier)")
        }
        switch node.identifier.tagNumber {
        case 1:
            self = .byName(try DistinguishedName(node: try DERSupport.explicitChild(node, what: "byName")))
        case 2:
            self = .byKey(Array(try DERSupport.octetString(try DERSupport.explicitChild(node, what: "byKey"), what: "byKey")))
        default:
            throw DERFailure.malformed("ResponderID: unknown choice [\(node.identifier.tagNumber)]")
        }
    }
}

/// The status of one certificate in an OCSP response.
///
/// ```
/// SingleResponse ::= SEQUENCE {
///    certID                       CertID,
///    certStatus                   CertStatus,
///    thisUpdate                   GeneralizedTime,
///    nextUpdate         [0]       EXPLICIT GeneralizedTime OPTIONAL,
///    singleExtensions   [1]       EXPLICIT Extensions OPTIONAL }        -- RFC 6960 §4.2.1
/// ```
public struct OCSPSingleResponse: Sendable, Hashable {
    public let certID: OCSPCertID
    public let certStatus: OCSPCertStatus
    public let thisUpdate: PKITime
    public let nextUpdate: PKITime?
    /// singleExtensions (empty when absent).
    public let singleExtensions: [X509Extension]

    init(node: ASN1Node) throws {
        (certID, certStatus, thisUpdate, nextUpdate, singleExtensions) = try DERSupport.sequence(
            node, what: "SingleResponse"
        ) { it in
            let id = try OCSPCertID(node: try DERSupport.required(&it, "certID"))
            let status = try OCSPCertStatus(node: try DERSupport.required(&it, "certStatus"))
            let thisUpdate = try DERSupport.generalizedTime(try DERSupport.required(&it, "thisUpdate"), what: "thisUpdate")
            var next: PKITime?
            if let n = DERSupport.optional(&it, DERSupport.context(0)) {
                next = try DERSupport.generalizedTime(try DERSupport.explicitChild(n, what: "nextUpdate"), what: "nextUpdate")
            }
            var ext: [X509Extension] = []
            if let e = DERSupport.optional(&it, DERSupport.context(1)) {
                ext = try X509Extension.list(try DERSupport.explicitChild(e, what: "singleExtensions"))
            }
            return (id, status, thisUpdate, next, ext)
        }
    }
}

/// Revocation details.
///
/// ```
/// RevokedInfo ::= SEQUENCE {
///     revocationTime              GeneralizedTime,
///     revocationReason    [0]     EXPLICIT CRLReason OPTIONAL }         -- RFC 6960 §4.2.1
/// ```
public struct OCSPRevokedInfo: Sendable, Hashable {
    public let revocationTime: PKITime
    public let revocationReason: CRLReason?

    public init(revocationTime: PKITime, revocationReason: CRLReason?) {
        self.revocationTime = revocationTime
        self.revocationReason = revocationReason
    }
}

/// ```
/// CertStatus ::= CHOICE {
///     good        [0]     IMPLICIT NULL,
///     revoked     [1]     IMPLICIT RevokedInfo,
///     unknown     [2]     IMPLICIT UnknownInfo }
///
/// UnknownInfo ::= NULL                                                  -- RFC 6960 §4.2.1
/// ```
public enum OCSPCertStatus: Sendable, Hashable, CustomStringConvertible {
    case good
    case revoked(OCSPRevokedInfo)
    case unknown

    /// `good`, `revoked` or `unknown` (as Zeek logs it).
    public var name: String {
        switch self {
        case .good: return "good"
        case .revoked: return "revoked"
        case .unknown: return "unknown"
        }
    }

    public var description: String { name }

    /// The revocation details, for `revoked`.
    public var revokedInfo: OCSPRevokedInfo? {
        if case .revoked(let i) = self { return i }
        return nil
    }

    init(node: ASN1Node) throws {
        guard node.identifier.tagClass == .contextSpecific else {
            throw DERFailure.malformed("CertStatus: unexpected tag \(node.identifier)")
        }
        switch node.identifier.tagNumber {
        case 0, 2:
            guard case .primitive(let c) = node.content, c.isEmpty else {
                throw DERFailure.malformed("CertStatus: good/unknown must be an empty NULL")
            }
            self = node.identifier.tagNumber == 0 ? .good : .unknown
        case 1:
            let info = try DERSupport.sequence(node, identifier: DERSupport.context(1), what: "RevokedInfo") { it in
                let t = try DERSupport.generalizedTime(try DERSupport.required(&it, "revocationTime"), what: "revocationTime")
                var reason: CRLReason?
                if let r = DERSupport.optional(&it, DERSupport.context(0)) {
                    reason = try CRLReason(node: try DERSupport.explicitChild(r, what: "revocationReason"))
                }
                return OCSPRevokedInfo(revocationTime: t, revocationReason: reason)
            }
            self = .revoked(info)
        default:
            throw DERFailure.malformed("CertStatus: unknown choice [\(node.identifier.tagNumber)]")
        }
    }
}
