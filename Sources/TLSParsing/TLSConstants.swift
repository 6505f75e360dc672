/// TLS record content types (RFC 8446 §5.1 `ContentType`).
public enum TLSContentType {
    @inlinable public static var changeCipherSpec: UInt8 { 20 }
    @inlinable public static var alert: UInt8 { 21 }
    @inlinable public static var handshake: UInt8 { 22 }
    @inlinable public static var applicationData: UInt8 { 23 }
    @inlinable public static var heartbeat: UInt8 { 24 }
}

/// Handshake message types (RFC 8446 §4 `HandshakeType`, RFC 6066 §8 `certificate_status`).
public enum HandshakeType {
    @inlinable public static var helloRequest: UInt8 { 0 }
    @inlinable public static var clientHello: UInt8 { 1 }
    @inlinable public static var serverHello: UInt8 { 2 }
    @inlinable public static var helloVerifyRequest: UInt8 { 3 }
    @inlinable public static var newSessionTicket: UInt8 { 4 }
    @inlinable public static var certificate: UInt8 { 11 }
    @inlinable public static var serverKeyExchange: UInt8 { 12 }
    @inlinable public static var certificateRequest: UInt8 { 13 }
    @inlinable public static var serverHelloDone: UInt8 { 14 }
    @inlinable public static var clientKeyExchange: UInt8 { 16 }
    @inlinable public static var finished: UInt8 { 20 }
    @inlinable public static var certificateStatus: UInt8 { 22 }
}

/// Extension types helloscope reads (IANA "TLS ExtensionType Values"). Inlinable, so a module that tests a
/// value against them compares with constants instead of calling an accessor per comparison.
public enum ExtensionType {
    @inlinable public static var serverName: UInt16 { 0 }
    @inlinable public static var statusRequest: UInt16 { 5 }
    @inlinable public static var supportedGroups: UInt16 { 10 }
    @inlinable public static var ecPointFormats: UInt16 { 11 }
    @inlinable public static var signatureAlgorithms: UInt16 { 13 }
    @inlinable public static var applicationLayerProtocolNegotiation: UInt16 { 16 }
    @inlinable public static var statusRequestV2: UInt16 { 17 }
    @inlinable public static var signedCertificateTimestamp: UInt16 { 18 }
    @inlinable public static var supportedVersions: UInt16 { 43 }
    @inlinable public static var keyShare: UInt16 { 51 }
    @inlinable public static var quicTransportParameters: UInt16 { 57 }
    @inlinable public static var quicTransportParametersDraft: UInt16 { 0xffa5 }
    @inlinable public static var encryptedClientHello: UInt16 { 0xfe0d }
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
