// CT export readers (CTIndex.load): crt.sh JSON, RFC 6962 get-entries / get-entry-and-proof (leaf_input TLS
// structures, base64, DER), certstream, Censys, PEM, DER; records spanning read chunks; then lookups.
//
// Input: one byte choosing the format (auto-detection or one forced format) and the read chunk size; the export.
import CTIndexUnderFuzz
import PKIParsing
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let mode = input.u8()
    let bytes = Array(input.rest())
    let formats = CTSourceFormat.allCases
    let format = formats[Int(mode & 0x0f) % formats.count]
    let chunk = [1 << 16, 1, 7, 64][Int(mode >> 4) & 3]
    var index = CTIndex()
    _ = try? index.load(bytes: bytes, name: "fuzz", format: format, chunkSize: chunk)
    _ = index.lookup(serialHex: "01")
    _ = index.lookup(serialHex: "00deadbeef")
    if let s = SerialNumber(hex: "0123456789abcdef") { _ = index.lookup(serial: s) }
    return 0
}

@_cdecl("FuzzCTIndex_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
