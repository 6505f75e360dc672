import CCrypto

// QUIC Initial packet protection (RFC 9001 §5, RFC 9369 §3.3): HKDF-SHA256 key schedule,
// AES-128-ECB header protection and AES-128-GCM payload protection, all through OpenSSL 3 libcrypto.

/// Which side of a QUIC connection sent a packet.
public enum QUICDirection: String, Sendable, Hashable {
    case client
    case server
}

/// Version numbers this module knows by name.
public enum QUICVersionNumber {
    public static let v1: UInt32 = 0x0000_0001
    public static let v2: UInt32 = 0x6b33_43cf
    public static let versionNegotiation: UInt32 = 0

    /// IETF draft versions are 0xff0000NN.
    @inlinable public static func isDraft(_ version: UInt32) -> Bool { version & 0xffff_ff00 == 0xff00_0000 }

    /// Initial salt for a version whose Initial packets this module can decrypt, or nil.
    /// v1 (RFC 9001 §5.2), v2 (RFC 9369 §3.3.1), drafts 29–34 and drafts 23–28.
    static func initialSalt(for version: UInt32) -> [UInt8]? {
        switch version {
        case v1:
            return [0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a]
        case v2:
            return [0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9]
        case 0xff00_001d...0xff00_0022:
            return [0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99]
        case 0xff00_0017...0xff00_001c:
            return [0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02]
        default:
            return nil
        }
    }
}

/// AEAD key, IV and header-protection key for one direction of Initial packets.
public struct QUICPacketProtectionKeys: Sendable, Equatable {
    public var secret: [UInt8]
    public var key: [UInt8]
    public var iv: [UInt8]
    public var hp: [UInt8]
}

public enum QUICInitialKeySchedule {
    /// HMAC-SHA256 through EVP_MAC (EVP_Q_mac).
    static func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: 32)
        var outLen = 0
        let ok = key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                out.withUnsafeMutableBytes { o in
                    EVP_Q_mac(
                        nil, "HMAC", nil, "SHA256", nil,
                        k.baseAddress, k.count,
                        d.baseAddress?.assumingMemoryBound(to: UInt8.self), d.count,
                        o.baseAddress?.assumingMemoryBound(to: UInt8.self), 32, &outLen
                    ) != nil
                }
            }
        }
        return ok && outLen == 32 ? out : nil
    }

    /// HKDF-Extract(salt, ikm) (RFC 5869).
    public static func hkdfExtract(salt: [UInt8], ikm: [UInt8]) -> [UInt8]? {
        hmacSHA256(key: salt, data: ikm)
    }

    /// HKDF-Expand-Label(secret, label, "", length) (RFC 8446 §7.1), for length ≤ 32 (one HMAC block).
    public static func hkdfExpandLabel(secret: [UInt8], label: String, length: Int) -> [UInt8]? {
        guard length > 0, length <= 32 else { return nil }
        let fullLabel = Array("tls13 \(label)".utf8)
        var info: [UInt8] = [UInt8(length >> 8), UInt8(length & 0xff), UInt8(fullLabel.count)]
        info += fullLabel
        info.append(0)  // empty context
        info.append(1)  // HKDF-Expand counter T(1)
        guard let t1 = hmacSHA256(key: secret, data: info) else { return nil }
        return Array(t1.prefix(length))
    }

    /// initial_secret = HKDF-Extract(initial_salt, client's original DCID); nil for versions without a known salt.
    public static func initialSecret(version: UInt32, originalDCID: [UInt8]) -> [UInt8]? {
        guard let salt = QUICVersionNumber.initialSalt(for: version) else { return nil }
        return hkdfExtract(salt: salt, ikm: originalDCID)
    }

    /// Keys protecting Initial packets sent by `sender`, derived from the client's original DCID.
    public static func keys(version: UInt32, originalDCID: [UInt8], sender: QUICDirection) -> QUICPacketProtectionKeys? {
        guard let initial = initialSecret(version: version, originalDCID: originalDCID),
              let secret = hkdfExpandLabel(secret: initial, label: sender == .client ? "client in" : "server in", length: 32)
        else { return nil }
        let prefix = version == QUICVersionNumber.v2 ? "quicv2 " : "quic "
        guard let key = hkdfExpandLabel(secret: secret, label: prefix + "key", length: 16),
              let iv = hkdfExpandLabel(secret: secret, label: prefix + "iv", length: 12),
              let hp = hkdfExpandLabel(secret: secret, label: prefix + "hp", length: 16)
        else { return nil }
        return QUICPacketProtectionKeys(secret: secret, key: key, iv: iv, hp: hp)
    }
}

/// Cipher algorithms fetched once per process.
enum QUICCipherAlgorithms {
    nonisolated(unsafe) static let aes128ECB: OpaquePointer? = EVP_CIPHER_fetch(nil, "AES-128-ECB", nil)
    nonisolated(unsafe) static let aes128GCM: OpaquePointer? = EVP_CIPHER_fetch(nil, "AES-128-GCM", nil)
}

/// Ready-to-use OpenSSL contexts for one direction's Initial keys: the header-protection ECB context and the
/// AES-128-GCM context are keyed once, then reused for every packet.
final class QUICInitialCipher {
    let keys: QUICPacketProtectionKeys
    private let ecb: OpaquePointer
    private let gcm: OpaquePointer

    init?(keys: QUICPacketProtectionKeys) {
        guard keys.key.count == 16, keys.iv.count == 12, keys.hp.count == 16,
              let ecbCipher = QUICCipherAlgorithms.aes128ECB, let gcmCipher = QUICCipherAlgorithms.aes128GCM,
              let ecb = EVP_CIPHER_CTX_new()
        else { return nil }
        guard let gcm = EVP_CIPHER_CTX_new() else {
            EVP_CIPHER_CTX_free(ecb)
            return nil
        }
        self.keys = keys
        self.ecb = ecb
        self.gcm = gcm
        let ok1 = keys.hp.withUnsafeBufferPointer { EVP_EncryptInit_ex2(ecb, ecbCipher, $0.baseAddress, nil, nil) } == 1
        _ = EVP_CIPHER_CTX_set_padding(ecb, 0)
        let ok2 = keys.key.withUnsafeBufferPointer { EVP_DecryptInit_ex2(gcm, gcmCipher, $0.baseAddress, nil, nil) } == 1
        if !(ok1 && ok2) { return nil }  // deinit frees both contexts
    }

    convenience init?(version: UInt32, originalDCID: [UInt8], sender: QUICDirection) {
        guard let keys = QUICInitialKeySchedule.keys(version: version, originalDCID: originalDCID, sender: sender) else { return nil }
        self.init(keys: keys)
    }

    deinit {
        EVP_CIPHER_CTX_free(ecb)
        EVP_CIPHER_CTX_free(gcm)
    }

    /// AES-ECB(hp, sample) → 16 mask bytes written to `mask`.
    func headerMask(sample: UnsafeRawPointer, mask: UnsafeMutablePointer<UInt8>) -> Bool {
        var outLen: Int32 = 0
        return EVP_EncryptUpdate(ecb, mask, &outLen, sample.assumingMemoryBound(to: UInt8.self), 16) == 1 && outLen == 16
    }

    /// AES-128-GCM open: nonce = iv XOR packet number; `aad` = unprotected header; writes `ciphertext.count` bytes.
    func open(
        packetNumber: UInt64, aad: UnsafeRawBufferPointer, ciphertext: UnsafeRawBufferPointer,
        tag: UnsafeRawPointer, output: UnsafeMutableRawPointer
    ) -> Bool {
        var nonce: (UInt64, UInt32) = (0, 0)  // 12 bytes of stack storage
        return withUnsafeMutableBytes(of: &nonce) { n -> Bool in
            for i in 0..<12 { n[i] = keys.iv[i] }
            for i in 0..<8 { n[11 - i] ^= UInt8(truncatingIfNeeded: packetNumber >> (8 * UInt64(i))) }
            let np = n.baseAddress!.assumingMemoryBound(to: UInt8.self)
            guard EVP_DecryptInit_ex2(gcm, nil, nil, np, nil) == 1 else { return false }
            var outLen: Int32 = 0
            if aad.count > 0 {
                guard EVP_DecryptUpdate(gcm, nil, &outLen, aad.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(aad.count)) == 1
                else { return false }
            }
            let out = output.assumingMemoryBound(to: UInt8.self)
            if ciphertext.count > 0 {
                guard EVP_DecryptUpdate(
                    gcm, out, &outLen, ciphertext.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(ciphertext.count)
                ) == 1 else { return false }
            }
            guard EVP_CIPHER_CTX_ctrl(gcm, 0x11 /* EVP_CTRL_AEAD_SET_TAG */, 16, UnsafeMutableRawPointer(mutating: tag)) == 1
            else { return false }
            var finalLen: Int32 = 0
            return EVP_DecryptFinal_ex(gcm, out.advanced(by: ciphertext.count), &finalLen) == 1
        }
    }
}

/// Builds protected Initial packets (RFC 9001 §5.3–5.4 in the sending direction). Used to construct test traffic;
/// the decoder itself never encrypts.
enum QUICInitialPacketBuilder {
    static func varint(_ v: UInt64) -> [UInt8] {
        switch v {
        case ..<0x40: return [UInt8(v)]
        case ..<0x4000: return [UInt8(0x40 | (v >> 8)), UInt8(v & 0xff)]
        case ..<0x4000_0000: return [UInt8(0x80 | (v >> 24)), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
        default: return (0..<8).map { i in UInt8(truncatingIfNeeded: (v >> (8 * UInt64(7 - i))) | (i == 0 ? 0xc0 : 0)) }
        }
    }

    /// A protected Initial: `payload` (frames) is padded with PADDING to at least `minimumPayload` bytes.
    static func initial(
        version: UInt32, keys: QUICPacketProtectionKeys, dcid: [UInt8], scid: [UInt8], token: [UInt8] = [],
        packetNumber: UInt64, packetNumberLength: Int = 4, payload: [UInt8], minimumPayload: Int = 0
    ) -> [UInt8]? {
        var plain = payload
        if plain.count < minimumPayload { plain += [UInt8](repeating: 0, count: minimumPayload - plain.count) }
        let typeBits: UInt8 = version == QUICVersionNumber.v2 ? 0b01 : 0b00
        var header: [UInt8] = [0xc0 | typeBits << 4 | UInt8(packetNumberLength - 1)]
        header += [UInt8(version >> 24), UInt8((version >> 16) & 0xff), UInt8((version >> 8) & 0xff), UInt8(version & 0xff)]
        header += [UInt8(dcid.count)] + dcid + [UInt8(scid.count)] + scid
        header += varint(UInt64(token.count)) + token
        let length = packetNumberLength + plain.count + 16
        header += [UInt8(0x40 | (length >> 8)), UInt8(length & 0xff)]
        let pnOffset = header.count
        for i in (0..<packetNumberLength).reversed() { header.append(UInt8(truncatingIfNeeded: packetNumber >> (8 * UInt64(i)))) }
        guard let sealed = seal(keys: keys, packetNumber: packetNumber, aad: header, plaintext: plain),
              let mask = ecb(keys.hp, Array(sealed[(4 - packetNumberLength)..<(4 - packetNumberLength + 16)]))
        else { return nil }
        var packet = header + sealed
        packet[0] ^= mask[0] & 0x0f
        for i in 0..<packetNumberLength { packet[pnOffset + i] ^= mask[1 + i] }
        return packet
    }

    static func ecb(_ key: [UInt8], _ block: [UInt8]) -> [UInt8]? {
        guard let ctx = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: 32)
        var n: Int32 = 0
        guard EVP_EncryptInit_ex2(ctx, QUICCipherAlgorithms.aes128ECB, key, nil, nil) == 1,
              EVP_CIPHER_CTX_set_padding(ctx, 0) == 1,
              EVP_EncryptUpdate(ctx, &out, &n, block, Int32(block.count)) == 1
        else { return nil }
        return Array(out.prefix(16))
    }

    static func seal(keys: QUICPacketProtectionKeys, packetNumber: UInt64, aad: [UInt8], plaintext: [UInt8]) -> [UInt8]? {
        guard let ctx = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var nonce = keys.iv
        for i in 0..<8 { nonce[11 - i] ^= UInt8(truncatingIfNeeded: packetNumber >> (8 * UInt64(i))) }
        var out = [UInt8](repeating: 0, count: plaintext.count + 16)
        var n: Int32 = 0
        guard EVP_EncryptInit_ex2(ctx, QUICCipherAlgorithms.aes128GCM, keys.key, nonce, nil) == 1,
              EVP_EncryptUpdate(ctx, nil, &n, aad, Int32(aad.count)) == 1
        else { return nil }
        if !plaintext.isEmpty {
            guard EVP_EncryptUpdate(ctx, &out, &n, plaintext, Int32(plaintext.count)) == 1 else { return nil }
        }
        var fin: Int32 = 0
        var tag = [UInt8](repeating: 0, count: 16)
        guard EVP_EncryptFinal_ex(ctx, &out[plaintext.count], &fin) == 1,
              EVP_CIPHER_CTX_ctrl(ctx, 0x10 /* EVP_CTRL_AEAD_GET_TAG */, 16, &tag) == 1
        else { return nil }
        return Array(out.prefix(plaintext.count)) + tag
    }
}
