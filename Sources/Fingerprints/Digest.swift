import CCrypto

/// MD5 and SHA-256 through the system's libcrypto (EVP one-shot digests).
public enum Digest {
    /// The algorithms fetched once: a legacy `EVP_md5()`/`EVP_sha256()` handle makes OpenSSL 3 fetch the
    /// implementation again on every digest. Falls back to the legacy handle when the fetch fails.
    nonisolated(unsafe) private static let md5Algorithm: OpaquePointer? = EVP_MD_fetch(nil, "MD5", nil) ?? EVP_md5()
    nonisolated(unsafe) private static let sha256Algorithm: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil) ?? EVP_sha256()

    public static func md5Hex(_ text: String) -> String { hex(digest(text, md5Algorithm), count: 16) }

    /// The first `characters` lowercase hex digits of SHA-256(text) (JA4 truncates to 12).
    public static func sha256Hex(_ text: String, characters: Int = 64) -> String {
        let hexDigits = hex(digest(text, sha256Algorithm), count: min(32, (characters + 1) / 2))
        return characters % 2 == 0 ? hexDigits : String(hexDigits.prefix(characters))
    }

    public static func sha256(_ bytes: [UInt8]) -> [UInt8] { digestBytes(bytes, sha256Algorithm, 32) }

    /// SHA-256 of a large buffer (a mapped capture file), lowercase hex, in 1 MiB steps.
    public static func sha256Hex(of buffer: UnsafeRawBufferPointer) -> String {
        guard let ctx = EVP_MD_CTX_new() else { return "" }
        defer { EVP_MD_CTX_free(ctx) }
        EVP_DigestInit_ex(ctx, EVP_sha256(), nil)
        var o = 0
        while o < buffer.count {
            let n = min(1 << 20, buffer.count - o)
            EVP_DigestUpdate(ctx, buffer.baseAddress! + o, n)
            o += n
        }
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        EVP_DigestFinal_ex(ctx, &out, &len)
        return hex(out)
    }
    public static func sha1(_ bytes: [UInt8]) -> [UInt8] { digestBytes(bytes, EVP_sha1(), 20) }

    private static func digest(_ text: String, _ md: OpaquePointer?) -> [UInt8] {
        var s = text
        return s.withUTF8 { digestBytes(Array($0), md, 64) }
    }

    private static func digestBytes(_ bytes: [UInt8], _ md: OpaquePointer?, _ size: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        var len: UInt32 = 0
        let ok = bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { o in
                EVP_Digest(raw.baseAddress, raw.count, o.baseAddress, &len, md, nil)
            }
        }
        precondition(ok == 1, "libcrypto digest failed")  // not input-dependent: only a broken libcrypto fails here
        return Array(out.prefix(Int(len)))
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func hex(_ bytes: [UInt8], count: Int? = nil) -> String {
        let n = min(count ?? bytes.count, bytes.count)
        var chars = [UInt8]()
        chars.reserveCapacity(n * 2)
        for b in bytes.prefix(n) {
            chars.append(hexDigits[Int(b >> 4)])
            chars.append(hexDigits[Int(b & 0x0f)])
        }
        return String(decoding: chars, as: UTF8.self)
    }
}

/// Four lowercase hex digits, zero-padded (JA4 list items).
@inlinable
func hex4(_ v: UInt16) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 4 - s.count) + s
}

/// `values` as four-digit lowercase hex, joined by commas: the same as `values.map(hex4).joined(separator: ",")`,
/// written straight into the string's storage.
func hex4Joined(_ values: [UInt16]) -> String {
    guard !values.isEmpty else { return "" }
    @inline(__always) func digit(_ n: UInt16) -> UInt8 { n < 10 ? 0x30 + UInt8(n) : 0x57 + UInt8(n) }
    return String(unsafeUninitializedCapacity: values.count * 5 - 1) { buf in
        var o = 0
        for v in values {
            if o > 0 { buf[o] = 0x2c; o += 1 }
            buf[o] = digit(v >> 12)
            buf[o + 1] = digit((v >> 8) & 0xf)
            buf[o + 2] = digit((v >> 4) & 0xf)
            buf[o + 3] = digit(v & 0xf)
            o += 4
        }
        return o
    }
}

/// `values` in decimal joined by `separator`: the same as `values.map(String.init).joined(separator: "-")`.
func decimalJoined<T: FixedWidthInteger & UnsignedInteger>(_ values: [T], separator: UInt8 = 0x2d) -> String {
    guard !values.isEmpty else { return "" }
    // At most 20 digits per value, plus a separator.
    return String(unsafeUninitializedCapacity: values.count * 21) { buf in
        var o = 0
        for (i, value) in values.enumerated() {
            if i > 0 { buf[o] = separator; o += 1 }
            var v = UInt64(value)
            var n = 1
            var t = v
            while t >= 10 { t /= 10; n += 1 }
            var p = o + n - 1
            repeat {
                buf[p] = 0x30 + UInt8(v % 10)
                v /= 10
                p -= 1
            } while v > 0
            o += n
        }
        return o
    }
}
