import TLSParsing
import Fingerprints

/// libFuzzer's callback type.
public typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>, Int) -> CInt

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: FuzzCallback) -> CInt

/// Runs libFuzzer's driver. SwiftPM links each executable with its entry point renamed to `<Target>_main`;
/// every target defines that symbol (with `-parse-as-library` there is no top-level code) and calls this.
public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ callback: FuzzCallback) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, callback)
}

/// Consumes a fuzz input front to back; every read succeeds (zeros past the end), so harness decisions never fail.
public struct FuzzInput {
    public let bytes: UnsafeRawBufferPointer
    public var offset = 0

    public init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        bytes = UnsafeRawBufferPointer(start: data, count: size)
    }

    public var remaining: Int { max(0, bytes.count - offset) }
    public var isAtEnd: Bool { offset >= bytes.count }

    public mutating func u8() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func u16() -> UInt16 { UInt16(u8()) << 8 | UInt16(u8()) }

    public mutating func take(_ n: Int) -> UnsafeRawBufferPointer {
        let n = min(max(0, n), remaining)
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
    }

    public mutating func rest() -> UnsafeRawBufferPointer { take(remaining) }
}

/// Feeds `bytes` to `body` in chunks whose sizes cycle through `sizes` (a size 0 means "the rest").
public func inChunks(_ bytes: UnsafeRawBufferPointer, sizes: [Int], _ body: (UnsafeRawBufferPointer) -> Void) {
    var off = 0
    var i = 0
    while off < bytes.count {
        let s = sizes.isEmpty ? 0 : sizes[i % sizes.count]
        let n = s <= 0 ? bytes.count - off : min(s, bytes.count - off)
        body(UnsafeRawBufferPointer(rebasing: bytes[off..<(off + n)]))
        off += n
        i += 1
    }
}

/// Everything the pipeline does with a handshake message: parse, then fingerprint what parses, then read every
/// derived field (each accessor is parsing code of its own). Returns a value so nothing is optimised away.
@discardableResult
public func exerciseHandshake(type: UInt8, body: [UInt8], isDTLS: Bool = false, transport: JA4.Transport = .tcp) -> Int {
    var n = 0
    switch type {
    case HandshakeType.clientHello:
        if let hello = try? ClientHello(body: body, isDTLS: isDTLS) { n += exerciseClientHello(hello, transport: transport) }
    case HandshakeType.serverHello:
        if let hello = try? ServerHello(body: body) { n += JA3(serverHello: hello).hash.count + hello.extensions.count }
    default:
        break
    }
    return n
}

@discardableResult
public func exerciseClientHello(_ h: ClientHello, transport: JA4.Transport) -> Int {
    var n = h.extensions.count + h.cipherSuites.count
    n += h.serverName?.utf8.count ?? 0
    n += h.alpnProtocols.count + h.supportedGroups.count + h.signatureAlgorithms.count + h.ecPointFormats.count
    n += h.supportedVersions.count + h.keyShareGroups.count + Int(h.highestOfferedVersion)
    n += h.statusRequest.map { $0.index } ?? 0
    n += h.offersStatusRequestV2 ? 1 : 0
    n += h.hasEncryptedClientHello ? 1 : 0
    n += h.hasQUICTransportParameters ? 1 : 0
    if let ja3 = JA3(clientHello: h) { n += ja3.hash.count + ja3.string.count }
    let ja4 = JA4(clientHello: h, transport: transport)
    n += ja4.ja4.count + ja4.ja4_r.count + ja4.ja4_o.count + ja4.ja4_ro.count
    return n
}

/// A TLS consumer for one byte stream: the record parser, then `exerciseHandshake` on every message.
public struct TLSConsumer {
    public var parser: TLSStreamParser
    public private(set) var events = 0

    public init(maximumHandshakeLength: Int = TLSStreamParser.defaultMaximumHandshakeLength) {
        parser = TLSStreamParser(maximumHandshakeLength: maximumHandshakeLength)
    }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        var count = 0
        parser.feed(bytes) { event in
            count += 1
            switch event {
            case .handshake(let type, let body, _):
                exerciseHandshake(type: type, body: body)
            case .sslv2ClientHello(let message):
                if let hello = try? ClientHello.parseSSLv2(message: message) { exerciseClientHello(hello, transport: .tcp) }
            default:
                break
            }
        }
        events += count
    }
}
