import TLSParsing

/// JA4 (TLS client fingerprint) as FoxIO's `technical_details/JA4.md` defines it, with its raw and
/// original-order variants. Every rule, and where the reference programs differ, is in docs/fingerprints.md.
///
/// `JA4 = a_b_c`: `a` = protocol (`t` TCP, `q` QUIC, `d` DTLS), version code, `d`/`i` (SNI present or not),
/// cipher count and extension count (two digits each, GREASE excluded, at most 99), the first and last character
/// of the first ALPN value; `b` = SHA-256 (first 12 hex) of the sorted cipher list; `c` = SHA-256 of the sorted
/// extension list without SNI and ALPN, then `_` and the signature algorithms in wire order.
public struct JA4: Sendable, Equatable {
    public enum Transport: String, Sendable { case tcp = "t", quic = "q", dtls = "d" }

    /// Hashed, sorted (`ja4`), raw sorted (`ja4_r`), hashed original order (`ja4_o`), raw original order (`ja4_ro`).
    public var ja4: String
    public var ja4_r: String
    public var ja4_o: String
    public var ja4_ro: String
    /// The `a` part, also the TLS version code at characters 1–2.
    public var prefix: String

    static let emptyHash = "000000000000"

    public init(clientHello h: ClientHello, transport: Transport) {
        let ciphers = h.cipherSuiteList.filter { !isGREASE($0) }
        let extensions = h.extensionTypes.filter { !isGREASE($0) }
        let sigalgs = h.signatureAlgorithmList.filter { !isGREASE($0) }
        let version = ja4VersionCode(h.highestOfferedVersion)
        let sni = h.has(ExtensionType.serverName) ? "d" : "i"
        let a = transport.rawValue + version + sni + JA4.twoDigits(ciphers.count) + JA4.twoDigits(extensions.count)
            + JA4.alpnCode(h.alpnProtocolNames.first { _ in true })
        prefix = a

        let cipherSorted = hex4Joined(ciphers.sorted())
        let cipherOriginal = hex4Joined(ciphers)
        let extensionsForHash = extensions.filter { $0 != ExtensionType.serverName && $0 != ExtensionType.applicationLayerProtocolNegotiation }
        let extSorted = hex4Joined(extensionsForHash.sorted())
        let extOriginal = hex4Joined(extensions)
        let sig = hex4Joined(sigalgs)
        let sigSuffix = sigalgs.isEmpty ? "" : "_" + sig

        let cRaw = extSorted + sigSuffix
        let coRaw = extOriginal + sigSuffix
        let bHash = ciphers.isEmpty ? JA4.emptyHash : Digest.sha256Hex(cipherSorted, characters: 12)
        let boHash = ciphers.isEmpty ? JA4.emptyHash : Digest.sha256Hex(cipherOriginal, characters: 12)
        // An empty sorted extension list gives zeros for c, in both the sorted and the original-order variant.
        let noExtensions = extensionsForHash.isEmpty
        let cHash = noExtensions ? JA4.emptyHash : Digest.sha256Hex(cRaw, characters: 12)
        let coHash = noExtensions ? JA4.emptyHash : Digest.sha256Hex(coRaw, characters: 12)

        ja4 = "\(a)_\(bHash)_\(cHash)"
        ja4_r = "\(a)_\(cipherSorted)_\(cRaw)"
        ja4_o = "\(a)_\(boHash)_\(coHash)"
        ja4_ro = "\(a)_\(cipherOriginal)_\(coRaw)"
    }

    static func twoDigits(_ n: Int) -> String {
        let v = min(n, 99)
        return v < 10 ? "0\(v)" : "\(v)"
    }

    /// First and last character of the first ALPN value; `00` when absent or empty; a one-character value is
    /// used twice; if the first or last byte is not an ASCII letter or digit, the first and last hex digit of the
    /// value's hex form instead.
    static func alpnCode(_ value: ArraySlice<UInt8>?) -> String {
        guard let value, let first = value.first, let last = value.last else { return "00" }
        func alnum(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) }
        if alnum(first) && alnum(last) {
            return String(UnicodeScalar(first)) + String(UnicodeScalar(last))
        }
        let hex = Digest.hex(Array(value))
        return String(hex.first!) + String(hex.last!)  // value is non-empty, so hex has at least two digits
    }
}
