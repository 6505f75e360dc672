/// The body of a TLS CertificateStatus handshake message (type 22), which carries a stapled OCSP response.
///
/// ```
/// struct {
///     CertificateStatusType status_type;          -- ocsp(1), ocsp_multi(2)
///     select (status_type) {
///         case ocsp: OCSPResponse;                -- opaque OCSPResponse<1..2^24-1>
///         case ocsp_multi: OCSPResponseList;      -- OCSPResponse ocsp_response_list<1..2^24-1>
///     } response;
/// } CertificateStatus;                            -- RFC 6066 §8, RFC 6961 §2.2
/// ```
///
/// In TLS 1.3 the same `CertificateStatus` structure is the body of the status_request extension of the leaf's
/// CertificateEntry (RFC 8446 §4.4.2.1). An empty entry of an ocsp_multi list (length 0) means "no response for
/// this certificate" and is kept as nil.
public struct CertificateStatus: Sendable, Hashable {
    /// 1 = ocsp, 2 = ocsp_multi; other values are `unsupported`.
    public let statusType: Int
    /// The raw DER of each OCSPResponse (one for ocsp; one per certificate for ocsp_multi, nil when empty).
    public let responseDERs: [[UInt8]?]
    /// Each response parsed (nil entries for empty list slots).
    public let responses: [OCSPResponse?]

    /// The first response (the leaf's).
    public var response: OCSPResponse? { responses.first ?? nil }

    /// Parses the handshake message body (after the 4-byte handshake header).
    public init(tlsMessageBody body: ArraySlice<UInt8>) throws(PKIParsingError) {
        func u24(_ s: ArraySlice<UInt8>, _ at: Int) -> Int? {
            guard at >= s.startIndex, at + 3 <= s.endIndex else { return nil }
            return Int(s[at]) << 16 | Int(s[at + 1]) << 8 | Int(s[at + 2])
        }
        guard let type = body.first else { throw .malformed(structure: "CertificateStatus", reason: "empty") }
        let start = body.startIndex + 1
        var ders: [[UInt8]?] = []
        switch type {
        case 1:
            guard let len = u24(body, start), len >= 1, start + 3 + len == body.endIndex else {
                throw .malformed(structure: "CertificateStatus", reason: "bad OCSPResponse length")
            }
            ders = [Array(body[(start + 3)...])]
        case 2:
            guard let listLength = u24(body, start), start + 3 + listLength == body.endIndex else {
                throw .malformed(structure: "CertificateStatus", reason: "bad OCSPResponseList length")
            }
            var p = start + 3
            while p < body.endIndex {
                guard let len = u24(body, p), p + 3 + len <= body.endIndex else {
                    throw .malformed(structure: "CertificateStatus", reason: "bad OCSPResponseList entry")
                }
                ders.append(len == 0 ? nil : Array(body[(p + 3)..<(p + 3 + len)]))
                p += 3 + len
            }
        default:
            throw .unsupported(structure: "CertificateStatus", reason: "status_type \(type)")
        }
        var parsed: [OCSPResponse?] = []
        for der in ders {
            if let der { parsed.append(try OCSPResponse(derEncoded: der)) } else { parsed.append(nil) }
        }
        self.statusType = Int(type)
        self.responseDERs = ders
        self.responses = parsed
    }

    public init(tlsMessageBody body: [UInt8]) throws(PKIParsingError) {
        try self.init(tlsMessageBody: body[...])
    }
}
