/// TLS record content types (RFC 8446 §5.1 `ContentType`).
public enum TLSContentType {
    public static let changeCipherSpec: UInt8 = 20
    public static let alert: UInt8 = 21
    public static let handshake: UInt8 = 22
    public static let applicationData: UInt8 = 23
    public static let heartbeat: UInt8 = 24
}

/// Handshake message types (RFC 8446 §4 `HandshakeType`, RFC 6066 §8 `certificate_status`).
public enum HandshakeType {
    public static let helloRequest: UInt8 = 0
    public static let clientHello: UInt8 = 1
    public static let serverHello: UInt8 = 2
    public static let helloVerifyRequest: UInt8 = 3
    public static let newSessionTicket: UInt8 = 4
    public static let certificate: UInt8 = 11
    public static let serverKeyExchange: UInt8 = 12
    public static let certificateRequest: UInt8 = 13
    public static let serverHelloDone: UInt8 = 14
    public static let clientKeyExchange: UInt8 = 16
    public static let finished: UInt8 = 20
    public static let certificateStatus: UInt8 = 22
}

/// Extension types helloscope reads (IANA "TLS ExtensionType Values").
public enum ExtensionType {
    public static let serverName: UInt16 = 0
    public static let statusRequest: UInt16 = 5
    public static let supportedGroups: UInt16 = 10
    public static let ecPointFormats: UInt16 = 11
    public static let signatureAlgorithms: UInt16 = 13
    public static let applicationLayerProtocolNegotiation: UInt16 = 16
    public static let statusRequestV2: UInt16 = 17
    public static let signedCertificateTimestamp: UInt16 = 18
    public static let supportedVersions: UInt16 = 43
    public static let keyShare: UInt16 = 51
    public static let quicTransportParameters: UInt16 = 57
    public static let quicTransportParametersDraft: UInt16 = 0xffa5
    public static let encryptedClientHello: UInt16 = 0xfe0d
}

/// GREASE values (RFC 8701): 0x0a0a, 0x1a1a, … 0xfafa.
@inlinable
public func isGREASE(_ value: UInt16) -> Bool {
    (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff)
}

/// The JA4 two-character version code for a protocol version (FoxIO JA4.md version table).
public func ja4VersionCode(_ version: UInt16) -> String {
    switch version {
    case 0x0304: return "13"
    case 0x0303: return "12"
    case 0x0302: return "11"
    case 0x0301: return "10"
    case 0x0300: return "s3"
    case 0x0002: return "s2"
    case 0xfeff: return "d1"
    case 0xfefd: return "d2"
    case 0xfefc: return "d3"
    default: return "00"
    }
}

/// Whether `a` is a later protocol version than `b` (DTLS versions count down: 0xfefc is newer than 0xfefd).
public func isLaterVersion(_ a: UInt16, than b: UInt16) -> Bool {
    let aDTLS = a >= 0xfe00, bDTLS = b >= 0xfe00
    if aDTLS && bDTLS { return a < b }
    return a > b
}

/// Errors of the TLS parsers. "Need more bytes" is never an error: parsers return it as a state.
public enum TLSParseError: Error, Equatable, Sendable {
    case truncated(String)
    case invalidLength(String)
    case invalidValue(String)

    public var reason: String {
        switch self {
        case .truncated(let s): return "truncated_" + s
        case .invalidLength(let s): return "invalid_length_" + s
        case .invalidValue(let s): return "invalid_" + s
        }
    }
}
