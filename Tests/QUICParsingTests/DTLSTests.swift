import Testing
@testable import QUICParsing

struct ExpectedDTLSMessage: Sendable, Equatable, CustomStringConvertible {
    var frame: Int
    var type: UInt8
    var length: Int
    var messageSeq: UInt16
    var recordIndex: Int
    var epoch: UInt16 = 0
    var description: String { "frame \(frame) type \(type) seq \(messageSeq)" }
}

private func dtlsRecord(type: UInt8 = 22, version: UInt16 = 0xfefd, epoch: UInt16 = 0, seq: UInt64 = 0, _ payload: [UInt8]) -> [UInt8] {
    var r: [UInt8] = [type, UInt8(version >> 8), UInt8(version & 0xff), UInt8(epoch >> 8), UInt8(epoch & 0xff)]
    for i in (0..<6).reversed() { r.append(UInt8((seq >> (8 * UInt64(i))) & 0xff)) }
    r += [UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
    return r + payload
}

private func fragment(type: UInt8, length: Int, seq: UInt16, offset: Int, _ data: [UInt8]) -> [UInt8] {
    func u24(_ v: Int) -> [UInt8] { [UInt8(v >> 16), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }
    return [type] + u24(length) + [UInt8(seq >> 8), UInt8(seq & 0xff)] + u24(offset) + u24(data.count) + data
}

private let a = EndpointKey(ipv4: 0x0a00_0001, port: 5000)
private let b = EndpointKey(ipv4: 0x0a00_0002, port: 4433)

private func run(_ r: DTLSHandshakeReassembler, _ bytes: [UInt8], from: EndpointKey = a, to: EndpointKey = b) -> DTLSProcessResult {
    bytes.withUnsafeBytes { r.process(datagram: $0, from: from, to: to) }
}

@Suite("DTLS handshake reassembly")
struct DTLSTests {
    @Test("zeek dtls1_2.pcap: fragments, HelloVerifyRequest and cookies",
          .enabled(if: CaptureFixtures.corpusAvailable, "needs ../shared/corpus next to the package"))
    func zeekDTLS12() throws {
        let datagrams = try CaptureFixtures.udpDatagrams("zeek/tls/dtls1_2.pcap")
        let r = DTLSHandshakeReassembler()
        var got: [(Int, DTLSHandshakeMessage)] = []
        for d in datagrams {
            let res = d.payload.withUnsafeBytes { r.process(datagram: $0, from: d.source, to: d.destination) }
            #expect(res.isDTLS)
            for m in res.messages { got.append((d.frame, m)) }
        }
        // tshark 4.0.17: frame, handshake type, length, message_seq; the record index inside the datagram.
        let expected = [
            ExpectedDTLSMessage(frame: 2, type: 1, length: 287, messageSeq: 0, recordIndex: 0),
            ExpectedDTLSMessage(frame: 3, type: 3, length: 23, messageSeq: 0, recordIndex: 0),
            ExpectedDTLSMessage(frame: 5, type: 1, length: 307, messageSeq: 1, recordIndex: 0),
            ExpectedDTLSMessage(frame: 6, type: 2, length: 57, messageSeq: 1, recordIndex: 0),
            ExpectedDTLSMessage(frame: 10, type: 11, length: 874, messageSeq: 2, recordIndex: 0),
            ExpectedDTLSMessage(frame: 12, type: 12, length: 329, messageSeq: 3, recordIndex: 0),
            ExpectedDTLSMessage(frame: 12, type: 14, length: 0, messageSeq: 4, recordIndex: 1),
            ExpectedDTLSMessage(frame: 13, type: 16, length: 66, messageSeq: 2, recordIndex: 0),
            ExpectedDTLSMessage(frame: 14, type: 4, length: 166, messageSeq: 5, recordIndex: 0),
        ]
        let actual = got.map {
            ExpectedDTLSMessage(frame: $0.0, type: $0.1.handshakeType, length: $0.1.bytes.count - 4,
                                messageSeq: $0.1.messageSeq, recordIndex: $0.1.recordIndex, epoch: $0.1.epoch)
        }
        #expect(actual == expected)
        for (_, m) in got {
            let field = Int(m.bytes[1]) << 16 | Int(m.bytes[2]) << 8 | Int(m.bytes[3])
            #expect(field == m.bytes.count - 4)
        }
        // Cookies: first ClientHello none, HelloVerifyRequest 20 bytes, second ClientHello echoes 20 bytes.
        let hellos = got.filter { $0.1.handshakeType == 1 }.map(\.1)
        #expect(hellos.map(\.cookieLength) == [0, 20])
        let hvr = try #require(got.first { $0.1.handshakeType == 3 }?.1)
        #expect(hvr.cookieLength == 20)
        #expect(hvr.recordVersion == DTLSVersionNumber.dtls10)
        // The ClientHello body is left as sent (cookie included): 80 cipher suites (length 160) per tshark.
        for h in hellos {
            let s = try #require(HelloSummary(message: h.bytes, isDTLS: true))
            #expect(s.cipherCount == 80)
            #expect(s.cookieLength == h.cookieLength)
        }
        #expect(r.counters.helloVerifyRequests == 1)
        #expect(r.counters.encryptedHandshakeRecords == 2)  // both Finished messages (frames 13 and 15)
        #expect(r.counters.malformed == 0)
        #expect(r.counters.duplicateMessages == 0)

        // EXPECTED.tsv: the reassembled bytes (cookie skipped by the reader) give the listed JA3 / JA3S strings.
        let values = try CaptureFixtures.expectedValues(corpus: "zeek", capture: "tls/dtls1_2.pcap")
        for row in values where row.kind == "ja3_string" {
            let m = try #require(got.first { $0.0 == row.frame && $0.1.handshakeType == 1 }?.1)
            #expect(JA3Strings.client(m.bytes, isDTLS: true) == row.value)
        }
        for row in values where row.kind == "ja3s_string" {
            let m = try #require(got.first { $0.0 == row.frame && $0.1.handshakeType == 2 }?.1)
            #expect(JA3Strings.server(m.bytes) == row.value)
        }
        #expect(values.filter { $0.kind.hasPrefix("ja3") && $0.kind.hasSuffix("_string") }.count == 3)

        // EXPECTED.tsv: ClientHellos complete on frames 2 and 5, the ServerHello on frame 6.
        let rows = try CaptureFixtures.expectedRows(corpus: "zeek", capture: "tls/dtls1_2.pcap")
        #expect(got.filter { $0.1.handshakeType == 1 }.map(\.0) == rows.filter { $0.kind == "ja3" }.map(\.frame))
        #expect(got.filter { $0.1.handshakeType == 2 }.map(\.0) == rows.filter { $0.kind == "ja3s" }.map(\.frame))
    }

    @Test("Out-of-order and overlapping fragments; a retransmission is not returned twice")
    func outOfOrder() throws {
        let body = (0..<100).map { UInt8($0) }
        let r = DTLSHandshakeReassembler()
        #expect(run(r, dtlsRecord(fragment(type: 1, length: 100, seq: 0, offset: 60, Array(body[60..<100])))).messages.isEmpty)
        #expect(run(r, dtlsRecord(fragment(type: 1, length: 100, seq: 0, offset: 0, Array(body[0..<30])))).messages.isEmpty)
        let done = run(r, dtlsRecord(fragment(type: 1, length: 100, seq: 0, offset: 20, Array(body[20..<70]))))
        let m = try #require(done.messages.first)
        #expect(m.bytes == [1, 0, 0, 100] + body)
        #expect(m.messageSeq == 0)
        // Whole-message retransmission: counted, not returned.
        let again = run(r, dtlsRecord(fragment(type: 1, length: 100, seq: 0, offset: 0, body)))
        #expect(again.messages.isEmpty)
        #expect(r.counters.duplicateMessages == 1)
        // The other direction is a different flow.
        #expect(run(r, dtlsRecord(fragment(type: 2, length: 100, seq: 0, offset: 0, body)), from: b, to: a).messages.count == 1)
    }

    @Test("Several records and fragments in one datagram; non-handshake records are skipped")
    func severalRecords() {
        let r = DTLSHandshakeReassembler()
        let d = dtlsRecord(fragment(type: 2, length: 3, seq: 1, offset: 0, [9, 9, 9]) + fragment(type: 14, length: 0, seq: 2, offset: 0, []))
            + dtlsRecord(type: 20, [1])
            + dtlsRecord(epoch: 1, [0xde, 0xad, 0xbe, 0xef])
        let res = run(r, d)
        #expect(res.records == 3)
        #expect(res.messages.map(\.handshakeType) == [2, 14])
        #expect(res.messages.map(\.recordIndex) == [0, 0])
        #expect(r.counters.otherRecords == 1)
        #expect(r.counters.encryptedHandshakeRecords == 1)
    }

    @Test("Non-DTLS payloads are rejected by the byte checks; bad lengths are counted")
    func rejection() {
        let r = DTLSHandshakeReassembler()
        #expect(!run(r, [0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5, 6, 7, 8, 9]).isDTLS)  // TLS, not DTLS
        #expect(!run(r, Array(repeating: 0, count: 40)).isDTLS)
        #expect(!run(r, []).isDTLS)
        // Fragment claims more data than the record holds.
        var bad = dtlsRecord(fragment(type: 1, length: 50, seq: 0, offset: 0, Array(repeating: 1, count: 10)))
        bad[13 + 11] = 40
        #expect(run(r, bad).messages.isEmpty)
        #expect(r.counters.malformed == 1)
        // Fragment beyond the message length.
        #expect(run(r, dtlsRecord(fragment(type: 1, length: 5, seq: 0, offset: 4, [1, 2, 3]))).messages.isEmpty)
        #expect(r.counters.malformed == 2)
        #expect(r.counters.datagrams == 2)
    }

    @Test("Bounds: oversized messages and too many pending messages are dropped; flows are evicted oldest first")
    func bounds() {
        let r = DTLSHandshakeReassembler(maxFlows: 2, maxMessageLength: 1000, maxPendingMessages: 2)
        _ = run(r, dtlsRecord(fragment(type: 11, length: 5000, seq: 0, offset: 0, [1, 2, 3])))
        #expect(r.counters.droppedFragments == 1)
        _ = run(r, dtlsRecord(fragment(type: 11, length: 10, seq: 1, offset: 0, [1])))
        _ = run(r, dtlsRecord(fragment(type: 11, length: 10, seq: 2, offset: 0, [1])))
        _ = run(r, dtlsRecord(fragment(type: 11, length: 10, seq: 3, offset: 0, [1])))
        #expect(r.counters.droppedFragments == 2)
        for port in 1...3 {
            _ = run(r, dtlsRecord(fragment(type: 1, length: 1, seq: 0, offset: 0, [7])), from: EndpointKey(ipv4: 1, port: UInt16(port)))
        }
        #expect(r.flowCount == 2)
        #expect(r.counters.evictedFlows == 2)
    }

    @Test("The buffered-bytes budget evicts the oldest flows holding incomplete messages")
    func bufferedBudget() {
        let r = DTLSHandshakeReassembler(maxFlows: 100, maxMessageLength: 1000, maxPendingMessages: 8, maxBufferedBytes: 2500)
        for port in 1...3 {
            _ = run(r, dtlsRecord(fragment(type: 1, length: 1000, seq: 0, offset: 0, [1, 2, 3])), from: EndpointKey(ipv4: 9, port: UInt16(port)))
            #expect(r.bufferedBytes <= 2500)
        }
        #expect(r.counters.evictedFlows == 1)
        #expect(r.bufferedBytes == 2000)
        // Completing a message releases its storage.
        let body = [UInt8](repeating: 4, count: 997)
        let done = run(r, dtlsRecord(fragment(type: 1, length: 1000, seq: 0, offset: 3, body)), from: EndpointKey(ipv4: 9, port: 3))
        #expect(done.messages.count == 1)
        #expect(r.bufferedBytes == 1000)
        r.removeAllFlows()
        #expect(r.bufferedBytes == 0)
    }

    @Test("UDPHandshakeExtractor routes QUIC and DTLS payloads to their decoders")
    func extractor() throws {
        let x = UDPHandshakeExtractor()
        let q = RFCVectors.v1ClientInitial.withUnsafeBytes { x.process(datagram: $0, from: clientEndpoint, to: serverEndpoint) }
        guard case .quic(let qr) = q else { Issue.record("expected QUIC"); return }
        #expect(qr.messages.first?.bytes == RFCVectors.clientHello)
        let d = dtlsRecord(fragment(type: 1, length: 40, seq: 0, offset: 0, [0xfe, 0xfd] + [UInt8](repeating: 0, count: 32) + [0, 3, 7, 7, 7, 0]))
        let dr = d.withUnsafeBytes { x.process(datagram: $0, from: a, to: b) }
        guard case .dtls(let res) = dr else { Issue.record("expected DTLS"); return }
        let m = try #require(res.messages.first)
        #expect(m.cookieLength == 3)
        #expect(m.senderRole == .client)
        let none = [UInt8](repeating: 0x41, count: 30).withUnsafeBytes { x.process(datagram: $0, from: a, to: b) }
        guard case .none = none else { Issue.record("expected none"); return }
        #expect(x.quic.counters.handshakeMessages == 1)
        #expect(x.dtls.counters.messages == 1)
    }

    @Test("Classifier separates QUIC, DTLS and other UDP payloads")
    func classifier() {
        func classify(_ b: [UInt8]) -> UDPHandshakeProtocol { b.withUnsafeBytes { UDPHandshakeClassifier.classify($0) } }
        #expect(classify(RFCVectors.v1ClientInitial) == .quic)
        #expect(classify(dtlsRecord(fragment(type: 1, length: 1, seq: 0, offset: 0, [7]))) == .dtls)
        #expect(classify([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]) == .none)  // DNS query header
        #expect(classify([0x80, 0x60, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]) == .none)  // RTP (fixed bit clear)
    }
}
