import SwiftASN1

/// A certificate revocation list.
///
/// ```
/// CertificateList  ::=  SEQUENCE  {
///      tbsCertList          TBSCertList,
///      signatureAlgorithm   AlgorithmIdentifier,
///      signatureValue       BIT STRING  }
///
/// TBSCertList  ::=  SEQUENCE  {
///      version                 Version OPTIONAL,
///                                   -- if present, MUST be v2
///      signature               AlgorithmIdentifier,
///      issuer                  Name,
///      thisUpdate              Time,
///      nextUpdate              Time OPTIONAL,
///      revokedCertificates     SEQUENCE OF SEQUENCE  {
///           userCertificate         CertificateSerialNumber,
///           revocationDate          Time,
///           crlEntryExtensions      Extensions OPTIONAL
///                                    -- if present, version MUST be v2
///                                }  OPTIONAL,
///      crlExtensions           [0]  EXPLICIT Extensions OPTIONAL
///                                    -- if present, version MUST be v2
///                                }                                      -- RFC 5280 §5.1
/// ```
///
/// Caps: input at most `PKIParsingLimits.maximumCRLSize` (16 MiB); every entry is checked and counted
/// (`revokedCount`) but only the first `PKIParsingLimits.maximumRetainedCRLEntries` (10 000) are kept in
/// `revokedCertificates` (`revokedTruncated` tells). The signature is not verified.
public struct CertificateList: Sendable, Hashable {
    /// Version value when present (1 = v2), nil when absent (v1).
    public let version: Int?
    public let signatureAlgorithm: AlgorithmIdentifier
    public let issuer: DistinguishedName
    public let thisUpdate: PKITime
    public let nextUpdate: PKITime?
    /// Total number of revokedCertificates entries.
    public let revokedCount: Int
    /// The first entries (see the cap).
    public let revokedCertificates: [CRLEntry]
    /// True when `revokedCount > revokedCertificates.count`.
    public var revokedTruncated: Bool { revokedCount > revokedCertificates.count }
    public let crlExtensions: [X509Extension]
    /// The cRLNumber extension (2.5.29.20, an INTEGER up to 20 octets) in serial-number form, when present.
    public let crlNumber: SerialNumber?

    /// `issuer` as an RFC 4514 string.
    public var issuerString: String { issuer.rfc4514 }

    public init(derEncoded bytes: ArraySlice<UInt8>) throws(PKIParsingError) {
        self = try DERSupport.parse(bytes, structure: "CertificateList", limit: PKIParsingLimits.maximumCRLSize) {
            try CertificateList(node: $0)
        }
    }

    public init(derEncoded bytes: [UInt8]) throws(PKIParsingError) {
        try self.init(derEncoded: bytes[...])
    }

    init(node: ASN1Node) throws {
        var version: Int?
        var sigAlg = AlgorithmIdentifier(oid: "")
        var issuer: DistinguishedName?
        var thisUpdate = PKITime(secondsSinceEpoch: 0)
        var nextUpdate: PKITime?
        var count = 0
        var entries: [CRLEntry] = []
        var extensions: [X509Extension] = []
        try DERSupport.sequence(node, what: "CertificateList") { it in
            try DERSupport.sequence(try DERSupport.required(&it, "tbsCertList"), what: "TBSCertList") { t in
                if let v = DERSupport.optional(&t, .integer) { version = try DERSupport.smallInt(v, what: "version") }
                sigAlg = try AlgorithmIdentifier(node: try DERSupport.required(&t, "signature"), what: "signature")
                issuer = try DistinguishedName(node: try DERSupport.required(&t, "issuer"))
                thisUpdate = try DERSupport.time(try DERSupport.required(&t, "thisUpdate"), what: "thisUpdate")
                if let n = DERSupport.optional(&t, .utcTime) ?? DERSupport.optional(&t, .generalizedTime) {
                    nextUpdate = try DERSupport.time(n, what: "nextUpdate")
                }
                if let list = DERSupport.optional(&t, .sequence) {
                    for e in try DERSupport.children(list, what: "revokedCertificates") {
                        let entry = try CRLEntry(node: e)
                        count += 1
                        if entries.count < PKIParsingLimits.maximumRetainedCRLEntries { entries.append(entry) }
                    }
                }
                if let e = DERSupport.optional(&t, DERSupport.context(0)) {
                    extensions = try X509Extension.list(try DERSupport.explicitChild(e, what: "crlExtensions"))
                }
            }
            _ = try AlgorithmIdentifier(node: try DERSupport.required(&it, "signatureAlgorithm"), what: "signatureAlgorithm")
            _ = try DERSupport.bitString(try DERSupport.required(&it, "signatureValue"), what: "signatureValue")
        }
        guard let issuer else { throw DERFailure.malformed("CertificateList: missing issuer") }
        if let version, version != 1 { throw DERFailure.unsupported("CertificateList version \(version)") }
        self.version = version
        self.signatureAlgorithm = sigAlg
        self.issuer = issuer
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.revokedCount = count
        self.revokedCertificates = entries
        self.crlExtensions = extensions
        if let ext = extensions.first(where: { $0.oid == PKIObjectIdentifier.crlNumber }) {
            let n = try DER.parse(ext.value)
            self.crlNumber = SerialNumber(derContent: try DERSupport.integerContent(n, what: "cRLNumber"))
        } else {
            self.crlNumber = nil
        }
    }
}

/// One revoked certificate of a CertificateList.
///
/// ```
/// SEQUENCE  {
///      userCertificate         CertificateSerialNumber,
///      revocationDate          Time,
///      crlEntryExtensions      Extensions OPTIONAL }                    -- RFC 5280 §5.1
/// ```
public struct CRLEntry: Sendable, Hashable {
    public let serialNumber: SerialNumber
    public let revocationDate: PKITime
    /// The reasonCode entry extension (2.5.29.21), when present.
    public let reason: CRLReason?
    /// The invalidityDate entry extension (2.5.29.24), when present.
    public let invalidityDate: PKITime?
    public let extensions: [X509Extension]

    init(node: ASN1Node) throws {
        (serialNumber, revocationDate, extensions) = try DERSupport.sequence(node, what: "revokedCertificate") { it in
            let s = try DERSupport.integerContent(try DERSupport.required(&it, "userCertificate"), what: "userCertificate")
            let d = try DERSupport.time(try DERSupport.required(&it, "revocationDate"), what: "revocationDate")
            var ext: [X509Extension] = []
            if let e = DERSupport.optional(&it, .sequence) { ext = try X509Extension.list(e) }
            return (SerialNumber(derContent: s), d, ext)
        }
        var reason: CRLReason?
        var invalidity: PKITime?
        for e in extensions {
            if e.oid == PKIObjectIdentifier.crlReason {
                reason = try CRLReason(node: try DER.parse(e.value))
            } else if e.oid == PKIObjectIdentifier.invalidityDate {
                invalidity = try DERSupport.generalizedTime(try DER.parse(e.value), what: "invalidityDate")
            }
        }
        self.reason = reason
        self.invalidityDate = invalidity
    }
}
