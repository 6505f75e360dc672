// QUIC and DTLS handshake extraction from UDP datagrams (UDPHandshakeExtractor): QUIC long headers, Initial
// header/payload protection, coalesced packets, CRYPTO frame reassembly; DTLS records and fragmented handshake
// messages. Every message that completes is parsed as a hello and fingerprinted.
//
// Random bytes almost never pass QUIC's AEAD check, so half the inputs go through the harness first: the
// harness encrypts the fuzzed frames as a proper Initial (keys from the fuzzed DCID), so the decoder's frame,
// CRYPTO-offset and reassembly code sees fuzzed plaintext.
//
// Input: a sequence of datagrams, each `flags(1) length(2, big-endian) bytes(length)`. flags bit 0: direction
// (client → server or back); bit 1: encrypt as a QUIC Initial (then bytes = dcid_length(1) dcid frames…);
// bits 2–3: which of four client endpoints.
@testable import QUICParsing
import TLSParsing
import FuzzSupport

let servers = EndpointKey(ipv4: 0x0a00_0001, port: 443)
let clients = (0..<4).map { EndpointKey(ipv4: 0x0a00_0100 + UInt32($0), port: UInt16(50000 + $0)) }

/// An Initial packet around fuzzed frames, protected with the keys of the fuzzed DCID.
func protectedInitial(_ b: UnsafeRawBufferPointer, fromClient: Bool) -> [UInt8]? {
    var input = FuzzInput(b.baseAddress!.assumingMemoryBound(to: UInt8.self), b.count)
    let version: UInt32 = input.u8() & 1 == 0 ? QUICVersionNumber.v1 : QUICVersionNumber.v2
    let dcid = Array(input.take(Int(input.u8() % 21)))
    let frames = Array(input.rest())
    guard let keys = QUICInitialKeySchedule.keys(version: version, originalDCID: dcid, sender: fromClient ? .client : .server)
    else { return nil }
    return QUICInitialPacketBuilder.initial(version: version, keys: keys, dcid: dcid, scid: [1, 2, 3, 4],
                                            packetNumber: 0, payload: frames, minimumPayload: fromClient ? 1162 : 0)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    // Small tables, so eviction and buffer budgets are reached with short inputs.
    let extractor = UDPHandshakeExtractor(
        quic: QUICConnectionTable(maxConnections: 2, cryptoCapacity: 4096, maxBufferedBytes: 8192),
        dtls: DTLSHandshakeReassembler(maxFlows: 2, maxMessageLength: 4096, maxPendingMessages: 4, maxBufferedBytes: 8192))
    while !input.isAtEnd {
        let flags = input.u8()
        let length = Int(input.u16())
        let bytes = input.take(length)
        let client = clients[Int(flags >> 2) & 3]
        let fromClient = flags & 1 == 0
        let (from, to) = fromClient ? (client, servers) : (servers, client)
        let result: UDPHandshakeExtractor.Result
        if flags & 2 != 0, bytes.count > 0, let packet = protectedInitial(bytes, fromClient: fromClient) {
            result = packet.withUnsafeBytes { extractor.process(datagram: $0, from: from, to: to) }
        } else {
            result = extractor.process(datagram: bytes, from: from, to: to)
        }
        switch result {
        case .none:
            break
        case .quic(let r):
            for m in r.messages where m.bytes.count >= 4 {
                exerciseHandshake(type: m.bytes[0], body: Array(m.bytes.dropFirst(4)), isDTLS: false, transport: .quic)
            }
        case .dtls(let r):
            for m in r.messages where m.bytes.count >= 4 {
                exerciseHandshake(type: m.bytes[0], body: Array(m.bytes.dropFirst(4)), isDTLS: true, transport: .dtls)
            }
        }
        if extractor.quic.connectionCount > 2 || extractor.dtls.flowCount > 2 * 2 {
            fatalError("tables beyond their limits: \(extractor.quic.connectionCount) QUIC, \(extractor.dtls.flowCount) DTLS")
        }
    }
    return 0
}

@_cdecl("FuzzUDP_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
