// X.509 certificates and CRLs (RFC 5280), DER or PEM (PKIDocument recognises either by content); every
// parsed value is rendered (names, times, serials, extensions).
import PKIParsing
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let der = Array(UnsafeBufferPointer(start: data, count: size))
    var n = 0
    if let c = try? X509Certificate(derEncoded: der) {
        n += String(reflecting: c).count + c.subject.description.count + c.issuer.description.count
        n += c.notBefore.description.count + c.notAfter.description.count + c.serialNumber.description.count
    }
    if let l = try? CertificateList(derEncoded: der) { n += String(reflecting: l).count }
    if let d = PKIDocument.parse(der) { n += d.kind.count + String(reflecting: d).count }
    if let c = try? X509Certificate(derOrPEM: der) { n += c.version }
    if let l = try? CertificateList(derOrPEM: der) { n += String(reflecting: l).count }
    return n == -1 ? 1 : 0
}

@_cdecl("FuzzX509_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
