// Classic pcap reader: global header, records, lying incl_len/orig_len, snap lengths, truncation.
//
// The same bytes are read twice, from memory (as a mapped file is read) and streamed through a pipe-like
// descriptor (as standard input is read, with the stream buffer's refills): both must yield the same packets
// and counters, or the harness traps.
import CaptureInput
import FuzzSupport
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    // Classic pcap: the first byte picks one of the four magics (byte order × resolution); the rest is the file
    // after the magic, so every mutation lands on the header, the records and their lengths.
    let magics: [[UInt8]] = [[0xd4, 0xc3, 0xb2, 0xa1], [0xa1, 0xb2, 0xc3, 0xd4], [0x4d, 0x3c, 0xb2, 0xa1], [0xa1, 0xb2, 0x3c, 0x4d]]
    var file = magics[Int(input.u8() & 3)]
    file += input.rest()
    readBothWaysAndCompare(file)
    return 0
}

@_cdecl("FuzzPcap_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
