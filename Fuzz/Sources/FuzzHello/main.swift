// Hello bodies directly (no record layer): ClientHello as TLS and as DTLS, ServerHello, SSL 2.0 CLIENT-HELLO;
// every accessor and every fingerprint (JA3, JA3S, JA4 for TCP, QUIC and DTLS) on what parses.
//
// Input: the body of a handshake message (after its 4-byte header).
import TLSParsing
import Fingerprints
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    if let h = try? ClientHello(body: body, isDTLS: false) {
        exerciseClientHello(h, transport: .tcp)
        exerciseClientHello(h, transport: .quic)
    }
    if let h = try? ClientHello(body: body, isDTLS: true) { exerciseClientHello(h, transport: .dtls) }
    exerciseHandshake(type: HandshakeType.serverHello, body: body)
    if let h = try? ClientHello.parseSSLv2(message: body) { exerciseClientHello(h, transport: .tcp) }
    return 0
}

@_cdecl("FuzzHello_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
