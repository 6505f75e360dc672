import SwiftASN1

/// An algorithm identifier.
///
/// ```
/// AlgorithmIdentifier ::= SEQUENCE {
///      algorithm               OBJECT IDENTIFIER,
///      parameters              ANY DEFINED BY algorithm OPTIONAL }      -- RFC 5280 §4.1.1.2
/// ```
public struct AlgorithmIdentifier: Sendable, Hashable, CustomStringConvertible {
    /// Dotted OID, e.g. `1.3.14.3.2.26`.
    public let oid: String
    /// DER of the parameters, when present (`05 00` for NULL).
    public let parameters: [UInt8]?

    /// Name as openssl / Zeek print it (`sha1`, `sha256`, `sha256WithRSAEncryption`, `ecdsa-with-SHA256`, ...),
    /// or nil for an OID not in the table.
    public var name: String? { AlgorithmIdentifier.names[oid] }

    /// `name`, or the dotted OID when the name is unknown.
    public var description: String { name ?? oid }

    public init(oid: String, parameters: [UInt8]? = nil) {
        self.oid = oid
        self.parameters = parameters
    }

    init(node: ASN1Node, what: String) throws {
        (oid, parameters) = try DERSupport.sequence(node, what: what) { it in
            let oid = try DERSupport.oid(try DERSupport.required(&it, "\(what).algorithm"), what: "\(what).algorithm")
            let params = it.next().map { Array($0.encodedBytes) }
            return (oid, params)
        }
    }

    /// OIDs → names (digests, signature and key algorithms seen on the wire).
    public static let names: [String: String] = [
        "1.2.840.113549.2.5": "md5",
        "1.3.14.3.2.26": "sha1",
        "2.16.840.1.101.3.4.2.4": "sha224",
        "2.16.840.1.101.3.4.2.1": "sha256",
        "2.16.840.1.101.3.4.2.2": "sha384",
        "2.16.840.1.101.3.4.2.3": "sha512",
        "1.2.840.113549.1.1.1": "rsaEncryption",
        "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.10": "rsassaPss",
        "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.14": "sha224WithRSAEncryption",
        "1.2.840.10045.2.1": "id-ecPublicKey",
        "1.2.840.10045.4.1": "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.1": "ecdsa-with-SHA224",
        "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
        "1.2.840.10040.4.1": "dsaEncryption",
        "1.2.840.10040.4.3": "dsaWithSHA1",
        "1.3.101.112": "ED25519",
        "1.3.101.113": "ED448",
    ]
}

/// A certificate / CRL / OCSP extension.
///
/// ```
/// Extension  ::=  SEQUENCE  {
///      extnID      OBJECT IDENTIFIER,
///      critical    BOOLEAN DEFAULT FALSE,
///      extnValue   OCTET STRING }                                       -- RFC 5280 §4.1
/// ```
public struct X509Extension: Sendable, Hashable {
    /// Dotted OID.
    public let oid: String
    public let critical: Bool
    /// Content octets of `extnValue` (the DER of the extension's own type).
    public let value: [UInt8]

    public init(oid: String, critical: Bool, value: [UInt8]) {
        self.oid = oid
        self.critical = critical
        self.value = value
    }

    init(node: ASN1Node) throws {
        (oid, critical, value) = try DERSupport.sequence(node, what: "Extension") { it in
            let oid = try DERSupport.oid(try DERSupport.required(&it, "extnID"), what: "extnID")
            var critical = false
            if let b = DERSupport.optional(&it, .boolean) { critical = try DERSupport.boolean(b, what: "critical") }
            let v = try DERSupport.octetString(try DERSupport.required(&it, "extnValue"), what: "extnValue")
            return (oid, critical, Array(v))
        }
    }

    /// `Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension` (an empty SEQUENCE is tolerated).
    static func list(_ node: ASN1Node) throws -> [X509Extension] {
        try DERSupport.children(node, what: "Extensions").map { try X509Extension(node: $0) }
    }
}

/// Well-known extension OIDs.
public enum PKIObjectIdentifier {
    public static let ocspNonce = "1.3.6.1.5.5.7.48.1.2"
    public static let ocspBasic = "1.3.6.1.5.5.7.48.1.1"
    public static let ocspAccessMethod = "1.3.6.1.5.5.7.48.1"
    public static let caIssuersAccessMethod = "1.3.6.1.5.5.7.48.2"
    public static let authorityInfoAccess = "1.3.6.1.5.5.7.1.1"
    public static let tlsFeature = "1.3.6.1.5.5.7.1.24"
    public static let subjectAltName = "2.5.29.17"
    public static let basicConstraints = "2.5.29.19"
    public static let crlNumber = "2.5.29.20"
    public static let crlReason = "2.5.29.21"
    public static let invalidityDate = "2.5.29.24"
    public static let crlDistributionPoints = "2.5.29.31"
    public static let subjectKeyIdentifier = "2.5.29.14"
    public static let authorityKeyIdentifier = "2.5.29.35"
    public static let precertificateSCTs = "1.3.6.1.4.1.11129.2.4.2"
    public static let ocspSCTs = "1.3.6.1.4.1.11129.2.4.5"
}
