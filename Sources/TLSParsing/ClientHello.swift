/// A ClientHello (RFC 8446 §4.1.2; RFC 5246 §7.4.1.2; DTLS adds a cookie, RFC 6347 §4.2.1):
///
/// ```
/// struct {
///     ProtocolVersion legacy_version = 0x0303;    /* TLS v1.2 */
///     Random random;
///     opaque legacy_session_id<0..32>;
///     opaque cookie<0..2^8-1>;                    /* DTLS only */
///     CipherSuite cipher_suites<2..2^16-2>;
///     opaque legacy_compression_methods<1..2^8-1>;
///     Extension extensions<8..2^16-1>;            /* may be absent before TLS 1.3 */
/// } ClientHello;
/// ```
///
/// Also the SSL 2.0-compatible form (draft-hickman-netscape-ssl-00, RFC 6101 appendix E.2), marked with
/// `isSSLv2Format`: its 3-byte CIPHER-SPECs are kept in `sslv2CipherSpecs` and, like the reference tools,
/// not counted as TLS cipher suites.
public struct ClientHello: Sendable, Equatable {
    public var legacyVersion: UInt16
    public var random: [UInt8]
    public var sessionIDLength: Int
    /// DTLS cookie length (nil for TLS).
    public var cookieLength: Int?
    public var cipherSuites: [UInt16]
    public var compressionMethods: [UInt8]
    /// False when the hello ends after the compression methods (no extensions block at all).
    public var extensionsPresent: Bool
    /// Extensions in wire order, GREASE kept.
    public var extensions: [TLSExtension]
    public var isSSLv2Format: Bool
    public var sslv2CipherSpecs: [UInt32]

    // MARK: Parsing

    /// Parses a ClientHello handshake body (the bytes after the 4-byte handshake header).
    public init(body: [UInt8], isDTLS: Bool = false) throws(TLSParseError) {
        var result: Result<ClientHello, TLSParseError> = .failure(.truncated("client_hello"))
        body.withUnsafeBytes { raw in
            result = Result { () throws(TLSParseError) -> ClientHello in try ClientHello.parse(raw, isDTLS: isDTLS) }
        }
        self = try result.get()
    }

    init(legacyVersion: UInt16, random: [UInt8], sessionIDLength: Int, cookieLength: Int?, cipherSuites: [UInt16],
         compressionMethods: [UInt8], extensionsPresent: Bool, extensions: [TLSExtension], isSSLv2Format: Bool,
         sslv2CipherSpecs: [UInt32]) {
        self.legacyVersion = legacyVersion
        self.random = random
        self.sessionIDLength = sessionIDLength
        self.cookieLength = cookieLength
        self.cipherSuites = cipherSuites
        self.compressionMethods = compressionMethods
        self.extensionsPresent = extensionsPresent
        self.extensions = extensions
        self.isSSLv2Format = isSSLv2Format
        self.sslv2CipherSpecs = sslv2CipherSpecs
    }

    static func parse(_ raw: UnsafeRawBufferPointer, isDTLS: Bool) throws(TLSParseError) -> ClientHello {
        var c = ByteCursorLite(raw)
        guard let version = c.u16(), let random = c.bytes(32) else { throw .truncated("client_hello") }
        guard let sidLen = c.u8(), c.skip(Int(sidLen)) else { throw .invalidLength("session_id") }
        var cookieLength: Int?
        if isDTLS {
            guard let cl = c.u8(), c.skip(Int(cl)) else { throw .invalidLength("cookie") }
            cookieLength = Int(cl)
        }
        guard let csLen = c.u16(), Int(csLen) <= c.remaining, csLen % 2 == 0 else { throw .invalidLength("cipher_suites") }
        var ciphers: [UInt16] = []
        ciphers.reserveCapacity(Int(csLen) / 2)
        for _ in 0..<(Int(csLen) / 2) { ciphers.append(c.u16()!) }  // length checked above
        guard let cmLen = c.u8(), let compression = c.bytes(Int(cmLen)) else { throw .invalidLength("compression_methods") }
        let (present, extensions) = try c.extensionBlock()
        return ClientHello(legacyVersion: version, random: random, sessionIDLength: Int(sidLen), cookieLength: cookieLength,
                           cipherSuites: ciphers, compressionMethods: compression, extensionsPresent: present,
                           extensions: extensions, isSSLv2Format: false, sslv2CipherSpecs: [])
    }

    /// Parses an SSL 2.0-format CLIENT-HELLO message body (after the 2- or 3-byte record header):
    /// `msg_type(1)=1 version(2) cipher_spec_length(2) session_id_length(2) challenge_length(2)
    /// cipher_specs session_id challenge`.
    public static func parseSSLv2(message: [UInt8]) throws(TLSParseError) -> ClientHello {
        var out: Result<ClientHello, TLSParseError> = .failure(.truncated("sslv2_client_hello"))
        message.withUnsafeBytes { raw in
            out = Result { () throws(TLSParseError) -> ClientHello in
                var c = ByteCursorLite(raw)
                guard c.u8() == 1, let version = c.u16(), let csLen = c.u16(), let sidLen = c.u16(),
                      let chLen = c.u16() else { throw .truncated("sslv2_client_hello") }
                guard csLen % 3 == 0, Int(csLen) + Int(sidLen) + Int(chLen) <= c.remaining else {
                    throw .invalidLength("sslv2_client_hello")
                }
                var specs: [UInt32] = []
                for _ in 0..<(Int(csLen) / 3) {
                    let b = c.bytes(3)!  // length checked above
                    specs.append(UInt32(b[0]) << 16 | UInt32(b[1]) << 8 | UInt32(b[2]))
                }
                _ = c.skip(Int(sidLen))
                let challenge = c.bytes(Int(chLen)) ?? []
                return ClientHello(legacyVersion: version, random: challenge, sessionIDLength: Int(sidLen), cookieLength: nil,
                                   cipherSuites: [], compressionMethods: [], extensionsPresent: false, extensions: [],
                                   isSSLv2Format: true, sslv2CipherSpecs: specs)
            }
        }
        return try out.get()
    }

    // MARK: Typed accessors

    public var extensionTypes: [UInt16] { extensions.map(\.type) }

    public func firstExtension(_ type: UInt16) -> TLSExtension? { extensions.first { $0.type == type } }

    public func has(_ type: UInt16) -> Bool { extensions.contains { $0.type == type } }

    /// The first host_name of server_name (RFC 6066 §3), as sent (bytes taken as UTF-8, invalid bytes replaced).
    public var serverName: String? {
        guard let ext = firstExtension(ExtensionType.serverName) else { return nil }
        return ext.data.withCursor { c -> String? in
            guard let listLen = c.u16(), Int(listLen) <= c.remaining else { return nil }
            let end = c.o + Int(listLen)
            while c.o + 3 <= end {
                guard let type = c.u8(), let len = c.u16(), let name = c.bytes(Int(len)) else { return nil }
                if type == 0 { return String(decoding: name, as: UTF8.self) }
            }
            return nil
        }
    }

    /// ALPN protocol names in order (RFC 7301 §3.1), as raw bytes.
    public var alpnProtocols: [[UInt8]] {
        guard let ext = firstExtension(ExtensionType.applicationLayerProtocolNegotiation) else { return [] }
        return ext.data.withCursor { c in
            guard let listLen = c.u16(), Int(listLen) <= c.remaining else { return [] }
            var out: [[UInt8]] = []
            let end = c.o + Int(listLen)
            while c.o < end {
                guard let len = c.u8(), c.o + Int(len) <= end, let name = c.bytes(Int(len)) else { break }
                out.append(name)
            }
            return out
        }
    }

    /// supported_groups (RFC 8446 §4.2.7), wire order.
    public var supportedGroups: [UInt16] { list16(ExtensionType.supportedGroups) }

    /// signature_algorithms (RFC 8446 §4.2.3), wire order. Only extension 13, never signature_algorithms_cert.
    public var signatureAlgorithms: [UInt16] { list16(ExtensionType.signatureAlgorithms) }

    /// ec_point_formats (RFC 8422 §5.1.2).
    public var ecPointFormats: [UInt8] {
        guard let ext = firstExtension(ExtensionType.ecPointFormats) else { return [] }
        return ext.data.withCursor { c in
            guard let len = c.u8(), let v = c.bytes(Int(len)) else { return [] }
            return v
        }
    }

    /// supported_versions of a ClientHello (RFC 8446 §4.2.1): `ProtocolVersion versions<2..254>`.
    public var supportedVersions: [UInt16] {
        guard let ext = firstExtension(ExtensionType.supportedVersions) else { return [] }
        return ext.data.withCursor { c in
            guard let len = c.u8(), Int(len) <= c.remaining else { return [] }
            var out: [UInt16] = []
            for _ in 0..<(Int(len) / 2) { if let v = c.u16() { out.append(v) } }
            return out
        }
    }

    /// Groups of the key_share entries (RFC 8446 §4.2.8 `KeyShareClientHello`).
    public var keyShareGroups: [UInt16] {
        guard let ext = firstExtension(ExtensionType.keyShare) else { return [] }
        return ext.data.withCursor { c in
            guard let len = c.u16(), Int(len) <= c.remaining else { return [] }
            let end = c.o + Int(len)
            var out: [UInt16] = []
            while c.o + 4 <= end {
                guard let group = c.u16(), let klen = c.u16(), c.skip(Int(klen)) else { break }
                out.append(group)
            }
            return out
        }
    }

    /// The status_request extension (RFC 6066 §8), with its index in the extension list as sent.
    public var statusRequest: StatusRequest? {
        guard let index = extensions.firstIndex(where: { $0.type == ExtensionType.statusRequest }) else { return nil }
        return extensions[index].data.withCursor { c in
            var sr = StatusRequest(statusType: nil, responderIDCount: 0, requestExtensionsLength: 0, index: index)
            guard let type = c.u8() else { return sr }
            sr.statusType = type
            if type == 1, let listLen = c.u16(), Int(listLen) <= c.remaining {
                let end = c.o + Int(listLen)
                while c.o + 2 <= end {
                    guard let l = c.u16(), c.skip(Int(l)) else { break }
                    sr.responderIDCount += 1
                }
                c.o = end
                if let extLen = c.u16() { sr.requestExtensionsLength = Int(extLen) }
            }
            return sr
        }
    }

    public var offersStatusRequestV2: Bool { has(ExtensionType.statusRequestV2) }
    public var offersSignedCertificateTimestamp: Bool { has(ExtensionType.signedCertificateTimestamp) }
    public var hasEncryptedClientHello: Bool { has(ExtensionType.encryptedClientHello) }
    public var hasQUICTransportParameters: Bool {
        has(ExtensionType.quicTransportParameters) || has(ExtensionType.quicTransportParametersDraft)
    }

    /// The version the client offers at most: the highest non-GREASE supported_versions value, else legacy_version.
    public var highestOfferedVersion: UInt16 {
        var best: UInt16?
        for v in supportedVersions where !isGREASE(v) {
            if best == nil || isLaterVersion(v, than: best!) { best = v }
        }
        return best ?? legacyVersion
    }

    private func list16(_ type: UInt16) -> [UInt16] {
        guard let ext = firstExtension(type) else { return [] }
        return ext.data.withCursor { $0.u16List16() ?? [] }
    }
}
