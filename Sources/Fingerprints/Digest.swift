import CCrypto

/// MD5 and SHA-256 through the system's libcrypto (EVP one-shot digests).
public enum Digest {
    public static func md5Hex(_ text: String) -> String { hex(digest(text, EVP_md5()), count: 16) }

    /// The first `characters` lowercase hex digits of SHA-256(text) (JA4 truncates to 12).
    public static func sha256Hex(_ text: String, characters: Int = 64) -> String {
        String(hex(digest(text, EVP_sha256()), count: 32).prefix(characters))
    }

    public static func sha256(_ bytes: [UInt8]) -> [UInt8] { digestBytes(bytes, EVP_sha256(), 32) }

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
