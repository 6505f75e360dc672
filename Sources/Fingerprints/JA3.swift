import TLSParsing

/// JA3 and JA3S as salesforce/ja3 defines them.
///
/// JA3 = `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats`: decimal values, list items
/// joined with `-`; the ClientHello legacy_version (771 for TLS 1.3); GREASE removed from ciphers, extensions and
/// groups; the MD5 of that string in lowercase hex. JA3S = `SSLVersion,Cipher,Extensions` of the ServerHello,
/// GREASE not removed.
public struct JA3: Sendable, Equatable {
    public var string: String
    public var hash: String

    public init(string: String) {
        self.string = string
        self.hash = Digest.md5Hex(string)
    }

    /// JA3 of a ClientHello; nil for the SSL 2.0 format (no reference computes one).
    public init?(clientHello h: ClientHello) {
        guard !h.isSSLv2Format else { return nil }
        let ciphers = decimalJoined(h.cipherSuiteList.filter { !isGREASE($0) })
        let extensions = decimalJoined(h.extensionTypes.filter { !isGREASE($0) })
        let groups = decimalJoined(h.supportedGroupList.filter { !isGREASE($0) })
        let formats = decimalJoined(Array(h.ecPointFormatBytes))
        self.init(string: "\(h.legacyVersion),\(ciphers),\(extensions),\(groups),\(formats)")
    }

    /// JA3S of a ServerHello (also of a HelloRetryRequest).
    public init(serverHello h: ServerHello) {
        let extensions = decimalJoined(h.extensionTypes)
        self.init(string: "\(h.legacyVersion),\(h.cipherSuite),\(extensions)")
    }
}
