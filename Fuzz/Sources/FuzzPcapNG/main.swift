// pcapng reader: section headers (both byte orders), interface blocks and options, packet blocks, lying block lengths.
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
    // pcapng: the file always begins with a Section Header Block type; the rest is the file after it.
    var file: [UInt8] = [0x0a, 0x0d, 0x0d, 0x0a]
    file += input.rest()
    readBothWaysAndCompare(file)
    return 0
}

@_cdecl("FuzzPcapNG_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
