/// Errors thrown by every parser in this module.
///
/// The parsers never trap on input: anything they cannot make sense of ends in one of these cases.
/// `malformed` means the bytes are not a valid encoding of the structure (truncated, wrong tag, bad length,
/// trailing bytes, invalid time string, ...). `unsupported` means the encoding is valid but uses something this
/// module does not decode (for example a `responseBytes` type other than id-pkix-ocsp-basic is *not* an error,
/// but an OCSPRequest version other than v1 is). `inputTooLarge` means the input exceeds the documented size cap
/// of that parser and was not looked at.
public enum PKIParsingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bytes are not a valid DER (or tolerated BER) encoding of `structure`.
    case malformed(structure: String, reason: String)
    /// The encoding is well formed but uses a feature this module does not decode.
    case unsupported(structure: String, reason: String)
    /// The input is larger than the cap documented on the parser.
    case inputTooLarge(structure: String, size: Int, limit: Int)

    /// True for `malformed` and `inputTooLarge`, false for `unsupported`.
    public var isMalformed: Bool {
        switch self {
        case .malformed, .inputTooLarge: return true
        case .unsupported: return false
        }
    }

    /// The ASN.1 structure being parsed when the error happened (e.g. `OCSPRequest`).
    public var structure: String {
        switch self {
        case .malformed(let s, _), .unsupported(let s, _), .inputTooLarge(let s, _, _): return s
        }
    }

    public var description: String {
        switch self {
        case .malformed(let s, let r): return "malformed \(s): \(r)"
        case .unsupported(let s, let r): return "unsupported \(s): \(r)"
        case .inputTooLarge(let s, let size, let limit): return "\(s) too large: \(size) bytes (limit \(limit))"
        }
    }
}

/// Caps shared by the DER parsers.
public enum PKIParsingLimits {
    /// Maximum nesting depth of a DER structure. swift-asn1 refuses deeper input with an error; this module
    /// relies on that and documents the value here.
    public static let maximumDERDepth = 50
    /// Maximum size of an OCSPRequest or OCSPResponse (1 MiB, the same as the HTTP body cap).
    public static let maximumOCSPSize = 1 << 20
    /// Maximum size of a certificate (1 MiB).
    public static let maximumCertificateSize = 1 << 20
    /// Maximum size of a CertificateList (16 MiB). The whole list is decoded into swift-asn1 nodes, so memory use is
    /// a small multiple of this.
    public static let maximumCRLSize = 16 << 20
    /// Revoked entries retained per CertificateList; further entries are counted but not kept.
    public static let maximumRetainedCRLEntries = 10_000
    /// Embedded certificates retained (as DER) per BasicOCSPResponse; further ones are counted only.
    public static let maximumRetainedOCSPCertificates = 16
}
