/// Which direction of a connection a parser reads.
public enum HTTPRole: Sendable, Hashable {
    /// Client → server: request messages.
    case request
    /// Server → client: response messages.
    case response
}

/// `HTTP-version = HTTP-name "/" DIGIT "." DIGIT` (RFC 9112 §2.3).
public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }
    public static let http10 = HTTPVersion(major: 1, minor: 0)
    public static let http11 = HTTPVersion(major: 1, minor: 1)
    public var description: String { "HTTP/\(major).\(minor)" }
}

/// One header (or trailer) field as it appeared, in order. Names keep their case; look-ups ignore it.
public struct HTTPHeaderField: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A complete (or, at the end of a stream, partial) HTTP/1.x message.
public struct HTTPMessage: Sendable, Hashable {
    /// The start line.
    public enum StartLine: Sendable, Hashable {
        /// `request-line = method SP request-target SP HTTP-version`
        case request(method: String, target: String)
        /// `status-line = HTTP-version SP status-code SP [ reason-phrase ]`
        case response(statusCode: Int, reason: String)
    }

    public var startLine: StartLine
    public var version: HTTPVersion
    /// Header fields in order of appearance (obs-fold continuations joined with one space).
    public var headers: [HTTPHeaderField]
    /// Trailer fields of a chunked body, in order.
    public var trailers: [HTTPHeaderField]
    /// The body after removing chunked framing, at most `HTTPParserLimits.maximumBodyBytes` bytes.
    public var body: [UInt8]
    /// True when the body was longer than the cap and `body` holds only its beginning.
    public var bodyTruncated: Bool
    /// True when the body was counted but not kept, its first byte not being one of
    /// `HTTPParserLimits.keptBodyFirstBytes`; `body` is then empty.
    public var bodyDiscarded = false
    /// Bytes of the start line, header fields and the blank line ending them.
    public var headerByteCount: Int
    /// Length of the whole body after removing chunked framing (also counting bytes not kept).
    public var bodyByteCount: UInt64
    /// Bytes after the header block up to the end of the message (body plus chunk framing and trailers).
    public var bodyWireByteCount: UInt64
    /// Offset in the stream (bytes fed to this parser before) of the message's first byte.
    public var streamStartOffset: UInt64
    /// Offset in the stream just after the message's last byte: the message was completed by the byte at
    /// `streamEndOffset - 1` (for a message ended by `finish()`, the stream length).
    public var streamEndOffset: UInt64
    /// True when the body used chunked transfer coding.
    public var isChunked: Bool
    /// True when the body ran until the end of the stream (response without length).
    public var endedByClose: Bool
    /// False only for a message cut by the end of the stream (`finish()` in the middle of its body).
    public var isComplete: Bool

    public var isRequest: Bool {
        if case .request = startLine { return true }
        return false
    }
    /// Request method (`GET`, `POST`, ...), nil for a response.
    public var method: String? {
        if case .request(let m, _) = startLine { return m }
        return nil
    }
    /// Request target as sent (origin-form `/path?q`, absolute-form, authority-form or `*`), nil for a response.
    public var target: String? {
        if case .request(_, let t) = startLine { return t }
        return nil
    }
    /// Status code, nil for a request.
    public var statusCode: Int? {
        if case .response(let c, _) = startLine { return c }
        return nil
    }
    /// Reason phrase, nil for a request.
    public var reason: String? {
        if case .response(_, let r) = startLine { return r }
        return nil
    }

    /// The header fields as ordered `(name, value)` pairs.
    public var headerPairs: [(name: String, value: String)] { headers.map { ($0.name, $0.value) } }

    /// First value of the header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { HTTPMessage.sameName($0.name, name) }?.value
    }
    /// All values of the header `name` (case-insensitive), in order.
    public func headerValues(_ name: String) -> [String] {
        headers.filter { HTTPMessage.sameName($0.name, name) }.map(\.value)
    }

    /// Whether two field names are the same ignoring ASCII case, byte for byte (field names are tokens, RFC 9110
    /// §5.1: ASCII only). Compared in place, without a lower-cased copy of either.
    /// The bytes are read where they are (`withContiguousStorageIfAvailable`): a mutable copy for `withUTF8` would
    /// retain and release both strings on every comparison.
    static func sameName(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        func same(_ x: UInt8, _ y: UInt8) -> Bool {
            if x == y { return true }
            let l = x | 0x20
            return l == y | 0x20 && l >= 0x61 && l <= 0x7a
        }
        let inPlace = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in
                for i in 0..<x.count where !same(x[i], y[i]) { return false }
                return true
            }
        }
        if let inPlace, let result = inPlace { return result }
        return a.utf8.elementsEqual(b.utf8, by: same)
    }

    /// The Host header, or for an absolute-form request target its authority. nil when neither exists
    /// (HTTP/1.0 requests often have no Host).
    public var host: String? {
        if let h = header("Host") { return h }
        guard let t = target, let schemeEnd = t.firstIndex(of: ":"), t[schemeEnd...].hasPrefix("://") else {
            return nil
        }
        let rest = t[t.index(schemeEnd, offsetBy: 3)...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return authority.isEmpty ? nil : String(authority)
    }
    public var userAgent: String? { header("User-Agent") }
    public var contentType: String? { header("Content-Type") }
    /// The Content-Length header as a number, when present and valid.
    public var contentLength: UInt64? { header("Content-Length").flatMap { UInt64($0) } }

    static func lower(_ s: String) -> String {
        String(decoding: s.utf8.map { $0 >= 0x41 && $0 <= 0x5a ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}

/// Why a parser stopped. After an error the parser ignores the rest of its direction.
public enum HTTPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The stream does not start like an HTTP/1.x request line (request role) or status line (response role).
    case notHTTP
    /// A later start line is not valid.
    case malformedStartLine
    /// A header or trailer line is not `name: value`.
    case malformedHeader
    /// The header block (or trailer block) exceeds `HTTPParserLimits.maximumHeaderBytes`.
    case headerTooLarge
    /// More than `HTTPParserLimits.maximumHeaderFields` header fields.
    case tooManyHeaders
    /// Content-Length is not a number or several differing values are given.
    case invalidContentLength
    /// A chunk-size line is invalid or too long, or chunk data is not followed by CRLF.
    case invalidChunk
    /// A request uses a transfer coding other than chunked last, so its length cannot be known.
    case unsupportedTransferEncoding
    /// `finish()` was called in the middle of a message.
    case truncated

    public var description: String {
        switch self {
        case .notHTTP: return "notHTTP"
        case .malformedStartLine: return "malformedStartLine"
        case .malformedHeader: return "malformedHeader"
        case .headerTooLarge: return "headerTooLarge"
        case .tooManyHeaders: return "tooManyHeaders"
        case .invalidContentLength: return "invalidContentLength"
        case .invalidChunk: return "invalidChunk"
        case .unsupportedTransferEncoding: return "unsupportedTransferEncoding"
        case .truncated: return "truncated"
        }
    }
}

/// Size caps of `HTTPStreamParser`. Memory per parser is bounded by roughly
/// `maximumHeaderBytes + maximumBodyBytes + maximumPendingMethods` small strings.
public struct HTTPParserLimits: Sendable, Hashable {
    /// Start line + header fields + blank line; also the cap for a trailer block. Default 16 KiB.
    public var maximumHeaderBytes: Int = 16 * 1024
    /// Header fields per message (and trailer fields). Default 256.
    public var maximumHeaderFields: Int = 256
    /// Body bytes kept per message; the rest is counted (`bodyByteCount`) and `bodyTruncated` is set.
    /// Default 1 MiB.
    public var maximumBodyBytes: Int = 1 << 20
    /// When set, a body is kept only if its first byte is one of these; any other body is counted
    /// (`bodyByteCount`) and not kept (`bodyDiscarded`). Default nil: every body is kept (up to `maximumBodyBytes`).
    public var keptBodyFirstBytes: [UInt8]?
    /// A chunk-size line including chunk extensions. Default 4 KiB.
    public var maximumChunkLineBytes: Int = 4 * 1024
    /// Empty lines (CR/LF bytes) tolerated before a start line. Default 64 bytes.
    public var maximumLeadingEmptyBytes: Int = 64
    /// Length of a request method. Default 32.
    public var maximumMethodLength: Int = 32
    /// Request methods remembered by a response parser (`expectResponse(toMethod:)`). Default 1024; further
    /// methods are dropped (their responses are then read as responses to GET).
    public var maximumPendingMethods: Int = 1024

    public init() {}

    public static let `default` = HTTPParserLimits()
}
