/// OCSP over HTTP (RFC 6960 appendix A.1). This file does not depend on the HTTP parser: callers pass the
/// request target and bodies they got from it.
extension OCSPRequest {
    /// Maximum number of trailing path segments joined when looking for the base64 request (base64 may contain
    /// `/`, so one request can span several segments).
    public static let maximumGETPathSegments = 16

    /// Decodes an OCSP request sent with HTTP GET: `GET {url}/{url-encoding of base-64 encoding of the DER
    /// encoding of the OCSPRequest}`.
    ///
    /// `uri` is the request target (`/ocsp/MEkw...`) or an absolute URL. The query and fragment (from the first
    /// `?` or `#`) are dropped. The last path segment is tried first, then the last two joined with `/`, and so on
    /// (at most `maximumGETPathSegments`), because the base64 text may contain `/` that the client did not escape. Each
    /// candidate is percent-decoded (`%2B`, `%2F`, `%3D`, any `%XX`), then base64-decoded with the standard or
    /// URL-safe alphabet, padding optional (a `+` turned into a space by a form encoder is read as `+`), then
    /// parsed. Returns the first candidate that parses as an OCSPRequest, nil if none does.
    public static func fromGETPath(_ uri: String) -> OCSPRequest? {
        var uri = uri
        return uri.withUTF8 { fromGETPath(bytes: $0) }
    }

    /// `fromGETPath` on the target's UTF-8 bytes: every delimiter it looks for is ASCII, and every candidate is a
    /// contiguous run of the path (segments joined with `/` are the bytes between them), so nothing is copied but
    /// the decoded request.
    static func fromGETPath(bytes u: UnsafeBufferPointer<UInt8>) -> OCSPRequest? {
        let slash = UInt8(ascii: "/")
        var end = u.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? u.count
        var pathStart = 0
        // An absolute URL: `scheme://authority/path`, the scheme made of letters, `+`, `-` and `.`.
        if let colon = u[..<end].firstIndex(of: UInt8(ascii: ":")), colon + 3 <= end, u[colon + 1] == slash, u[colon + 2] == slash,
           u[..<colon].allSatisfy({ isSchemeByte($0) }) {
            guard let s = u[(colon + 3)..<end].firstIndex(of: slash) else { return nil }
            pathStart = s
        }
        // A trailing "/" leaves an empty last segment; skip it (and any before it).
        while end > pathStart, u[end - 1] == slash { end -= 1 }
        // Where each candidate starts: after the last "/", then after the one before, and so on (the path's first
        // segment starts at `pathStart`, and is empty when the path starts with "/").
        var tried = 0
        var cut = end
        while tried < maximumGETPathSegments {
            var start = cut
            while start > pathStart, u[start - 1] != slash { start -= 1 }
            tried += 1
            if let der = decodeGETComponent(u[start..<end]), let request = try? OCSPRequest(derEncoded: der[...]) {
                return request
            }
            guard start > pathStart else { break }
            cut = start - 1
        }
        return nil
    }

    /// A byte of a URL scheme as read here: an ASCII letter, `+`, `-`, `.`, or any byte of a non-ASCII character (a
    /// letter beyond ASCII).
    private static func isSchemeByte(_ c: UInt8) -> Bool {
        (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
            || c == UInt8(ascii: ".") || c >= 0x80
    }

    /// Percent-decodes then base64-decodes one GET path component. Nil when either step fails.
    public static func decodeGETComponent(_ component: String) -> [UInt8]? {
        var component = component
        return component.withUTF8 { decodeGETComponent($0[...]) }
    }

    static func decodeGETComponent(_ component: Slice<UnsafeBufferPointer<UInt8>>) -> [UInt8]? {
        guard let unescaped = percentDecode(component) else { return nil }
        return base64Decode(unescaped)
    }

    /// `%XX` decoding; nil on a malformed escape.
    static func percentDecode(_ u: Slice<UnsafeBufferPointer<UInt8>>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(u.count)
        var i = u.startIndex
        func hexValue(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x41...0x46: return c - 0x41 + 10
            case 0x61...0x66: return c - 0x61 + 10
            default: return nil
            }
        }
        while i < u.endIndex {
            if u[i] == UInt8(ascii: "%") {
                guard i + 2 < u.endIndex, let h = hexValue(u[i + 1]), let l = hexValue(u[i + 2]) else { return nil }
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(u[i])
                i += 1
            }
        }
        return out
    }

    /// Base64 with the standard (`+/`) or URL-safe (`-_`) alphabet, padding optional, spaces read as `+`,
    /// CR/LF ignored. Nil on any other character or an impossible length.
    static func base64Decode(_ text: [UInt8]) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.count)
        var padding = 0
        for c in text {
            let v: UInt8
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = c - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = c - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: " "): v = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): v = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            case UInt8(ascii: "\r"), UInt8(ascii: "\n"): continue
            default: return nil
            }
            guard padding == 0 else { return nil }  // data after padding
            values.append(v)
        }
        guard !values.isEmpty, values.count % 4 != 1, padding <= 2 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 3 / 4)
        var i = 0
        while i + 4 <= values.count {
            out.append(values[i] << 2 | values[i + 1] >> 4)
            out.append(values[i + 1] << 4 | values[i + 2] >> 2)
            out.append(values[i + 2] << 6 | values[i + 3])
            i += 4
        }
        let rest = values.count - i
        if rest >= 2 { out.append(values[i] << 2 | values[i + 1] >> 4) }
        if rest == 3 { out.append(values[i + 1] << 4 | values[i + 2] >> 2) }
        return out
    }
}
