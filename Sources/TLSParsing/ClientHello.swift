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
    /// The bytes the hello was parsed from (the handshake body, or the SSL 2.0 message), shared with the caller:
    /// the random, the lists and every extension's data are read from them in place, not copied.
    @usableFromInline private(set) var storage: [UInt8]
    public var legacyVersion: UInt16
    @usableFromInline private(set) var randomRange: Range<Int>
    public var sessionIDLength: Int
    /// DTLS cookie length (nil for TLS).
    public var cookieLength: Int?
    /// Where `cipher_suites` lies in `storage` (an even number of bytes).
    @usableFromInline private(set) var cipherSuiteRange: Range<Int>
    @usableFromInline private(set) var compressionRange: Range<Int>
    /// False when the hello ends after the compression methods (no extensions block at all).
    public var extensionsPresent: Bool
    /// Extensions in wire order, GREASE kept: their types and where their data lies in `storage`.
    @usableFromInline private(set) var extensionSpans: [TLSExtensionSpan]
    public var isSSLv2Format: Bool
    public var sslv2CipherSpecs: [UInt32]

    /// Extensions in wire order, GREASE kept; each one's `data` is a slice of the hello's bytes. Made from
    /// `extensionSpans` on each read (the analysis reads the spans, `withExtensions`); a list set here has its
    /// data appended to the hello's bytes.
    public var extensions: [TLSExtension] {
        get { extensionSpans.map { TLSExtension(type: $0.type, data: storage[$0.range]) } }
        set {
            var spans: [TLSExtensionSpan] = []
            spans.reserveCapacity(newValue.count)
            for e in newValue { spans.append(TLSExtensionSpan(type: e.type, range: appendToStorage(Array(e.data)))) }
            extensionSpans = spans
        }
    }

    /// The number of extensions.
    public var extensionCount: Int { extensionSpans.count }

    /// Calls `body` with the extensions' spans in wire order and the hello's bytes they point into.
    @inlinable
    public func withExtensions<R>(_ body: (UnsafeBufferPointer<TLSExtensionSpan>, UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try extensionSpans.withUnsafeBufferPointer { spans in try storage.withUnsafeBufferPointer { try body(spans, $0) } }
    }

    /// The 32-byte random (the challenge of an SSL 2.0-format hello).
    public var random: [UInt8] {
        get { Array(storage[randomRange]) }
        set { randomRange = appendToStorage(newValue) }
    }
    /// cipher_suites in wire order, GREASE kept (empty for the SSL 2.0 format).
    public var cipherSuites: [UInt16] {
        get { Array(cipherSuiteList) }
        set { cipherSuiteRange = appendToStorage(newValue.flatMap { [UInt8(truncatingIfNeeded: $0 >> 8), UInt8(truncatingIfNeeded: $0)] }) }
    }
    /// cipher_suites read in place.
    @inlinable public var cipherSuiteList: TLSUInt16List { TLSUInt16List(storage[cipherSuiteRange]) }
    public var compressionMethods: [UInt8] {
        get { Array(storage[compressionRange]) }
        set { compressionRange = appendToStorage(newValue) }
    }

    /// A field set after parsing gets new bytes at the end of the storage; the other fields' ranges, and the
    /// extensions (whose slices keep the bytes they were made from), stay as they are.
    private mutating func appendToStorage(_ bytes: [UInt8]) -> Range<Int> {
        let start = storage.count
        storage.append(contentsOf: bytes)
        return start..<storage.count
    }

    /// Two hellos are equal when every field they were parsed into is, whatever bytes they were read from.
    public static func == (a: ClientHello, b: ClientHello) -> Bool {
        a.legacyVersion == b.legacyVersion && a.storage[a.randomRange] == b.storage[b.randomRange]
            && a.sessionIDLength == b.sessionIDLength && a.cookieLength == b.cookieLength
            && a.storage[a.cipherSuiteRange] == b.storage[b.cipherSuiteRange]
            && a.storage[a.compressionRange] == b.storage[b.compressionRange]
            && a.extensionsPresent == b.extensionsPresent && a.extensionSpans.count == b.extensionSpans.count
            && zip(a.extensionSpans, b.extensionSpans).allSatisfy { $0.type == $1.type && a.storage[$0.range] == b.storage[$1.range] }
            && a.isSSLv2Format == b.isSSLv2Format && a.sslv2CipherSpecs == b.sslv2CipherSpecs
    }

    // MARK: Parsing

    /// Parses a ClientHello handshake body (the bytes after the 4-byte handshake header). The hello keeps `body`
    /// (an array shares its storage) and reads its fields from it.
    public init(body: [UInt8], isDTLS: Bool = false) throws(TLSParseError) {
        var result: Result<ClientHello, TLSParseError> = .failure(.truncated("client_hello"))
        body.withUnsafeBytes { raw in
            result = Result { () throws(TLSParseError) -> ClientHello in try ClientHello.parse(raw, storage: body, isDTLS: isDTLS) }
        }
        self = try result.get()
    }

    init(storage: [UInt8], legacyVersion: UInt16, randomRange: Range<Int>, sessionIDLength: Int, cookieLength: Int?,
         cipherSuiteRange: Range<Int>, compressionRange: Range<Int>, extensionsPresent: Bool, extensionSpans: [TLSExtensionSpan],
         isSSLv2Format: Bool, sslv2CipherSpecs: [UInt32]) {
        self.storage = storage
        self.legacyVersion = legacyVersion
        self.randomRange = randomRange
        self.sessionIDLength = sessionIDLength
        self.cookieLength = cookieLength
        self.cipherSuiteRange = cipherSuiteRange
        self.compressionRange = compressionRange
        self.extensionsPresent = extensionsPresent
        self.extensionSpans = extensionSpans
        self.isSSLv2Format = isSSLv2Format
        self.sslv2CipherSpecs = sslv2CipherSpecs
    }

    /// `raw` is `storage`'s bytes: offsets into one are offsets into the other.
    static func parse(_ raw: UnsafeRawBufferPointer, storage: [UInt8], isDTLS: Bool) throws(TLSParseError) -> ClientHello {
        var c = ByteCursorLite(raw)
        guard let version = c.u16(), c.skip(32) else { throw .truncated("client_hello") }
        let randomRange = 2..<34
        guard let sidLen = c.u8(), c.skip(Int(sidLen)) else { throw .invalidLength("session_id") }
        var cookieLength: Int?
        if isDTLS {
            guard let cl = c.u8(), c.skip(Int(cl)) else { throw .invalidLength("cookie") }
            cookieLength = Int(cl)
        }
        guard let csLen = c.u16(), Int(csLen) <= c.remaining, csLen % 2 == 0 else { throw .invalidLength("cipher_suites") }
        let cipherSuiteRange = c.o..<(c.o + Int(csLen))
        _ = c.skip(Int(csLen))  // length checked above
        guard let cmLen = c.u8(), c.skip(Int(cmLen)) else { throw .invalidLength("compression_methods") }
        let compressionRange = (c.o - Int(cmLen))..<c.o
        precondition(storage.count == raw.count, "client hello: bytes and storage differ")
        let (present, spans) = try c.extensionSpans()
        return ClientHello(storage: storage, legacyVersion: version, randomRange: randomRange, sessionIDLength: Int(sidLen),
                           cookieLength: cookieLength, cipherSuiteRange: cipherSuiteRange, compressionRange: compressionRange,
                           extensionsPresent: present, extensionSpans: spans, isSSLv2Format: false, sslv2CipherSpecs: [])
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
                let challenge = c.o..<(c.o + Int(chLen))  // length checked above
                return ClientHello(storage: message, legacyVersion: version, randomRange: challenge, sessionIDLength: Int(sidLen),
                                   cookieLength: nil, cipherSuiteRange: 0..<0, compressionRange: 0..<0, extensionsPresent: false,
                                   extensionSpans: [], isSSLv2Format: true, sslv2CipherSpecs: specs)
            }
        }
        return try out.get()
    }

    // MARK: Typed accessors

    public var extensionTypes: [UInt16] { extensionSpans.map(\.type) }

    public func firstExtension(_ type: UInt16) -> TLSExtension? {
        guard let d = firstExtensionData(type) else { return nil }
        return TLSExtension(type: type, data: d)
    }

    /// The data of the first extension of `type`, a slice of the hello's bytes.
    @inlinable
    public func firstExtensionData(_ type: UInt16) -> ArraySlice<UInt8>? {
        for s in extensionSpans where s.type == type { return storage[s.range] }
        return nil
    }

    public func has(_ type: UInt16) -> Bool { extensionSpans.contains { $0.type == type } }

    /// The first host_name of server_name (RFC 6066 §3), as sent (bytes taken as UTF-8, invalid bytes replaced).
    public var serverName: String? {
        guard let data = firstExtensionData(ExtensionType.serverName) else { return nil }
        return data.withCursor { c -> String? in
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
    public var alpnProtocols: [[UInt8]] { alpnProtocolNames.map { Array($0) } }

    /// ALPN protocol names in order, read in place: `ProtocolName protocol_name_list<2..2^16-1>`, each
    /// `opaque ProtocolName<1..2^8-1>`. Ends at the first name that does not fit the list.
    public var alpnProtocolNames: ALPNProtocolNames {
        ALPNProtocolNames(list: firstExtensionData(ExtensionType.applicationLayerProtocolNegotiation)?.lengthPrefixed16() ?? [][...])
    }

    /// supported_groups (RFC 8446 §4.2.7), wire order.
    public var supportedGroups: [UInt16] { Array(supportedGroupList) }
    /// supported_groups read in place (empty when absent or its length is wrong).
    public var supportedGroupList: TLSUInt16List { list16(ExtensionType.supportedGroups) }

    /// signature_algorithms (RFC 8446 §4.2.3), wire order. Only extension 13, never signature_algorithms_cert.
    public var signatureAlgorithms: [UInt16] { Array(signatureAlgorithmList) }
    /// signature_algorithms read in place (empty when absent or its length is wrong).
    public var signatureAlgorithmList: TLSUInt16List { list16(ExtensionType.signatureAlgorithms) }

    /// ec_point_formats (RFC 8422 §5.1.2).
    public var ecPointFormats: [UInt8] { Array(ecPointFormatBytes) }
    /// ec_point_formats read in place: `ECPointFormat ec_point_format_list<1..2^8-1>` (empty when absent or cut).
    public var ecPointFormatBytes: ArraySlice<UInt8> {
        firstExtensionData(ExtensionType.ecPointFormats)?.lengthPrefixed8() ?? [][...]
    }

    /// supported_versions of a ClientHello (RFC 8446 §4.2.1): `ProtocolVersion versions<2..254>`.
    public var supportedVersions: [UInt16] { Array(supportedVersionList) }
    /// supported_versions read in place (a trailing odd byte is not a version; empty when absent or too long).
    public var supportedVersionList: TLSUInt16List {
        guard let list = firstExtensionData(ExtensionType.supportedVersions)?.lengthPrefixed8() else { return TLSUInt16List([][...]) }
        return TLSUInt16List(list.prefix(list.count & ~1))
    }

    /// Groups of the key_share entries (RFC 8446 §4.2.8 `KeyShareClientHello`).
    public var keyShareGroups: [UInt16] { Array(keyShareGroupList) }
    /// Groups of the key_share entries, read in place.
    public var keyShareGroupList: KeyShareGroups {
        guard let d = firstExtensionData(ExtensionType.keyShare), let list = d.lengthPrefixed16() else {
            return KeyShareGroups(data: [][...], listLength: 0)
        }
        return KeyShareGroups(data: d[list.startIndex...], listLength: list.count)
    }

    /// The status_request extension (RFC 6066 §8), with its index in the extension list as sent.
    public var statusRequest: StatusRequest? {
        guard let index = extensionSpans.firstIndex(where: { $0.type == ExtensionType.statusRequest }) else { return nil }
        return storage[extensionSpans[index].range].withCursor { c in
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
        for v in supportedVersionList where !isGREASE(v) {
            if best == nil || isLaterVersion(v, than: best!) { best = v }
        }
        return best ?? legacyVersion
    }

    /// A 16-bit-length-prefixed list of 16-bit values in extension `type`: empty when absent, when the length
    /// runs past the extension or is odd.
    private func list16(_ type: UInt16) -> TLSUInt16List {
        guard let list = firstExtensionData(type)?.lengthPrefixed16(), list.count % 2 == 0 else { return TLSUInt16List([][...]) }
        return TLSUInt16List(list)
    }
}
