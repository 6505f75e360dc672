// Text inputs of the revocation parsers: OCSP GET request paths (RFC 6960 Appendix A.1: base64 of DER, URL-encoded,
// after any prefix) and serial number spellings (hex with separators, decimal).
import PKIParsing
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    var n = 0
    if let r = OCSPRequest.fromGETPath(text) { n += String(reflecting: r).count }
    if let b = OCSPRequest.decodeGETComponent(text) { n += b.count }
    // Spellings must round-trip: hex → decimal → the same serial, and back.
    // (Decimal input is capped at maximumDecimalDigits, about 415 octets.)
    if let s = SerialNumber(hex: text), s.bytes.count <= 400 {
        let decimal = s.decimal
        guard let again = SerialNumber(decimal: decimal), again == s else { fatalError("decimal round trip of \(s.hex) via \(decimal)") }
        guard SerialNumber(hex: s.hex) == s else { fatalError("hex round trip of \(s.hex)") }
        n += decimal.count
    }
    if let s = SerialNumber(decimal: text) {
        guard SerialNumber(hex: s.hex) == s else { fatalError("hex round trip of \(s.hex)") }
        n += s.decimal.count
    }
    if let b = PKIHex.decode(text) { n += PKIHex.encode(b).count }
    return n == -1 ? 1 : 0
}

@_cdecl("FuzzPKIText_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
