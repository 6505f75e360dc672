import SwiftASN1

/// A summary of an X.509 certificate as seen in a TLS Certificate message or an OCSP response's `certs`.
///
/// ```
/// Certificate  ::=  SEQUENCE  {
///      tbsCertificate       TBSCertificate,
///      signatureAlgorithm   AlgorithmIdentifier,
///      signatureValue       BIT STRING  }
///
/// TBSCertificate  ::=  SEQUENCE  {
///      version         [0]  EXPLICIT Version DEFAULT v1,
///      serialNumber         CertificateSerialNumber,
///      signature            AlgorithmIdentifier,
///      issuer               Name,
///      validity             Validity,
///      subject              Name,
///      subjectPublicKeyInfo SubjectPublicKeyInfo,
///      issuerUniqueID  [1]  IMPLICIT UniqueIdentifier OPTIONAL,
///      subjectUniqueID [2]  IMPLICIT UniqueIdentifier OPTIONAL,
///      extensions      [3]  EXPLICIT Extensions OPTIONAL }
///
/// Validity ::= SEQUENCE { notBefore Time, notAfter Time }
///
/// SubjectPublicKeyInfo  ::=  SEQUENCE  {
///      algorithm            AlgorithmIdentifier,
///      subjectPublicKey     BIT STRING  }                               -- RFC 5280 §4.1
/// ```
///
/// The structure above must be well formed or the parse fails. The extensions this type interprets
/// (subjectAltName, authorityInfoAccess, cRLDistributionPoints, TLS Feature, basicConstraints) are decoded
/// leniently: one that does not decode is listed in `undecodableExtensions` and otherwise ignored.
/// Caps: input at most `PKIParsingLimits.maximumCertificateSize`, DER depth `PKIParsingLimits.maximumDERDepth`.
/// The signature is not verified.
public struct X509Certificate: Sendable, Hashable {
    /// Version value (0 = v1, 2 = v3).
    public let version: Int
    public let serialNumber: SerialNumber
    public let signatureAlgorithm: AlgorithmIdentifier
    public let issuer: DistinguishedName
    public let subject: DistinguishedName
    public let notBefore: PKITime
    public let notAfter: PKITime
    public let subjectPublicKeyAlgorithm: AlgorithmIdentifier
    /// The subjectPublicKey BIT STRING bytes (without the unused-bits octet) — what issuerKeyHash hashes.
    public let subjectPublicKey: [UInt8]
    public let extensions: [X509Extension]
    /// Every subjectAltName entry.
    public let subjectAltNames: [GeneralName]
    /// AIA id-ad-ocsp URIs.
    public let ocspURLs: [String]
    /// AIA id-ad-caIssuers URIs.
    public let caIssuersURLs: [String]
    /// URIs of the fullName of every cRLDistributionPoints entry.
    public let crlDistributionPointURLs: [String]
    /// Integers of the TLS Feature extension (RFC 7633), nil when the extension is absent.
    public let tlsFeatures: [Int]?
    /// basicConstraints cA, nil when the extension is absent.
    public let isCA: Bool?
    /// OIDs of interpreted extensions whose value did not decode.
    public let undecodableExtensions: [String]
    /// The whole certificate DER.
    public let derEncoded: [UInt8]

    /// True when the TLS Feature extension (1.3.6.1.5.5.7.1.24) lists status_request (5): "must staple".
    public var mustStaple: Bool { tlsFeatures?.contains(5) ?? false }
    /// dNSName SANs.
    public var dnsNames: [String] {
        subjectAltNames.compactMap { if case .dNSName(let s) = $0 { return s } else { return nil } }
    }
    /// iPAddress SANs rendered (dotted quad / RFC 5952).
    public var ipAddresses: [String] {
        subjectAltNames.compactMap { if case .iPAddress(let b) = $0 { return GeneralName.renderIP(b) } else { return nil } }
    }
    /// DER of the issuer Name.
    public var issuerDER: [UInt8] { issuer.derEncoded }
    /// DER of the subject Name.
    public var subjectDER: [UInt8] { subject.derEncoded }

    /// Hash of this certificate's subject Name DER — the issuerNameHash an OCSP CertID carries for
    /// certificates issued by this one.
    public func subjectNameHash(_ algorithm: PKIDigest.Algorithm = .sha1) -> [UInt8] {
        PKIDigest.hash(algorithm, subject.derEncoded)
    }
    /// Hash of this certificate's subjectPublicKey bits — the issuerKeyHash an OCSP CertID carries for
    /// certificates issued by this one (and a byKey ResponderID, with SHA-1).
    public func subjectPublicKeyHash(_ algorithm: PKIDigest.Algorithm = .sha1) -> [UInt8] {
        PKIDigest.hash(algorithm, subjectPublicKey)
    }
    /// Fingerprint of the whole certificate (SHA-256 is what Zeek logs in `cert_chain_fps`).
    public func fingerprint(_ algorithm: PKIDigest.Algorithm = .sha256) -> [UInt8] {
        PKIDigest.hash(algorithm, derEncoded)
    }

    public init(derEncoded bytes: ArraySlice<UInt8>) throws(PKIParsingError) {
        self = try DERSupport.parse(bytes, structure: "Certificate", limit: PKIParsingLimits.maximumCertificateSize) {
            try X509Certificate(node: $0)
        }
    }

    public init(derEncoded bytes: [UInt8]) throws(PKIParsingError) {
        try self.init(derEncoded: bytes[...])
    }

    init(node: ASN1Node) throws {
        var version = 0
        var serial = SerialNumber(magnitude: [])
        var sigAlg = AlgorithmIdentifier(oid: "")
        var issuer: DistinguishedName?
        var subject: DistinguishedName?
        var notBefore = PKITime(secondsSinceEpoch: 0)
        var notAfter = PKITime(secondsSinceEpoch: 0)
        var spkiAlg = AlgorithmIdentifier(oid: "")
        var spk: [UInt8] = []
        var extensions: [X509Extension] = []
        try DERSupport.sequence(node, what: "Certificate") { it in
            let tbs = try DERSupport.required(&it, "tbsCertificate")
            try DERSupport.sequence(tbs, what: "TBSCertificate") { t in
                if let v = DERSupport.optional(&t, DERSupport.context(0)) {
                    version = try DERSupport.smallInt(try DERSupport.explicitChild(v, what: "version"), what: "version")
                }
                serial = SerialNumber(
                    derContent: try DERSupport.integerContent(try DERSupport.required(&t, "serialNumber"), what: "serialNumber"))
                sigAlg = try AlgorithmIdentifier(node: try DERSupport.required(&t, "signature"), what: "signature")
                issuer = try DistinguishedName(node: try DERSupport.required(&t, "issuer"))
                try DERSupport.sequence(try DERSupport.required(&t, "validity"), what: "Validity") { v in
                    notBefore = try DERSupport.time(try DERSupport.required(&v, "notBefore"), what: "notBefore")
                    notAfter = try DERSupport.time(try DERSupport.required(&v, "notAfter"), what: "notAfter")
                }
                subject = try DistinguishedName(node: try DERSupport.required(&t, "subject"))
                try DERSupport.sequence(try DERSupport.required(&t, "subjectPublicKeyInfo"), what: "SubjectPublicKeyInfo") {
                    s in
                    spkiAlg = try AlgorithmIdentifier(node: try DERSupport.required(&s, "algorithm"), what: "algorithm")
                    spk = Array(try DERSupport.bitString(try DERSupport.required(&s, "subjectPublicKey"),
                                                         what: "subjectPublicKey"))
                }
                _ = DERSupport.optional(&t, DERSupport.context(1))
                _ = DERSupport.optional(&t, DERSupport.context(2))
                if let e = DERSupport.optional(&t, DERSupport.context(3)) {
                    extensions = try X509Extension.list(try DERSupport.explicitChild(e, what: "extensions"))
                }
            }
            _ = try AlgorithmIdentifier(node: try DERSupport.required(&it, "signatureAlgorithm"), what: "signatureAlgorithm")
            _ = try DERSupport.bitString(try DERSupport.required(&it, "signatureValue"), what: "signatureValue")
        }
        guard let issuer, let subject else { throw DERFailure.malformed("Certificate: missing names") }
        self.version = version
        self.serialNumber = serial
        self.signatureAlgorithm = sigAlg
        self.issuer = issuer
        self.subject = subject
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.subjectPublicKeyAlgorithm = spkiAlg
        self.subjectPublicKey = spk
        self.extensions = extensions
        self.derEncoded = Array(node.encodedBytes)

        var sans: [GeneralName] = []
        var ocsp: [String] = []
        var caIssuers: [String] = []
        var crlDPs: [String] = []
        var features: [Int]?
        var isCA: Bool?
        var bad: [String] = []
        for ext in extensions {
            do {
                switch ext.oid {
                case PKIObjectIdentifier.subjectAltName:
                    sans += try GeneralName.list(try DER.parse(ext.value))
                case PKIObjectIdentifier.authorityInfoAccess:
                    // AuthorityInfoAccessSyntax ::= SEQUENCE SIZE (1..MAX) OF AccessDescription
                    // AccessDescription ::= SEQUENCE { accessMethod OBJECT IDENTIFIER, accessLocation GeneralName }
                    for ad in try DERSupport.children(try DER.parse(ext.value), what: "AuthorityInfoAccess") {
                        try DERSupport.sequence(ad, what: "AccessDescription") { a in
                            let method = try DERSupport.oid(try DERSupport.required(&a, "accessMethod"), what: "accessMethod")
                            let location = try GeneralName(node: try DERSupport.required(&a, "accessLocation"))
                            guard case .uniformResourceIdentifier(let uri) = location else { return }
                            if method == PKIObjectIdentifier.ocspAccessMethod { ocsp.append(uri) }
                            if method == PKIObjectIdentifier.caIssuersAccessMethod { caIssuers.append(uri) }
                        }
                    }
                case PKIObjectIdentifier.crlDistributionPoints:
                    crlDPs += try X509Certificate.distributionPointURIs(try DER.parse(ext.value))
                case PKIObjectIdentifier.tlsFeature:
                    // Features ::= SEQUENCE OF INTEGER                  -- RFC 7633 §6
                    features = try DERSupport.children(try DER.parse(ext.value), what: "Features").map {
                        try DERSupport.smallInt($0, what: "Feature")
                    }
                case PKIObjectIdentifier.basicConstraints:
                    // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }
                    var ca = false
                    try DERSupport.sequence(try DER.parse(ext.value), what: "BasicConstraints") { b in
                        if let n = DERSupport.optional(&b, .boolean) { ca = try DERSupport.boolean(n, what: "cA") }
                        _ = DERSupport.optional(&b, .integer)
                    }
                    isCA = ca
                default:
                    break
                }
            } catch {
                bad.append(ext.oid)
            }
        }
        self.subjectAltNames = sans
        self.ocspURLs = ocsp
        self.caIssuersURLs = caIssuers
        self.crlDistributionPointURLs = crlDPs
        self.tlsFeatures = features
        self.isCA = isCA
        self.undecodableExtensions = bad
    }

    /// ```
    /// CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint
    /// DistributionPoint ::= SEQUENCE {
    ///      distributionPoint       [0]     DistributionPointName OPTIONAL,
    ///      reasons                 [1]     ReasonFlags OPTIONAL,
    ///      cRLIssuer               [2]     GeneralNames OPTIONAL }
    /// DistributionPointName ::= CHOICE {
    ///      fullName                [0]     GeneralNames,
    ///      nameRelativeToCRLIssuer [1]     RelativeDistinguishedName }
    /// ```
    static func distributionPointURIs(_ node: ASN1Node) throws -> [String] {
        var uris: [String] = []
        for dp in try DERSupport.children(node, what: "CRLDistributionPoints") {
            try DERSupport.sequence(dp, what: "DistributionPoint") { d in
                if let name = DERSupport.optional(&d, DERSupport.context(0)) {
                    let choice = try DERSupport.explicitChild(name, what: "distributionPoint")
                    if choice.identifier == DERSupport.context(0) {
                        for g in try DERSupport.children(choice, identifier: DERSupport.context(0), what: "fullName") {
                            if case .uniformResourceIdentifier(let u) = try GeneralName(node: g) { uris.append(u) }
                        }
                    }
                }
                _ = DERSupport.optional(&d, DERSupport.context(1))
                _ = DERSupport.optional(&d, DERSupport.context(2))
            }
        }
        return uris
    }
}
