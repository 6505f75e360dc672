/// Any of the DER documents this module parses, recognised by content. Use it on an HTTP body whose
/// Content-Type is missing or wrong (`application/octet-stream`, `text/plain`, ...) or on a CRL / CA-issuer
/// download, which may be PEM.
public enum PKIDocument: Sendable, Hashable {
    case ocspRequest(OCSPRequest)
    case ocspResponse(OCSPResponse)
    case certificate(X509Certificate)
    case certificateList(CertificateList)

    /// Short name of the kind: `ocsp-request`, `ocsp-response`, `certificate`, `crl`.
    public var kind: String {
        switch self {
        case .ocspRequest: return "ocsp-request"
        case .ocspResponse: return "ocsp-response"
        case .certificate: return "certificate"
        case .certificateList: return "crl"
        }
    }

    /// Parses `bytes` as whichever of the four structures it is (their top-level shapes do not overlap: an
    /// OCSPResponse starts with an ENUMERATED, an OCSPRequest's TBSRequest holds a SEQUENCE OF Request, a
    /// Certificate's TBS starts with `[0]` or an INTEGER followed by an AlgorithmIdentifier and a Name, a CRL's
    /// TBS with an optional INTEGER, an AlgorithmIdentifier and a Name then a Time). PEM input (`-----BEGIN ...`)
    /// is decoded first (the first PEM block). Returns nil when nothing parses.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> PKIDocument? {
        if let der = PEM.firstBlock(bytes) { return parse(der[...]) }
        guard bytes.first == 0x30 else { return nil }
        if let r = try? OCSPResponse(derEncoded: bytes) { return .ocspResponse(r) }
        if let r = try? OCSPRequest(derEncoded: bytes) { return .ocspRequest(r) }
        if let c = try? X509Certificate(derEncoded: bytes) { return .certificate(c) }
        if let l = try? CertificateList(derEncoded: bytes) { return .certificateList(l) }
        return nil
    }

    public static func parse(_ bytes: [UInt8]) -> PKIDocument? { parse(bytes[...]) }
}

/// PEM (RFC 7468) decoding of the first `-----BEGIN <label>-----` … `-----END <label>-----` block.
public enum PEM {
    /// Maximum PEM text looked at (matches the largest DER cap, the CRL's, with base64 overhead).
    public static let maximumSize = PKIParsingLimits.maximumCRLSize / 3 * 4 + 65536

    /// The DER of the first PEM block in `text`, or nil when there is none or its base64 is invalid. The text
    /// must start (after whitespace) with `-----BEGIN `; the block ends at the first `-----END ` (labels are not
    /// compared).
    public static func firstBlock(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.count <= maximumSize else { return nil }
        let begin = Array("-----BEGIN ".utf8)
        // Skip leading whitespace; PEM must start with the BEGIN line.
        let start = text.firstIndex { $0 != 0x20 && $0 != 0x09 && $0 != 0x0d && $0 != 0x0a } ?? text.endIndex
        guard text[start...].starts(with: begin) else { return nil }
        guard let headerEnd = text[start...].firstIndex(of: 0x0a) else { return nil }
        let body = text[(headerEnd + 1)...]
        let end = Array("-----END ".utf8)
        var i = body.startIndex
        var bodyEnd: Int?
        while i < body.endIndex {
            if body[i] == 0x2d, body[i...].starts(with: end) {
                bodyEnd = i
                break
            }
            i += 1
        }
        guard let bodyEnd else { return nil }
        let b64 = body[body.startIndex..<bodyEnd].filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0d && $0 != 0x0a }
        // Explanatory headers (RFC 1421 "Proc-Type:" lines) are not supported.
        guard !b64.contains(0x3a) else { return nil }
        return OCSPRequest.base64Decode(b64)
    }
}

extension CertificateList {
    /// Parses a CRL given as DER or PEM (`-----BEGIN X509 CRL-----`), as CRL distribution points serve either.
    public init(derOrPEM bytes: [UInt8]) throws(PKIParsingError) {
        if let der = PEM.firstBlock(bytes[...]) {
            try self.init(derEncoded: der[...])
        } else {
            try self.init(derEncoded: bytes[...])
        }
    }
}

extension X509Certificate {
    /// Parses a certificate given as DER or PEM (`-----BEGIN CERTIFICATE-----`).
    public init(derOrPEM bytes: [UInt8]) throws(PKIParsingError) {
        if let der = PEM.firstBlock(bytes[...]) {
            try self.init(derEncoded: der[...])
        } else {
            try self.init(derEncoded: bytes[...])
        }
    }
}
