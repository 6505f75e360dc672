// OCSP DER: requests (RFC 6960 §4.1), responses and BasicOCSPResponse (§4.2), the TLS CertificateStatus message
// (RFC 6066 §8, RFC 6961) carrying them; every parsed value is rendered (names, times, serials, extensions).
//
// Input: DER (or a CertificateStatus body); all three parsers see every input.
import PKIParsing
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let der = Array(UnsafeBufferPointer(start: data, count: size))
    var n = 0
    if let r = try? OCSPRequest(derEncoded: der) {
        n += String(reflecting: r).count + (r.requestorNameString?.count ?? 0) + r.certIDs.count
    }
    if let r = try? OCSPResponse(derEncoded: der) {
        n += String(reflecting: r).count
        if let b = r.basic {
            n += b.responderID.description.count + (b.responderID.name?.description.count ?? 0)
            for s in b.responses { n += s.certStatus.description.count + (s.certStatus.revokedInfo != nil ? 1 : 0) }
        }
    }
    if let s = try? CertificateStatus(tlsMessageBody: der) { n += String(reflecting: s).count }
    if let d = PKIDocument.parse(der) { n += d.kind.count }
    return n == -1 ? 1 : 0
}

@_cdecl("FuzzOCSP_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
