import SwiftASN1

/// An OCSP request.
///
/// ```
/// OCSPRequest ::= SEQUENCE {
///     tbsRequest                  TBSRequest,
///     optionalSignature   [0]     EXPLICIT Signature OPTIONAL }
///
/// TBSRequest ::= SEQUENCE {
///     version             [0]     EXPLICIT Version DEFAULT v1,
///     requestorName       [1]     EXPLICIT GeneralName OPTIONAL,
///     requestList                 SEQUENCE OF Request,
///     requestExtensions   [2]     EXPLICIT Extensions OPTIONAL }
///
/// Signature ::= SEQUENCE {
///     signatureAlgorithm      AlgorithmIdentifier,
///     signature               BIT STRING,
///     certs               [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
///
/// Version ::= INTEGER { v1(0) }                                         -- RFC 6960 §4.1.1
/// ```
///
/// Caps: input at most `PKIParsingLimits.maximumOCSPSize` bytes; DER depth at most
/// `PKIParsingLimits.maximumDERDepth`. A version other than v1 is `unsupported`.
public struct OCSPRequest: Sendable, Hashable {
    /// `Version` value (0 = v1).
    public let version: Int
    /// requestorName, when present.
    public let requestorName: GeneralName?
    /// Every `Request` of requestList, in order.
    public let requests: [OCSPSingleRequest]
    /// requestExtensions (empty when absent).
    public let requestExtensions: [X509Extension]
    /// The nonce extension, when present.
    public let nonce: OCSPNonce?
    /// optionalSignature's algorithm, when the request is signed.
    public let signatureAlgorithm: AlgorithmIdentifier?
    /// Number of certificates in optionalSignature.certs (0 when absent).
    public let certificateCount: Int

    /// True when optionalSignature is present.
    public var isSigned: Bool { signatureAlgorithm != nil }
    /// True when requestorName is present.
    public var hasRequestorName: Bool { requestorName != nil }
    /// requestorName rendered: RFC 4514 for a directoryName, the text for other GeneralName forms.
    public var requestorNameString: String? { requestorName?.description }
    /// The CertIDs of all requests, in order.
    public var certIDs: [OCSPCertID] { requests.map(\.certID) }

    /// Parses a DER OCSPRequest (e.g. an HTTP POST body with Content-Type application/ocsp-request).
    public init(derEncoded bytes: ArraySlice<UInt8>) throws(PKIParsingError) {
        self = try DERSupport.parse(bytes, structure: "OCSPRequest", limit: PKIParsingLimits.maximumOCSPSize) {
            try OCSPRequest(node: $0)
        }
    }

    /// Convenience for `[UInt8]`.
    public init(derEncoded bytes: [UInt8]) throws(PKIParsingError) {
        try self.init(derEncoded: bytes[...])
    }

    init(node: ASN1Node) throws {
        var version = 0
        var requestorName: GeneralName?
        var requests: [OCSPSingleRequest] = []
        var extensions: [X509Extension] = []
        var sigAlg: AlgorithmIdentifier?
        var certCount = 0
        try DERSupport.sequence(node, what: "OCSPRequest") { it in
            let tbs = try DERSupport.required(&it, "tbsRequest")
            try DERSupport.sequence(tbs, what: "TBSRequest") { t in
                if let v = DERSupport.optional(&t, DERSupport.context(0)) {
                    version = try DERSupport.smallInt(try DERSupport.explicitChild(v, what: "version"), what: "version")
                }
                if let r = DERSupport.optional(&t, DERSupport.context(1)) {
                    requestorName = try GeneralName(node: try DERSupport.explicitChild(r, what: "requestorName"))
                }
                let list = try DERSupport.required(&t, "requestList")
                requests = try DERSupport.children(list, what: "requestList").map { try OCSPSingleRequest(node: $0) }
                if let e = DERSupport.optional(&t, DERSupport.context(2)) {
                    extensions = try X509Extension.list(try DERSupport.explicitChild(e, what: "requestExtensions"))
                }
            }
            if let s = DERSupport.optional(&it, DERSupport.context(0)) {
                try DERSupport.sequence(try DERSupport.explicitChild(s, what: "optionalSignature"), what: "Signature") {
                    sit in
                    sigAlg = try AlgorithmIdentifier(node: try DERSupport.required(&sit, "signatureAlgorithm"),
                                                     what: "signatureAlgorithm")
                    _ = try DERSupport.bitString(try DERSupport.required(&sit, "signature"), what: "signature")
                    if let c = DERSupport.optional(&sit, DERSupport.context(0)) {
                        certCount = try parseCertificateList(c, cap: 0).count
                    }
                }
            }
        }
        guard version == 0 else { throw DERFailure.unsupported("OCSPRequest version \(version)") }
        self.version = version
        self.requestorName = requestorName
        self.requests = requests
        self.requestExtensions = extensions
        self.nonce = OCSPNonce.find(in: extensions)
        self.signatureAlgorithm = sigAlg
        self.certificateCount = certCount
    }
}

/// One entry of an OCSP request's requestList.
///
/// ```
/// Request ::= SEQUENCE {
///     reqCert                     CertID,
///     singleRequestExtensions     [0] EXPLICIT Extensions OPTIONAL }    -- RFC 6960 §4.1.1
/// ```
public struct OCSPSingleRequest: Sendable, Hashable {
    public let certID: OCSPCertID
    /// singleRequestExtensions (empty when absent).
    public let singleRequestExtensions: [X509Extension]

    init(node: ASN1Node) throws {
        (certID, singleRequestExtensions) = try DERSupport.sequence(node, what: "Request") { it in
            let id = try OCSPCertID(node: try DERSupport.required(&it, "reqCert"))
            var ext: [X509Extension] = []
            if let e = DERSupport.optional(&it, DERSupport.context(0)) {
                ext = try X509Extension.list(try DERSupport.explicitChild(e, what: "singleRequestExtensions"))
            }
            return (id, ext)
        }
    }
}
