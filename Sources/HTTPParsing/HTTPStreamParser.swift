/// Incremental HTTP/1.0 and HTTP/1.1 parser for ONE direction of a reassembled TCP stream.
///
/// Feed the bytes of the direction in order with `feed(_:)`; each call returns the messages completed by those
/// bytes (pipelined and keep-alive messages included). At the end of the stream call `finish()`, which completes
/// a response delimited by connection close (and reports a message cut in the middle as incomplete).
///
/// Framing (RFC 9112 §6): chunked when Transfer-Encoding ends with `chunked` (chunk extensions ignored,
/// trailers kept), else Content-Length, else — for a response — until the connection closes, and — for a request —
/// no body. Responses to HEAD, 1xx, 204 and 304 have no body; a 101 response or a 2xx response to CONNECT ends
/// HTTP on that direction (later bytes are counted in `bytesIgnored`). Tell a response parser which request each
/// response answers with `expectResponse(toMethod:)` (in request order; feed the request direction first); with
/// no method queued a response is read as a response to GET.
///
/// Content check: the first bytes must look like a request line (`token SP`) or a status line (`HTTP/`); the
/// first byte that cannot start one stops the parser with `.notHTTP` (a TLS stream is rejected at its first
/// byte). Lines may end in CRLF or bare LF.
///
/// Bounds (`HTTPParserLimits`): header block 16 KiB, 256 fields, body kept up to 1 MiB (then `bodyTruncated`,
/// all bytes still counted; optionally only bodies starting with given bytes, `keptBodyFirstBytes`), chunk-size
/// line 4 KiB. Any violation, or malformed input, stops the direction with
/// `error` set; the parser never traps and never grows past these caps.
public struct HTTPStreamParser: Sendable {
    public let role: HTTPRole
    public let limits: HTTPParserLimits

    /// Why parsing stopped, if it did.
    public private(set) var error: HTTPParseError?
    /// Bytes fed so far (the stream offset of the next byte).
    public private(set) var bytesFed: UInt64 = 0
    /// Bytes not parsed because parsing stopped (error, upgrade, CONNECT tunnel, after `finish()`).
    public private(set) var bytesIgnored: UInt64 = 0
    /// Messages completed so far.
    public private(set) var messageCount: Int = 0
    /// True after a 101 response or a 2xx response to CONNECT: the rest of the direction is not HTTP.
    public private(set) var isUpgraded = false
    /// True once `finish()` has been called.
    public private(set) var isFinished = false

    /// True when no message is partly read (between messages, or stopped). A stream that ends while this is
    /// false was cut inside a message.
    public var isIdle: Bool {
        switch state {
        case .head: return line.isEmpty
        case .stopped: return true
        default: return false
        }
    }

    private enum State: Sendable {
        case head
        case body(remaining: UInt64)
        case chunkSize
        case chunkData(remaining: UInt64)
        case chunkDataEnd(sawCR: Bool)
        case trailers
        case untilClose
        case stopped
    }

    private var state: State = .head
    private var line: [UInt8] = []  // head / trailer block / chunk-size line being accumulated
    private var leadingEmptyBytes = 0
    private var sawFirstLineEnd = false
    private var lastLineStart = 0
    /// A request line whose method already ended with a space (every later byte of the line is then plausible).
    private var methodEnded = false
    private var pendingMethods: [String] = []
    private var pendingMethodsHead = 0
    private var current: HTTPMessage?
    private var currentIsConnectOrUpgrade = false

    public init(role: HTTPRole, limits: HTTPParserLimits = .default) {
        self.role = role
        self.limits = limits
    }

    /// Remembers the method of a request whose response will come on this (response) direction.
    public mutating func expectResponse(toMethod method: String) {
        if pendingMethods.count - pendingMethodsHead < limits.maximumPendingMethods {
            pendingMethods.append(method)
        }
    }

    /// Convenience: feed a byte array.
    public mutating func feed(_ bytes: [UInt8]) -> [HTTPMessage] {
        var out: [HTTPMessage] = []
        bytes.withUnsafeBytes { out = self.feed($0) }
        return out
    }

    /// Feeds the next bytes of the stream; returns the messages these bytes completed, in order.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [HTTPMessage] {
        var out: [HTTPMessage] = []
        var i = 0
        let n = bytes.count
        while i < n {
            switch state {
            case .stopped:
                bytesIgnored += UInt64(n - i)
                bytesFed += UInt64(n - i)
                i = n

            case .head where sawFirstLineEnd && !line.isEmpty:
                // Header field lines: copied up to and including the next LF at once, with what `headByte` does
                // per byte (the size limit checked at the byte that passes it, the line end examined at the LF).
                var end = i
                while end < n && bytes[end] != 0x0a { end += 1 }
                let foundLF = end < n
                let take = (foundLF ? end + 1 : n) - i
                let room = limits.maximumHeaderBytes - line.count
                if take > room {
                    line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + room + 1)]))
                    i += room + 1
                    bytesFed += UInt64(room + 1)
                    fail(.headerTooLarge)
                    continue
                }
                line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)]))
                i += take
                bytesFed += UInt64(take)
                if foundLF { headLineEnded(&out) }

            case .head:
                let b = bytes[i]
                i += 1
                bytesFed += 1
                headByte(b, &out)

            case .body(let remaining):
                let take = Int(min(UInt64(n - i), remaining))
                appendBody(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)]))
                i += take
                bytesFed += UInt64(take)
                current?.bodyWireByteCount += UInt64(take)
                if remaining - UInt64(take) == 0 {
                    complete(&out)
                } else {
                    state = .body(remaining: remaining - UInt64(take))
                }

            case .untilClose:
                let take = n - i
                appendBody(UnsafeRawBufferPointer(rebasing: bytes[i..<n]))
                i = n
                bytesFed += UInt64(take)
                current?.bodyWireByteCount += UInt64(take)

            case .chunkSize:
                let b = bytes[i]
                i += 1
                bytesFed += 1
                current?.bodyWireByteCount += 1
                chunkSizeByte(b)

            case .chunkData(let remaining):
                let take = Int(min(UInt64(n - i), remaining))
                appendBody(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)]))
                i += take
                bytesFed += UInt64(take)
                current?.bodyWireByteCount += UInt64(take)
                let left = remaining - UInt64(take)
                state = left == 0 ? .chunkDataEnd(sawCR: false) : .chunkData(remaining: left)

            case .chunkDataEnd(let sawCR):
                let b = bytes[i]
                i += 1
                bytesFed += 1
                current?.bodyWireByteCount += 1
                if b == 0x0d && !sawCR {
                    state = .chunkDataEnd(sawCR: true)
                } else if b == 0x0a {
                    state = .chunkSize
                } else {
                    fail(.invalidChunk)
                }

            case .trailers:
                let b = bytes[i]
                i += 1
                bytesFed += 1
                current?.bodyWireByteCount += 1
                trailerByte(b, &out)
            }
        }
        return out
    }

    /// Ends the stream. Returns a response delimited by the close, or a message cut in the middle of its body
    /// (`isComplete == false`, and `error` becomes `.truncated`). A stream ending inside a header block sets
    /// `.truncated` and returns nothing.
    public mutating func finish() -> [HTTPMessage] {
        guard !isFinished else { return [] }
        isFinished = true
        var out: [HTTPMessage] = []
        switch state {
        case .stopped:
            break
        case .head:
            if !line.isEmpty { error = .truncated }
        case .untilClose:
            current?.endedByClose = true
            complete(&out)
        case .body, .chunkSize, .chunkData, .chunkDataEnd, .trailers:
            current?.isComplete = false
            complete(&out)
            error = .truncated
        }
        state = .stopped
        return out
    }

    // MARK: - Head

    private mutating func headByte(_ b: UInt8, _ out: inout [HTTPMessage]) {
        if line.isEmpty {
            if b == 0x0d || b == 0x0a {
                leadingEmptyBytes += 1
                if leadingEmptyBytes > limits.maximumLeadingEmptyBytes { fail(startError) }
                return
            }
            sawFirstLineEnd = false
            lastLineStart = 0
            methodEnded = false
        }
        line.append(b)
        if line.count > limits.maximumHeaderBytes {
            fail(sawFirstLineEnd ? .headerTooLarge : (plausibleWithLastByte() ? .headerTooLarge : startError))
            return
        }
        if !sawFirstLineEnd {
            if b == 0x0a {
                sawFirstLineEnd = true
                lastLineStart = line.count
            } else if !plausibleWithLastByte() {
                fail(startError)
            }
            return
        }
        guard b == 0x0a else { return }
        headLineEnded(&out)
    }

    /// A line of the head just ended (its LF is the last byte of `line`): an empty one ("\n" or "\r\n") ends the head.
    private mutating func headLineEnded(_ out: inout [HTTPMessage]) {
        let lineLength = line.count - lastLineStart
        if lineLength == 1 || (lineLength == 2 && line[line.count - 2] == 0x0d) {
            finishHead(&out)
        } else {
            lastLineStart = line.count
        }
    }

    private var startError: HTTPParseError { messageCount == 0 ? .notHTTP : .malformedStartLine }

    private static let statusLinePrefix: [UInt8] = Array("HTTP/".utf8)

    /// Whether the start line accumulated so far (no LF yet) can still be a valid one, judged on its last byte:
    /// every earlier byte passed this check when it came (the parser stops at the first that does not), so the
    /// answer is `plausible(line)`'s, in constant time instead of a pass over the line per byte.
    private mutating func plausibleWithLastByte() -> Bool {
        let k = line.count - 1
        let c = line[k]
        let result: Bool
        switch role {
        case .response:
            result = k >= HTTPStreamParser.statusLinePrefix.count || c == HTTPStreamParser.statusLinePrefix[k]
        case .request:
            // method = token, then SP.
            if methodEnded {
                result = true
            } else if c == 0x20 {
                methodEnded = k > 0
                result = k > 0
            } else {
                result = k < limits.maximumMethodLength && HTTPStreamParser.isTokenChar(c)
            }
        }
        assert(result == HTTPStreamParser.plausible(line, role: role, limits: limits), "incremental start-line check")
        return result
    }

    /// Whether `line` (a start line without its LF) can still become a valid one: the whole-line definition that
    /// `plausibleWithLastByte` keeps up incrementally (debug builds check the two agree on every byte).
    static func plausible(_ line: [UInt8], role: HTTPRole, limits: HTTPParserLimits) -> Bool {
        switch role {
        case .response:
            for (k, c) in line.prefix(statusLinePrefix.count).enumerated() where c != statusLinePrefix[k] { return false }
            return true
        case .request:
            for (k, c) in line.enumerated() {
                if c == 0x20 { return k > 0 }
                if k >= limits.maximumMethodLength || !HTTPStreamParser.isTokenChar(c) { return false }
            }
            return true
        }
    }

    private mutating func finishHead(_ out: inout [HTTPMessage]) {
        let headBytes = line
        let start = bytesFed - UInt64(headBytes.count)
        line.removeAll(keepingCapacity: true)
        leadingEmptyBytes = 0
        var lines = HTTPStreamParser.splitLines(headBytes[...])
        // The last element is the empty line that ended the head.
        if let last = lines.last, last.isEmpty { lines.removeLast() }
        guard let first = lines.first else { fail(startError); return }
        guard let parsedStart = parseStartLine(first) else { fail(startError); return }
        guard let headers = parseFields(lines.dropFirst()) else { return }
        let message = HTTPMessage(
            startLine: parsedStart.0, version: parsedStart.1, headers: headers, trailers: [], body: [],
            bodyTruncated: false, headerByteCount: headBytes.count, bodyByteCount: 0, bodyWireByteCount: 0,
            streamStartOffset: start, streamEndOffset: bytesFed, isChunked: false, endedByClose: false,
            isComplete: true)
        currentIsConnectOrUpgrade = false

        // Framing.
        let te = message.headerValues("Transfer-Encoding")
        let codings = te.flatMap { $0.split(separator: ",") }.map { HTTPMessage.lower(String($0)).trimmingOWS }
            .filter { !$0.isEmpty }
        let chunked = codings.last == "chunked"
        var contentLength: UInt64?
        let clValues = message.headerValues("Content-Length")
        if !clValues.isEmpty && codings.isEmpty {
            var value: UInt64?
            for v in clValues {
                for part in v.split(separator: ",", omittingEmptySubsequences: false) {
                    let text = String(part).trimmingOWS
                    guard !text.isEmpty, text.utf8.count <= 19, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                        let parsed = UInt64(text), value == nil || value == parsed
                    else {
                        fail(.invalidContentLength)
                        return
                    }
                    value = parsed
                }
            }
            contentLength = value
        }

        switch message.startLine {
        case .request:
            current = message
            if !codings.isEmpty {
                guard chunked else { fail(.unsupportedTransferEncoding); return }
                current?.isChunked = true
                state = .chunkSize
            } else if let cl = contentLength, cl > 0 {
                state = .body(remaining: cl)
            } else {
                complete(&out)
            }
        case .response(let status, _):
            var method = "GET"
            if status >= 200 {
                if pendingMethodsHead < pendingMethods.count {
                    method = pendingMethods[pendingMethodsHead]
                    pendingMethodsHead += 1
                    if pendingMethodsHead > 64 && pendingMethodsHead * 2 > pendingMethods.count {
                        pendingMethods.removeFirst(pendingMethodsHead)
                        pendingMethodsHead = 0
                    }
                }
            }
            let upperMethod = method.uppercased()
            current = message
            if status == 101 || (upperMethod == "CONNECT" && (200..<300).contains(status)) {
                currentIsConnectOrUpgrade = true
                complete(&out)
            } else if status < 200 || status == 204 || status == 304 || upperMethod == "HEAD" {
                complete(&out)
            } else if chunked {
                current?.isChunked = true
                state = .chunkSize
            } else if !codings.isEmpty {
                state = .untilClose
            } else if let cl = contentLength {
                if cl == 0 { complete(&out) } else { state = .body(remaining: cl) }
            } else {
                state = .untilClose
            }
        }
    }

    private func parseStartLine(_ l: ArraySlice<UInt8>) -> (HTTPMessage.StartLine, HTTPVersion)? {
        let parts = l.split(omittingEmptySubsequences: true, whereSeparator: { $0 == 0x20 || $0 == 0x09 })
        switch role {
        case .request:
            guard parts.count == 3, let version = HTTPStreamParser.parseVersion(parts[2]),
                parts[0].count <= limits.maximumMethodLength, parts[0].allSatisfy(HTTPStreamParser.isTokenChar),
                parts[1].allSatisfy({ $0 > 0x20 && $0 != 0x7f })
            else { return nil }
            return (.request(method: String(decoding: parts[0], as: UTF8.self), target: HTTPStreamParser.text(parts[1])),
                    version)
        case .response:
            guard parts.count >= 2, let version = HTTPStreamParser.parseVersion(parts[0]), parts[1].count == 3,
                parts[1].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
            else { return nil }
            let code = parts[1].reduce(0) { $0 * 10 + Int($1 - 0x30) }
            // Reason: everything after the status code and one separator.
            var reason = ""
            if let codeEnd = parts[1].indices.last {
                let after = l[(codeEnd + 1)...].drop(while: { $0 == 0x20 || $0 == 0x09 })
                reason = HTTPStreamParser.text(after)
            }
            return (.response(statusCode: code, reason: reason), version)
        }
    }

    /// Parses `field-line`s; on error sets the error and returns nil.
    private mutating func parseFields(_ lines: ArraySlice<ArraySlice<UInt8>>) -> [HTTPHeaderField]? {
        var fields: [HTTPHeaderField] = []
        for l in lines {
            if let first = l.first, first == 0x20 || first == 0x09 {
                // obs-fold: continuation of the previous value.
                guard !fields.isEmpty else { fail(.malformedHeader); return nil }
                let more = HTTPStreamParser.text(l).trimmingOWS
                if !more.isEmpty {
                    fields[fields.count - 1].value += fields[fields.count - 1].value.isEmpty ? more : " " + more
                }
                continue
            }
            guard let colon = l.firstIndex(of: 0x3a), colon > l.startIndex,
                l[l.startIndex..<colon].allSatisfy(HTTPStreamParser.isTokenChar)
            else {
                fail(.malformedHeader)
                return nil
            }
            fields.append(HTTPHeaderField(name: String(decoding: l[l.startIndex..<colon], as: UTF8.self),
                                          value: HTTPStreamParser.text(l[(colon + 1)...]).trimmingOWS))
            if fields.count > limits.maximumHeaderFields {
                fail(.tooManyHeaders)
                return nil
            }
        }
        return fields
    }

    // MARK: - Body

    private mutating func appendBody(_ bytes: UnsafeRawBufferPointer) {
        guard current != nil else { return }
        if current!.bodyByteCount == 0, let kept = limits.keptBodyFirstBytes, let first = bytes.first, !kept.contains(first) {
            current!.bodyDiscarded = true
        }
        current!.bodyByteCount += UInt64(bytes.count)
        if current!.bodyDiscarded { return }
        let room = limits.maximumBodyBytes - current!.body.count
        if room >= bytes.count {
            current!.body.append(contentsOf: bytes)
        } else {
            if room > 0 { current!.body.append(contentsOf: bytes.prefix(room)) }
            current!.bodyTruncated = true
        }
    }

    private mutating func chunkSizeByte(_ b: UInt8) {
        line.append(b)
        if line.count > limits.maximumChunkLineBytes { fail(.invalidChunk); return }
        guard b == 0x0a else { return }
        var content = line[...].dropLast()
        if content.last == 0x0d { content = content.dropLast() }
        line.removeAll(keepingCapacity: true)
        // chunk-size [ chunk-ext ] : hex digits, then optional BWS ";" extensions.
        var size: UInt64 = 0
        var digits = 0
        var idx = content.startIndex
        while idx < content.endIndex, let v = HTTPStreamParser.hexValue(content[idx]) {
            guard digits < 15 else { fail(.invalidChunk); return }  // < 2^60
            size = size << 4 | UInt64(v)
            digits += 1
            idx += 1
        }
        guard digits > 0 else { fail(.invalidChunk); return }
        let rest = content[idx...].drop(while: { $0 == 0x20 || $0 == 0x09 })
        guard rest.isEmpty || rest.first == 0x3b else { fail(.invalidChunk); return }
        if size == 0 {
            state = .trailers
            sawFirstLineEnd = true
            lastLineStart = 0
        } else {
            state = .chunkData(remaining: size)
        }
    }

    private mutating func trailerByte(_ b: UInt8, _ out: inout [HTTPMessage]) {
        line.append(b)
        if line.count > limits.maximumHeaderBytes { fail(.headerTooLarge); return }
        guard b == 0x0a else { return }
        let lineLength = line.count - lastLineStart
        guard lineLength == 1 || (lineLength == 2 && line[line.count - 2] == 0x0d) else {
            lastLineStart = line.count
            return
        }
        var lines = HTTPStreamParser.splitLines(line[...])
        if let last = lines.last, last.isEmpty { lines.removeLast() }
        line.removeAll(keepingCapacity: true)
        guard let trailers = parseFields(lines[...]) else { return }
        current?.trailers = trailers
        complete(&out)
    }

    private mutating func complete(_ out: inout [HTTPMessage]) {
        guard var message = current else { return }
        message.streamEndOffset = bytesFed
        out.append(message)
        messageCount += 1
        current = nil
        line.removeAll(keepingCapacity: true)
        if currentIsConnectOrUpgrade {
            isUpgraded = true
            state = .stopped
        } else if case .stopped = state {
        } else {
            state = .head
        }
        currentIsConnectOrUpgrade = false
    }

    private mutating func fail(_ e: HTTPParseError) {
        if error == nil { error = e }
        state = .stopped
        current = nil
        line = []
    }

    // MARK: - Lexical helpers

    static func isTokenChar(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5a, 0x61...0x7a: return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default: return false
        }
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    static func parseVersion(_ s: ArraySlice<UInt8>) -> HTTPVersion? {
        let a = Array(s)
        guard a.count == 8, a[0] == 0x48, a[1] == 0x54, a[2] == 0x54, a[3] == 0x50, a[4] == 0x2f,
            a[5] >= 0x30, a[5] <= 0x39, a[6] == 0x2e, a[7] >= 0x30, a[7] <= 0x39, a[5] == 0x31
        else { return nil }
        return HTTPVersion(major: Int(a[5] - 0x30), minor: Int(a[7] - 0x30))
    }

    /// Lines split at LF with a trailing CR removed.
    static func splitLines(_ bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i] == 0x0a {
                var end = i
                if end > start, bytes[end - 1] == 0x0d { end -= 1 }
                lines.append(bytes[start..<end])
                start = i + 1
            }
            i += 1
        }
        if start < bytes.endIndex { lines.append(bytes[start...]) }
        return lines
    }

    /// UTF-8 when valid, else ISO-8859-1 (every byte one character), so that no input is lost or rejected.
    static func text(_ bytes: ArraySlice<UInt8>) -> String {
        let s = String(decoding: bytes, as: UTF8.self)
        if s.utf8.elementsEqual(bytes) { return s }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (HTTP optional whitespace).
    var trimmingOWS: String {
        let u = Array(utf8)
        var a = 0
        var b = u.count
        while a < b, u[a] == 0x20 || u[a] == 0x09 { a += 1 }
        while b > a, u[b - 1] == 0x20 || u[b - 1] == 0x09 { b -= 1 }
        return String(decoding: u[a..<b], as: UTF8.self)
    }
}
