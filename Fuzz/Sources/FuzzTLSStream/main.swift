// TLS record and handshake parser on one byte stream: records split anywhere, handshake messages split across
// records or sharing one, alerts, ChangeCipherSpec, SSL 2.0 hellos; every hello that parses is fingerprinted.
//
// Input: one byte choosing the chunking (how the stream is cut into TCP deliveries), then the stream.
import TLSParsing
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let mode = input.u8()
    let stream = input.rest()
    _ = detectTLS(stream)
    let sizes: [Int] = switch mode & 7 {
    case 0: [0]
    case 1: [1]
    case 2: [5, 1, 3]
    case 3: [2, 7, 64]
    case 4: [Int(mode >> 3) + 1]
    case 5: [4, 0]
    default: [Int(mode) * 3 + 1, 1]
    }
    // A small handshake cap in some runs, so the "too large" path is reachable with short inputs.
    var consumer = TLSConsumer(maximumHandshakeLength: mode & 0x80 != 0 ? 64 : TLSStreamParser.defaultMaximumHandshakeLength)
    inChunks(stream, sizes: sizes) { consumer.feed($0) }
    if consumer.parser.bufferedBytes > TLSStreamParser.maximumRecordLength + 5 + consumer.parser.maximumHandshakeLength + 4 {
        fatalError("parser holds \(consumer.parser.bufferedBytes) bytes, beyond its bounds")
    }
    consumer.parser.finish()
    return 0
}

@_cdecl("FuzzTLSStream_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
