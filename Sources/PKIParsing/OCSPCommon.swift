import SwiftASN1

/// The certificate identifier used in OCSP requests and responses.
///
/// ```
/// CertID ::= SEQUENCE {
///     hashAlgorithm       AlgorithmIdentifier,
///     issuerNameHash      OCTET STRING, -- Hash of issuer's DN
///     issuerKeyHash       OCTET STRING, -- Hash of issuer's public key
///     serialNumber        CertificateSerialNumber }                    -- RFC 6960 §4.1.1
/// ```
public struct OCSPCertID: Sendable, Hashable {
    public let hashAlgorithm: AlgorithmIdentifier
    public let issuerNameHash: [UInt8]
    public let issuerKeyHash: [UInt8]
    public let serialNumber: SerialNumber

    /// Hash algorithm name (`sha1`, `sha256`, `sha384`, `sha512`, `md5`, ...) or the dotted OID.
    public var hashAlgorithmName: String { hashAlgorithm.description }
    /// Lowercase hex of `issuerNameHash`.
    public var issuerNameHashHex: String { PKIHex.encode(issuerNameHash) }
    /// Lowercase hex of `issuerKeyHash`.
    public var issuerKeyHashHex: String { PKIHex.encode(issuerKeyHash) }

    public init(hashAlgorithm: AlgorithmIdentifier, issuerNameHash: [UInt8], issuerKeyHash: [UInt8],
                serialNumber: SerialNumber) {
        self.hashAlgorithm = hashAlgorithm
        self.issuerNameHash = issuerNameHash
        self.issuerKeyHash = issuerKeyHash
        self.serialNumber = serialNumber
    }

    init(node: ASN1Node) throws {
        (hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber) = try DERSupport.sequence(node, what: "CertID") {
            it in
            let alg = try AlgorithmIdentifier(node: try DERSupport.required(&it, "hashAlgorithm"), what: "hashAlgorithm")
            let nameHash = try DERSupport.octetString(try DERSupport.required(&it, "issuerNameHash"), what: "issuerNameHash")
            let keyHash = try DERSupport.octetString(try DERSupport.required(&it, "issuerKeyHash"), what: "issuerKeyHash")
            let serial = try DERSupport.integerContent(try DERSupport.required(&it, "serialNumber"), what: "serialNumber")
            return (alg, Array(nameHash), Array(keyHash), SerialNumber(derContent: serial))
        }
    }

    /// True when this CertID names `serial` issued by `issuer`: the issuer's subject Name DER and
    /// subjectPublicKey bits, hashed with this CertID's algorithm, equal issuerNameHash and issuerKeyHash.
    /// Returns false when the hash algorithm is not one of md5/sha1/sha224/sha256/sha384/sha512.
    public func matches(issuer: X509Certificate, serial: SerialNumber) -> Bool {
        guard serial == serialNumber, let alg = PKIDigest.Algorithm(oid: hashAlgorithm.oid) else { return false }
        return PKIDigest.hash(alg, issuer.subject.derEncoded) == issuerNameHash
            && PKIDigest.hash(alg, issuer.subjectPublicKey) == issuerKeyHash
    }
}

/// The OCSP nonce extension (id-pkix-ocsp-nonce, 1.3.6.1.5.5.7.48.1.2).
///
/// ```
/// Nonce ::= OCTET STRING(SIZE(1..32))                                   -- RFC 8954 §2.1
/// ```
///
/// RFC 8954 (and openssl) put the Nonce OCTET STRING *inside* the extnValue OCTET STRING. Some clients put the raw
/// nonce bytes directly in extnValue. When extnValue is exactly one DER OCTET STRING, `value` is its content
/// and `isWrapped` is true; otherwise `value` is extnValue's content as is.
public struct OCSPNonce: Sendable, Hashable {
    /// Content octets of the extension's extnValue.
    public let extensionValue: [UInt8]
    /// The nonce bytes (see the type documentation).
    public let value: [UInt8]
    /// True for the RFC 8954 encoding (OCTET STRING inside extnValue).
    public let isWrapped: Bool

    /// Lowercase hex of `value`.
    public var hex: String { PKIHex.encode(value) }

    public init(extensionValue: [UInt8]) {
        self.extensionValue = extensionValue
        // Short form or one long-form length octet, primitive OCTET STRING, consuming everything.
        var inner: ArraySlice<UInt8>? = nil
        if extensionValue.count >= 2, extensionValue[0] == 0x04 {
            let l = Int(extensionValue[1])
            if l < 0x80 {
                if extensionValue.count == 2 + l { inner = extensionValue[2...] }
            } else if l == 0x81, extensionValue.count >= 3 {
                let l2 = Int(extensionValue[2])
                if l2 >= 0x80, extensionValue.count == 3 + l2 { inner = extensionValue[3...] }
            }
        }
        if let inner {
            self.value = Array(inner)
            self.isWrapped = true
        } else {
            self.value = extensionValue
            self.isWrapped = false
        }
    }

    static func find(in extensions: [X509Extension]) -> OCSPNonce? {
        extensions.first { $0.oid == PKIObjectIdentifier.ocspNonce }.map { OCSPNonce(extensionValue: $0.value) }
    }
}

/// The reason code of a revocation.
///
/// ```
/// CRLReason ::= ENUMERATED {
///      unspecified             (0),
///      keyCompromise           (1),
///      cACompromise            (2),
///      affiliationChanged      (3),
///      superseded              (4),
///      cessationOfOperation    (5),
///      certificateHold         (6),
///           -- value 7 is not used
///      removeFromCRL           (8),
///      privilegeWithdrawn      (9),
///      aACompromise           (10) }                                    -- RFC 5280 §5.3.1
/// ```
public enum CRLReason: Sendable, Hashable, CustomStringConvertible {
    case unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation
    case certificateHold, removeFromCRL, privilegeWithdrawn, aACompromise
    /// A value outside the table (including 7), kept as is.
    case other(Int)

    public init(code: Int) {
        switch code {
        case 0: self = .unspecified
        case 1: self = .keyCompromise
        case 2: self = .cACompromise
        case 3: self = .affiliationChanged
        case 4: self = .superseded
        case 5: self = .cessationOfOperation
        case 6: self = .certificateHold
        case 8: self = .removeFromCRL
        case 9: self = .privilegeWithdrawn
        case 10: self = .aACompromise
        default: self = .other(code)
        }
    }

    public var code: Int {
        switch self {
        case .unspecified: return 0
        case .keyCompromise: return 1
        case .cACompromise: return 2
        case .affiliationChanged: return 3
        case .superseded: return 4
        case .cessationOfOperation: return 5
        case .certificateHold: return 6
        case .removeFromCRL: return 8
        case .privilegeWithdrawn: return 9
        case .aACompromise: return 10
        case .other(let c): return c
        }
    }

    /// The ASN.1 name (`keyCompromise`, as Zeek logs it), or `reason-N` for other values.
    public var name: String {
        switch self {
        case .unspecified: return "unspecified"
        case .keyCompromise: return "keyCompromise"
        case .cACompromise: return "cACompromise"
        case .affiliationChanged: return "affiliationChanged"
        case .superseded: return "superseded"
        case .cessationOfOperation: return "cessationOfOperation"
        case .certificateHold: return "certificateHold"
        case .removeFromCRL: return "removeFromCRL"
        case .privilegeWithdrawn: return "privilegeWithdrawn"
        case .aACompromise: return "aACompromise"
        case .other(let c): return "reason-\(c)"
        }
    }

    public var description: String { name }

    init(node: ASN1Node) throws {
        self.init(code: try DERSupport.smallInt(node, .enumerated, what: "CRLReason"))
    }
}

/// Counts (and keeps up to a cap) the certificates of `certs [0] EXPLICIT SEQUENCE OF Certificate`.
func parseCertificateList(_ tagged: ASN1Node, cap: Int) throws -> (count: Int, ders: [[UInt8]]) {
    let seq = try DERSupport.explicitChild(tagged, what: "certs")
    let kids = try DERSupport.children(seq, what: "certs")
    for k in kids where k.identifier != .sequence {
        throw DERFailure.malformed("certs: element is not a SEQUENCE")
    }
    return (kids.count, kids.prefix(cap).map { Array($0.encodedBytes) })
}
