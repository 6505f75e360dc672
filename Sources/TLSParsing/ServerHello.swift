/// A ServerHello (RFC 8446 §4.1.3; RFC 5246 §7.4.1.3):
///
/// ```
/// struct {
///     ProtocolVersion legacy_version = 0x0303;    /* TLS v1.2 */
///     Random random;
///     opaque legacy_session_id_echo<0..32>;
///     CipherSuite cipher_suite;
///     uint8 legacy_compression_method = 0;
///     Extension extensions<6..2^16-1>;
/// } ServerHello;
/// ```
///
/// A HelloRetryRequest is a ServerHello whose random is SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3).
public struct ServerHello: Sendable, Equatable {
    /// The handshake body the hello was parsed from, shared with the caller: the random and every extension's
    /// data are read from it in place.
    let storage: [UInt8]
    public var legacyVersion: UInt16
    public var sessionIDLength: Int
    public var cipherSuite: UInt16
    public var compressionMethod: UInt8
    public var extensionsPresent: Bool
    /// Extensions in wire order; each one's `data` is a slice of the hello's bytes.
    public var extensions: [TLSExtension]

    /// The 32-byte random.
    public var random: [UInt8] { Array(storage[2..<34]) }

    /// SHA-256("HelloRetryRequest").
    public static let helloRetryRequestRandom: [UInt8] = [
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
        0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
    ]

    /// Parses a ServerHello handshake body (after the 4-byte handshake header). The hello keeps `body` (an array
    /// shares its storage) and reads its random and extensions from it.
    public init(body: [UInt8]) throws(TLSParseError) {
        var result: Result<ServerHello, TLSParseError> = .failure(.truncated("server_hello"))
        body.withUnsafeBytes { raw in
            result = Result { () throws(TLSParseError) -> ServerHello in
                var c = ByteCursorLite(raw)
                guard let version = c.u16(), c.skip(32), let sid = c.u8(), c.skip(Int(sid)),
                      let cipher = c.u16(), let compression = c.u8() else { throw .truncated("server_hello") }
                let (present, extensions) = try c.extensionBlock(in: body)
                return ServerHello(storage: body, legacyVersion: version, sessionIDLength: Int(sid), cipherSuite: cipher,
                                   compressionMethod: compression, extensionsPresent: present, extensions: extensions)
            }
        }
        self = try result.get()
    }

    init(storage: [UInt8], legacyVersion: UInt16, sessionIDLength: Int, cipherSuite: UInt16, compressionMethod: UInt8,
         extensionsPresent: Bool, extensions: [TLSExtension]) {
        self.storage = storage
        self.legacyVersion = legacyVersion
        self.sessionIDLength = sessionIDLength
        self.cipherSuite = cipherSuite
        self.compressionMethod = compressionMethod
        self.extensionsPresent = extensionsPresent
        self.extensions = extensions
    }

    /// Two hellos are equal when every field they were parsed into is, whatever bytes they were read from.
    public static func == (a: ServerHello, b: ServerHello) -> Bool {
        a.legacyVersion == b.legacyVersion && a.storage[2..<34] == b.storage[2..<34] && a.sessionIDLength == b.sessionIDLength
            && a.cipherSuite == b.cipherSuite && a.compressionMethod == b.compressionMethod
            && a.extensionsPresent == b.extensionsPresent && a.extensions == b.extensions
    }

    public var isHelloRetryRequest: Bool { storage[2..<34].elementsEqual(ServerHello.helloRetryRequestRandom) }

    public var extensionTypes: [UInt16] { extensions.map(\.type) }

    /// The version selected through supported_versions (RFC 8446 §4.2.1), if the server sent it.
    public var selectedVersion: UInt16? {
        guard let ext = extensions.first(where: { $0.type == ExtensionType.supportedVersions }), ext.data.count >= 2 else {
            return nil
        }
        let d = ext.data
        return UInt16(d[d.startIndex]) << 8 | UInt16(d[d.startIndex + 1])
    }

    /// The version in effect: supported_versions when present, else legacy_version.
    public var negotiatedVersion: UInt16 { selectedVersion ?? legacyVersion }

    /// Whether the server acknowledged status_request (an empty extension 5 in a TLS ≤1.2 ServerHello).
    public var acknowledgesStatusRequest: Bool { extensions.contains { $0.type == ExtensionType.statusRequest } }
}
