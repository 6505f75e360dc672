import Foundation
import Testing
@testable import HTTPParsing

/// Streams extracted from the Zeek OCSP traces live next to the PKI fixtures (one file per direction).
enum Streams {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("PKIParsingTests/Fixtures")

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static let clientStreams = ["http-get-0", "godaddy-post-0", "revoked-0", "revoked-1", "revoked-2", "revoked-3",
                                "empty-responderid-0"]
}

func parse(_ role: HTTPRole, _ bytes: [UInt8], methods: [String] = [], limits: HTTPParserLimits = .default,
           chunk: Int? = nil) -> (messages: [HTTPMessage], parser: HTTPStreamParser) {
    var p = HTTPStreamParser(role: role, limits: limits)
    for m in methods { p.expectResponse(toMethod: m) }
    var out: [HTTPMessage] = []
    if let chunk {
        var i = 0
        while i < bytes.count {
            out += p.feed(Array(bytes[i..<min(bytes.count, i + chunk)]))
            i += chunk
        }
    } else {
        out += p.feed(bytes)
    }
    out += p.finish()
    return (out, p)
}

func b(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite struct HTTPRealTraceTests {
    @Test func firefoxOCSPGet() throws {
        let client = try Streams.bytes("http-streams/http-get-0.client.bin")
        let (reqs, rp) = parse(.request, client)
        #expect(rp.error == nil)
        #expect(reqs.count == 1)
        let req = try #require(reqs.first)
        #expect(req.method == "GET")
        #expect(req.target == "/ocsp/MEkwRzBFMEMwQTAJBgUrDgMCGgUABBTy4Gr5hYodjXCbSRkjeqm1Gih%2BZAQUSt0GFhu89mi1dvWBtrtiGrpagS8CCD1HRJb%2FlCMW")
        #expect(req.version == .http11)
        #expect(req.host == "clients1.google.com")
        #expect(req.userAgent == "Mozilla/5.0 (X11; Fedora; Linux x86_64; rv:39.0) Gecko/20100101 Firefox/39.0")
        #expect(req.header("connection") == "keep-alive")
        #expect(req.headers.count == 6)
        #expect(req.body.isEmpty && req.bodyByteCount == 0)
        #expect(req.headerByteCount == client.count)
        #expect(req.streamStartOffset == 0 && req.streamEndOffset == UInt64(client.count))

        let server = try Streams.bytes("http-streams/http-get-0.server.bin")
        let (resps, sp) = parse(.response, server, methods: ["GET"])
        #expect(sp.error == nil)
        let resp = try #require(resps.first)
        #expect(resps.count == 1)
        #expect(resp.statusCode == 200 && resp.reason == "OK")
        #expect(resp.contentType == "application/ocsp-response")
        #expect(resp.contentLength == 463)
        #expect(resp.body == (try Streams.bytes("zeek-http-get-response.der")))
        #expect(resp.bodyByteCount == 463 && !resp.bodyTruncated && resp.isComplete && !resp.endedByClose)
        #expect(UInt64(resp.headerByteCount) + resp.bodyByteCount == UInt64(server.count))
        #expect(resp.streamEndOffset == UInt64(server.count))
    }

    @Test func godaddyPost() throws {
        let (reqs, _) = parse(.request, try Streams.bytes("http-streams/godaddy-post-0.client.bin"))
        let req = try #require(reqs.first)
        #expect(reqs.count == 1)
        #expect(req.method == "POST" && req.target == "/")
        #expect(req.host == "ocsp.godaddy.com")
        #expect(req.contentType == "application/ocsp-request")
        #expect(req.body == (try Streams.bytes("zeek-godaddy-request.der")))
        let (resps, _) = parse(.response, try Streams.bytes("http-streams/godaddy-post-0.server.bin"), methods: ["POST"])
        #expect(resps.count == 1)
        #expect(resps.first?.body == (try Streams.bytes("zeek-godaddy-response.der")))
    }

    @Test(arguments: 0..<4)
    func revokedHTTP10WithoutHost(_ n: Int) throws {
        let (reqs, rp) = parse(.request, try Streams.bytes("http-streams/revoked-\(n).client.bin"))
        #expect(rp.error == nil)
        let req = try #require(reqs.first)
        #expect(reqs.count == 1)
        #expect(req.version == .http10)
        #expect(req.host == nil)
        #expect(req.header("Host") == nil)
        #expect(req.body == (try Streams.bytes("zeek-revoked-request-\(n + 1).der")))
        let (resps, sp) = parse(.response, try Streams.bytes("http-streams/revoked-\(n).server.bin"), methods: ["POST"])
        #expect(sp.error == nil)
        #expect(resps.count == 1)
        #expect(resps.first?.version == .http10)
        #expect(resps.first?.body == (try Streams.bytes("zeek-revoked-response-\(n + 1).der")))
    }

    @Test func emptyResponderIDExchange() throws {
        let (reqs, _) = parse(.request, try Streams.bytes("http-streams/empty-responderid-0.client.bin"))
        #expect(reqs.map(\.target) == ["/ocsp"])
        #expect(reqs.first?.host == "ocsp.evil.test")
        let (resps, _) = parse(.response, try Streams.bytes("http-streams/empty-responderid-0.server.bin"))
        #expect(resps.first?.header("Connection") == "close")
        #expect(resps.first?.body == (try Streams.bytes("zeek-empty-responderid-response.der")))
    }
}

@Suite struct HTTPFramingTests {
    @Test func pipelinedRequests() throws {
        let stream = b("GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello\r\nGET /c HTTP/1.1\r\n\r\n")
        let (m, p) = parse(.request, stream)
        #expect(p.error == nil)
        try #require(m.count == 3)
        #expect(m.map { $0.method ?? "" } == ["GET", "POST", "GET"])
        #expect(m.map { $0.target ?? "" } == ["/a", "/b", "/c"])
        #expect(m[1].body == b("hello"))
        #expect(m[0].streamEndOffset == 28)
        #expect(m[1].streamStartOffset == 28)
        #expect(m[1].streamEndOffset == 28 + 53)
        // The CRLF between messages is skipped, not counted as part of either.
        #expect(m[2].streamStartOffset == 28 + 53 + 2)
        #expect(m[2].streamEndOffset == UInt64(stream.count))
        #expect(m[2].host == nil)
    }

    @Test func keepAliveResponsesWithMethodQueue() throws {
        let stream = b("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n" + "HTTP/1.1 204 No Content\r\n\r\n"
            + "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n" + "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
            + "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
        let (m, p) = parse(.response, stream, methods: ["HEAD", "GET", "GET", "GET", "POST"])
        #expect(p.error == nil)
        #expect(m.map { $0.statusCode ?? 0 } == [200, 204, 304, 200, 100, 201])
        try #require(m.count == 6)
        #expect(m.map(\.bodyByteCount) == [0, 0, 0, 3, 0, 2])
        #expect(m[3].body == b("abc"))
        #expect(m[5].body == b("ok"))
    }

    @Test func headResponseWithoutQueueReadsBody() {
        // Without the method the response parser must assume a body: the next status line becomes body bytes.
        let stream = b("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nHTTP")
        #expect(parse(.response, stream).messages.first?.body == b("HTTP"))
    }

    @Test func chunkedWithExtensionsAndTrailers() throws {
        let body = "5;foo=bar\r\nhello\r\n6 ; x=\"y\"\r\n world\r\nA\r\n0123456789\r\n0;last\r\nExpires: never\r\nX-Trailer:  1 \r\n\r\n"
        let stream = b("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body + "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz")
        let (m, p) = parse(.response, stream)
        #expect(p.error == nil)
        try #require(m.count == 2)
        let c = try #require(m.first)
        #expect(c.isChunked)
        #expect(c.body == b("hello world0123456789"))
        #expect(c.bodyByteCount == 21)
        #expect(c.bodyWireByteCount == UInt64(body.utf8.count))
        #expect(c.trailers == [HTTPHeaderField(name: "Expires", value: "never"), HTTPHeaderField(name: "X-Trailer", value: "1")])
        #expect(m[1].body == b("z"))
    }

    @Test func chunkedRequest() {
        let stream = b("POST /ocsp HTTP/1.1\r\nHost: o\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        let (m, p) = parse(.request, stream)
        #expect(p.error == nil)
        #expect(m.first?.body == b("abc"))
        let (_, bad) = parse(.request, b("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nxx"))
        #expect(bad.error == .unsupportedTransferEncoding)
    }

    @Test func responseDelimitedByClose() throws {
        let stream = b("HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n\r\n") + [0x30, 0x03, 0x0a, 0x01, 0x01]
        var p = HTTPStreamParser(role: .response)
        #expect(p.feed(stream).isEmpty)
        let done = p.finish()
        let m = try #require(done.first)
        #expect(m.endedByClose && m.isComplete)
        #expect(m.body == [0x30, 0x03, 0x0a, 0x01, 0x01])
        #expect(m.streamEndOffset == UInt64(stream.count))
        #expect(p.error == nil)
        #expect(p.finish().isEmpty)
    }

    @Test func truncatedBodyIsReportedIncomplete() throws {
        var p = HTTPStreamParser(role: .response)
        #expect(p.isIdle)
        #expect(p.feed(b("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")).isEmpty)
        #expect(!p.isIdle)
        let m = try #require(p.finish().first)
        #expect(!m.isComplete)
        #expect(m.body == b("abc"))
        #expect(p.error == .truncated)
        var q = HTTPStreamParser(role: .request)
        #expect(q.feed(b("GET / HTTP/1.1\r\nHost: a")).isEmpty)
        #expect(q.finish().isEmpty)
        #expect(q.error == .truncated)
    }

    @Test func http10RequestWithoutHostAndBareLF() throws {
        let (m, p) = parse(.request, b("GET /x HTTP/1.0\nUser-Agent: curl\n\nGET /y HTTP/1.0\n\n"))
        #expect(p.error == nil)
        try #require(m.count == 2)
        #expect(m.map(\.target) == ["/x", "/y"])
        #expect(m[0].host == nil)
        #expect(m[0].userAgent == "curl")
        #expect(m[0].version == .http10)
    }

    @Test func absoluteFormTargetGivesHost() {
        let (m, _) = parse(.request, b("GET http://ocsp.example.test:8080/MFEw HTTP/1.1\r\n\r\n"))
        #expect(m.first?.host == "ocsp.example.test:8080")
    }

    @Test func obsFoldAndCaseInsensitiveLookup() {
        let (m, _) = parse(.request, b("GET / HTTP/1.1\r\nX-Long: a\r\n  b\r\nhOsT: h\r\nX-Long: c\r\n\r\n"))
        #expect(m.first?.header("x-long") == "a b")
        #expect(m.first?.headerPairs.map(\.name) == ["X-Long", "hOsT", "X-Long"])
        #expect(m.first?.headerValues("X-LONG") == ["a b", "c"])
        #expect(m.first?.host == "h")
    }

    /// With `keptBodyFirstBytes`, a body whose first byte is not listed is counted and not kept, however the body
    /// is framed and however the stream is cut; the messages around it are unaffected.
    @Test func bodiesKeptOnlyWhenTheirFirstByteIsListed() {
        var limits = HTTPParserLimits()
        limits.keptBodyFirstBytes = [0x30]
        let stream = b("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
            + b("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n") + [0x30, 0x01, 0x00]
            + b("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n")
            + b("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n0\r\n2\r\nxy\r\n0\r\n\r\n")
            + b("HTTP/1.1 204 No Content\r\n\r\n")
        for chunk in [nil, 1, 7] as [Int?] {
            let (m, p) = parse(.response, stream, methods: ["GET", "GET", "GET", "GET", "GET"], limits: limits, chunk: chunk)
            #expect(p.error == nil)
            #expect(m.map(\.bodyDiscarded) == [true, false, true, false, false], "chunk \(String(describing: chunk))")
            #expect(m.map(\.body) == [[], [0x30, 0x01, 0x00], [], b("0xy"), []], "chunk \(String(describing: chunk))")
            #expect(m.map(\.bodyByteCount) == [5, 3, 3, 3, 0], "chunk \(String(describing: chunk))")
        }
        // Without the setting every body is kept.
        let (all, _) = parse(.response, stream, methods: ["GET", "GET", "GET", "GET", "GET"])
        #expect(all.map(\.bodyDiscarded) == [false, false, false, false, false])
        #expect(all.first?.body == b("hello"))
    }

    /// Names match ignoring the case of ASCII letters only: bytes that differ by 0x20 but are not letters differ.
    @Test func fieldNamesCompareIgnoringASCIICaseOnly() {
        let same = [("Content-Type", "content-type"), ("A", "a"), ("zZ", "Zz"), ("X-1_~", "x-1_~"), ("", "")]
        let different = [("@", "`"), ("[", "{"), ("]", "}"), ("^", "~"), ("Host", "Hosu"), ("Host", "Hos"), ("a", "a ")]
        for (x, y) in same { #expect(HTTPMessage.sameName(x, y) && HTTPMessage.sameName(y, x), "\(x) \(y)") }
        for (x, y) in different { #expect(!HTTPMessage.sameName(x, y) && !HTTPMessage.sameName(y, x), "\(x) \(y)") }
        let (m, _) = parse(.request, b("GET / HTTP/1.1\r\nX-^`: 1\r\n\r\n"))
        #expect(m.first?.header("x-^`") == "1")
        #expect(m.first?.header("x-~@") == nil)
    }

    @Test func upgradeStopsParsing() {
        let stream = b("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\u{81}\u{05}hello")
        let (m, p) = parse(.response, stream, methods: ["GET"])
        #expect(m.map(\.statusCode) == [101])
        #expect(p.isUpgraded)
        #expect(p.error == nil)
        #expect(p.bytesIgnored == 8)
        let (c, q) = parse(.response, b("HTTP/1.1 200 Connection established\r\n\r\n\u{16}\u{03}\u{01}"), methods: ["CONNECT"])
        #expect(c.count == 1 && q.isUpgraded)
    }
}

@Suite struct HTTPLimitsAndErrorsTests {
    @Test func oversizedHeaderBlock() {
        let big = "GET / HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 17 * 1024) + "\r\n\r\n"
        let (m, p) = parse(.request, b(big))
        #expect(m.isEmpty)
        #expect(p.error == .headerTooLarge)
        // The limit hits at the same byte whether the field line arrives at once or byte by byte.
        for chunk in [1, 5, 4096] {
            let split = parse(.request, b(big), chunk: chunk)
            #expect(split.parser.error == .headerTooLarge)
            #expect(split.parser.bytesIgnored == p.bytesIgnored, "chunk \(chunk)")
            #expect(split.parser.bytesIgnored == UInt64(big.utf8.count - 16 * 1024 - 1))
        }
        var limits = HTTPParserLimits()
        limits.maximumHeaderBytes = 64 * 1024
        #expect(parse(.request, b(big), limits: limits).messages.count == 1)
    }

    @Test func tooManyHeaderFields() {
        let fields = (0..<300).map { "X-\($0): v\r\n" }.joined()
        let (_, p) = parse(.request, b("GET / HTTP/1.1\r\n" + fields + "\r\n"))
        #expect(p.error == .tooManyHeaders)
    }

    @Test func oversizedBodyIsTruncatedAndCounted() throws {
        let size = (1 << 20) + 12345
        let stream = b("HTTP/1.1 200 OK\r\nContent-Length: \(size)\r\n\r\n") + [UInt8](repeating: 0x41, count: size)
            + b("HTTP/1.1 204 No Content\r\n\r\n")
        let (m, p) = parse(.response, stream, chunk: 65536)
        #expect(p.error == nil)
        try #require(m.count == 2)
        let first = try #require(m.first)
        #expect(first.bodyTruncated)
        #expect(first.body.count == 1 << 20)
        #expect(first.bodyByteCount == UInt64(size))
        #expect(m[1].statusCode == 204)
    }

    @Test func oversizedChunkedBody() throws {
        var limits = HTTPParserLimits()
        limits.maximumBodyBytes = 10
        let (m, _) = parse(.response, b("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\n"),
                           limits: limits)
        #expect(m.first?.body == b("0123456789"))
        #expect(m.first?.bodyTruncated == true)
        #expect(m.first?.bodyByteCount == 16)
    }

    @Test(arguments: [
        ("\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}", HTTPRole.request),
        ("\u{16}\u{03}\u{03}\u{00}\u{5a}", HTTPRole.response),
        ("SSH-2.0-OpenSSH_9.6\r\n", HTTPRole.response),
        ("SSH-2.0-OpenSSH_9.6\r\n", HTTPRole.request),
        ("hello world\r\n\r\n", HTTPRole.request),
        ("GET /\r\n\r\n", HTTPRole.request),
        ("HTTP/1.1 abc OK\r\n\r\n", HTTPRole.response),
        ("HTTP/2.0 200 OK\r\n\r\n", HTTPRole.response),
        ("GET / HTTP/1.1\r\n\r\n", HTTPRole.response),
        ("HTTP/1.1 200 OK\r\n\r\n", HTTPRole.request),
    ])
    func notHTTP(_ text: String, _ role: HTTPRole) {
        let (m, p) = parse(role, b(text))
        #expect(m.isEmpty)
        #expect(p.error == .notHTTP)
    }

    @Test func tlsIsRejectedAtTheFirstByte() {
        var p = HTTPStreamParser(role: .request)
        #expect(p.feed([0x16]).isEmpty)
        #expect(p.error == .notHTTP)
        _ = p.feed([UInt8](repeating: 0x03, count: 1000))
        #expect(p.bytesIgnored == 1000)
    }

    @Test func binaryGarbageNeverGrowsPastCap() {
        // 1 MiB of "A" with no line end: a plausible method that never ends must stop at the method cap.
        var p = HTTPStreamParser(role: .request)
        _ = p.feed([UInt8](repeating: 0x41, count: 1 << 20))
        #expect(p.error == .notHTTP)
        var q = HTTPStreamParser(role: .response)
        _ = q.feed(b("HTTP/") + [UInt8](repeating: 0x41, count: 1 << 20))
        #expect(q.error == .headerTooLarge)
    }

    @Test func errorsAfterAGoodMessage() {
        let (m, p) = parse(.request, b("GET / HTTP/1.1\r\n\r\n\u{00}\u{01}garbage"))
        #expect(m.count == 1)
        #expect(p.error == .malformedStartLine)
        #expect(parse(.request, b("GET / HTTP/1.1\r\nbad header\r\n\r\n")).parser.error == .malformedHeader)
        #expect(parse(.request, b("GET / HTTP/1.1\r\n: empty\r\n\r\n")).parser.error == .malformedHeader)
        #expect(parse(.request, b("GET / HTTP/1.1\r\n folded-first\r\n\r\n")).parser.error == .malformedHeader)
        #expect(parse(.request, b("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n")).parser.error == .invalidContentLength)
        #expect(parse(.request, b("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")).parser.error
            == .invalidContentLength)
        #expect(parse(.request, b("POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\nab")).messages.first?.body == b("ab"))
        #expect(parse(.response, b("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")).parser.error == .invalidChunk)
        #expect(parse(.response, b("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n")).parser.error == .invalidChunk)
        #expect(parse(.response, b("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n")).parser.error
            == .invalidChunk)
    }
}

/// Every truncation point and every way of splitting the input gives the same messages.
@Suite struct HTTPIncrementalTests {
    static let synthetic: [(String, HTTPRole, [String])] = [
        ("GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello\r\nGET /c HTTP/1.0\r\n\r\n", .request, []),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: v\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\nHTTP/1.0 200 OK\r\n\r\ntail", .response, ["GET", "GET", "GET"]),
        ("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", .response, ["POST", "HEAD"]),
        ("GET / HTTP/1.1\nA: b\n\nGET / HTTP/1.1\r\n\r\n\u{16}\u{03}", .request, []),
    ]

    static func cases() throws -> [(String, [UInt8], HTTPRole, [String])] {
        var all = synthetic.enumerated().map { ("synthetic-\($0.offset)", b($0.element.0), $0.element.1, $0.element.2) }
        for s in Streams.clientStreams {
            all.append((s + ".client", try Streams.bytes("http-streams/\(s).client.bin"), .request, []))
            all.append((s + ".server", try Streams.bytes("http-streams/\(s).server.bin"), .response,
                        s.hasPrefix("revoked") || s.hasPrefix("godaddy") ? ["POST"] : ["GET"]))
        }
        return all
    }

    @Test func byteAtATimeEqualsAllAtOnce() throws {
        for (name, bytes, role, methods) in try Self.cases() {
            let whole = parse(role, bytes, methods: methods)
            let single = parse(role, bytes, methods: methods, chunk: 1)
            #expect(whole.messages == single.messages, "\(name)")
            #expect(whole.parser.error == single.parser.error, "\(name)")
            #expect(!whole.messages.isEmpty, "\(name)")
            for chunk in [2, 3, 7, 100] {
                #expect(parse(role, bytes, methods: methods, chunk: chunk).messages == whole.messages, "\(name) /\(chunk)")
            }
        }
    }

    @Test func everyTruncationPoint() throws {
        for (name, bytes, role, methods) in try Self.cases() {
            let full = parse(role, bytes, methods: methods).messages.filter { $0.isComplete && !$0.endedByClose }
            for cut in 0...bytes.count {
                let (m, _) = parse(role, Array(bytes[0..<cut]), methods: methods)
                let complete = m.filter { $0.isComplete && !$0.endedByClose }
                let expected = full.filter { $0.streamEndOffset <= UInt64(cut) }
                #expect(complete == expected, "\(name) cut at \(cut)")
                #expect(m.count <= expected.count + 1, "\(name) cut at \(cut)")
            }
        }
    }
}

@Suite struct HTTPCorruptionTests {
    /// Every single-byte corruption of the real OCSP streams: the parser returns messages or stops with an error,
    /// and whatever it returns stays within the stream.
    @Test func everySingleByteCorruption() throws {
        for (name, bytes, role, methods) in try HTTPIncrementalTests.cases() where !name.hasPrefix("synthetic") {
            var mutated = bytes
            var errors = 0
            for i in 0..<bytes.count {
                for v: UInt8 in [bytes[i] ^ 0xff, 0x00, 0x0a, 0x20] where v != bytes[i] {
                    mutated[i] = v
                    let (m, p) = parse(role, mutated, methods: methods)
                    if p.error != nil { errors += 1 }
                    for msg in m {
                        #expect(msg.streamEndOffset <= UInt64(bytes.count))
                        #expect(msg.body.count <= bytes.count)
                    }
                }
                mutated[i] = bytes[i]
            }
            #expect(errors > 0, "\(name): no corruption detected at all")
        }
    }
}
