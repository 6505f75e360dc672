// HTTP/1.x stream parser: request and response heads, pipelining, Content-Length, chunked bodies and trailers,
// close-delimited bodies, the method queue (HEAD / CONNECT responses), every size cap.
//
// Input: one byte choosing role, chunking and a pending method; then the stream.
import HTTPParsing
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let mode = input.u8()
    let stream = input.rest()
    var limits = HTTPParserLimits.default
    if mode & 0x40 != 0 {
        // Small caps so each "too large" path is reachable with short inputs.
        limits.maximumHeaderBytes = 128
        limits.maximumHeaderFields = 4
        limits.maximumBodyBytes = 64
        limits.maximumChunkLineBytes = 16
        limits.maximumLeadingEmptyBytes = 4
        limits.maximumMethodLength = 4
        limits.maximumPendingMethods = 2
    }
    var parser = HTTPStreamParser(role: mode & 1 == 0 ? .request : .response, limits: limits)
    if mode & 1 != 0 {
        switch (mode >> 1) & 3 {
        case 0: parser.expectResponse(toMethod: "HEAD")
        case 1: parser.expectResponse(toMethod: "CONNECT")
        case 2: parser.expectResponse(toMethod: "POST")
        default: break
        }
    }
    let sizes: [Int] = switch (mode >> 3) & 7 {
    case 0: [0]
    case 1: [1]
    case 2: [3, 1, 7]
    default: [Int(mode >> 3) * 5]
    }
    var total = 0
    inChunks(stream, sizes: sizes) { chunk in
        for m in parser.feed(chunk) { total += touch(m) }
    }
    for m in parser.finish() { total += touch(m) }
    return total == -1 ? 1 : 0
}

func touch(_ m: HTTPMessage) -> Int {
    var n = m.body.count + m.headers.count + m.trailers.count
    n += m.header("content-type")?.count ?? 0
    n += m.headerValues("transfer-encoding").count
    n += m.method?.count ?? 0
    n += m.target?.count ?? 0
    n += m.statusCode ?? 0
    n += m.reason?.count ?? 0
    n += m.host?.count ?? 0
    n += Int(m.contentLength ?? 0 & 0xff)
    n += m.version.description.count
    return n
}

@_cdecl("FuzzHTTP_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
