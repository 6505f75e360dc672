import Testing
@testable import QUICParsing
import TestSupport

/// Frame encoders for synthetic Initial payloads.
enum Frames {
    static let v = QUICInitialPacketBuilder.varint

    static func crypto(_ offset: Int, _ data: ArraySlice<UInt8>) -> [UInt8] {
        [0x06] + v(UInt64(offset)) + v(UInt64(data.count)) + Array(data)
    }

    static let ping: [UInt8] = [0x01]

    static func ackECN() -> [UInt8] {
        // ACK_ECN: largest 10, delay 5, 2 extra ranges, first range 1, (gap 1, len 2), (gap 0, len 0), ECN counts.
        [0x03] + v(10) + v(5) + v(2) + v(1) + v(1) + v(2) + v(0) + v(0) + v(3) + v(0) + v(1)
    }

    static func connectionClose() -> [UInt8] {
        [0x1c] + v(0x0a) + v(0x06) + v(4) + Array("oops".utf8)
    }
}

/// A synthetic ClientHello-shaped handshake message: type 1, 24-bit length, deterministic body.
func syntheticHello(bodyLength: Int, seed: UInt8 = 7) -> [UInt8] {
    [1, UInt8(bodyLength >> 16), UInt8((bodyLength >> 8) & 0xff), UInt8(bodyLength & 0xff)]
        + (0..<bodyLength).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
}

struct Client {
    var version = QUICVersionNumber.v1
    var dcid: [UInt8] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]
    var scid: [UInt8] = []
    var endpoint = clientEndpoint
    var nextPN: UInt64 = 0

    mutating func packet(_ payload: [UInt8], token: [UInt8] = [], pad: Int = 0) -> [UInt8] {
        let keys = QUICInitialKeySchedule.keys(version: version, originalDCID: dcid, sender: .client)!
        defer { nextPN += 1 }
        return QUICInitialPacketBuilder.initial(
            version: version, keys: keys, dcid: dcid, scid: scid, token: token, packetNumber: nextPN, payload: payload,
            minimumPayload: pad
        )!
    }
}

@Suite("QUIC Initial walking and CRYPTO reassembly")
struct QUICReassemblyTests {
    @Test("The packet builder reproduces the RFC 9001 A.2 and RFC 9369 A.2 protected packets")
    func builderMatchesRFC() throws {
        let payload = [0x06, 0x00, 0x40, 0xf1] + RFCVectors.clientHello
        for (version, expected) in [(QUICVersionNumber.v1, RFCVectors.v1ClientInitial), (QUICVersionNumber.v2, RFCVectors.v2ClientInitial)] {
            let keys = try #require(QUICInitialKeySchedule.keys(version: version, originalDCID: RFCVectors.dcid, sender: .client))
            let built = QUICInitialPacketBuilder.initial(
                version: version, keys: keys, dcid: RFCVectors.dcid, scid: [], packetNumber: 2, payload: payload, minimumPayload: 1162
            )
            #expect(built == expected)
        }
    }

    @Test("RFC 9000 A.3 packet number decoding example")
    func packetNumberDecoding() {
        #expect(decodePacketNumber(largest: 0xa82f_30ea, truncated: 0x9b32, bits: 16) == 0xa82f_9b32)
        #expect(decodePacketNumber(largest: -1, truncated: 2, bits: 32) == 2)
        #expect(decodePacketNumber(largest: 0xff, truncated: 0x01, bits: 8) == 0x101)
    }

    @Test("Chromium-style split: out-of-order, overlapping CRYPTO frames over two datagrams")
    func splitHello() throws {
        let hello = syntheticHello(bodyLength: 1500)  // 1504 bytes
        var client = Client()
        let table = QUICConnectionTable()
        let p1 = client.packet(
            Frames.crypto(700, hello[700..<1000]) + Frames.ping + Frames.crypto(0, hello[0..<300]) + [0, 0, 0]
                + Frames.ackECN() + Frames.crypto(250, hello[250..<700]),
            pad: 1162
        )
        let r1 = process(table, p1, from: client.endpoint, to: serverEndpoint)
        #expect(r1.messages.isEmpty)
        #expect(r1.decryptedInitials == 1)
        let key = try #require(r1.connection)
        #expect(table.cryptoContiguousLength(key, direction: .client) == 1000)
        #expect(table.pendingCryptoPrefix(key, direction: .client) == Array(hello[0..<1000]))

        let p2 = client.packet(Frames.crypto(1200, hello[1200...]) + Frames.crypto(950, hello[950..<1250]), pad: 1162)
        let r2 = process(table, p2, from: client.endpoint, to: serverEndpoint)
        let m = try #require(r2.messages.first)
        #expect(r2.messages.count == 1)
        #expect(m.bytes == hello)
        #expect(m.packetIndex == 0)
        #expect(m.connection == key)
        // A retransmission of the whole hello returns nothing new.
        let r3 = process(table, client.packet(Frames.crypto(0, hello[...]), pad: 1162), from: client.endpoint, to: serverEndpoint)
        #expect(r3.messages.isEmpty)
        #expect(r3.decryptedInitials == 1)
        #expect(table.counters.malformed == 0)
        #expect(table.counters.unknownFrames == 0)
    }

    @Test("Coalesced datagram: two Initials, a Handshake packet, then padding; packet index of the completing Initial")
    func coalesced() throws {
        let hello = syntheticHello(bodyLength: 400)
        var client = Client()
        var datagram = client.packet(Frames.crypto(0, hello[0..<200]))
        datagram += client.packet(Frames.crypto(200, hello[200...]) + Frames.connectionClose())
        // A Handshake packet (type 0b10), same DCID, opaque 40-byte payload.
        datagram += [0xe0, 0, 0, 0, 1, UInt8(client.dcid.count)] + client.dcid + [0, 40] + [UInt8](repeating: 0xab, count: 40)
        datagram += [UInt8](repeating: 0, count: 100)
        let table = QUICConnectionTable()
        let r = process(table, datagram, from: client.endpoint, to: serverEndpoint)
        #expect(r.packets == 3)
        #expect(r.decryptedInitials == 2)
        let m = try #require(r.messages.first)
        #expect(m.bytes == hello)
        #expect(m.packetIndex == 1)
        #expect(table.counters.handshakePackets == 1)
        #expect(table.counters.trailingBytes == 100)
    }

    @Test("Unknown frame types stop the walk and are counted; data before them is kept")
    func unknownFrame() throws {
        let hello = syntheticHello(bodyLength: 50)
        var client = Client()
        let table = QUICConnectionTable()
        let r = process(table, client.packet(Frames.crypto(0, hello[...]) + [0x08, 0x00] + Frames.crypto(0, hello[...])),
                        from: client.endpoint, to: serverEndpoint)
        #expect(r.messages.count == 1)
        #expect(table.counters.unknownFrames == 1)
        #expect(table.counters.cryptoFrames == 1)
    }

    @Test("A CRYPTO frame longer than the payload is counted as malformed")
    func truncatedCryptoFrame() {
        var client = Client()
        let table = QUICConnectionTable()
        let payload: [UInt8] = [0x06, 0x00, 0x44, 0x00] + [UInt8](repeating: 1, count: 100)  // claims 1024 bytes
        let r = process(table, client.packet(payload), from: client.endpoint, to: serverEndpoint)
        #expect(r.messages.isEmpty)
        #expect(r.decryptedInitials == 1)
        #expect(table.counters.malformed == 1)
    }

    @Test("The per-stream CRYPTO bound drops and counts bytes beyond 64 KiB")
    func cryptoCap() throws {
        var client = Client()
        let table = QUICConnectionTable()
        let data = [UInt8](repeating: 5, count: 100)
        _ = process(table, client.packet(Frames.crypto(65530, data[...])), from: client.endpoint, to: serverEndpoint)
        #expect(table.counters.cryptoBytesDropped == 94)
        _ = process(table, client.packet(Frames.crypto(70000, data[...])), from: client.endpoint, to: serverEndpoint)
        #expect(table.counters.cryptoBytesDropped == 194)
        #expect(QUICCryptoStream.defaultCapacity == 65536)
    }

    @Test("Retry, then the client's new DCID: re-keyed, the hello is returned again for the new flight")
    func retryRekey() throws {
        let hello = syntheticHello(bodyLength: 300)
        var client = Client()
        client.scid = [0xc1, 0xc2, 0xc3, 0xc4]
        let table = QUICConnectionTable()
        let r1 = process(table, client.packet(Frames.crypto(0, hello[...]), pad: 1162), from: client.endpoint, to: serverEndpoint)
        #expect(r1.messages.first?.originalDCIDHex == "1122334455667788")

        // Retry (v1 type 0b11): DCID = client's SCID, new SCID, token, 16-byte integrity tag (not verified).
        let newCID: [UInt8] = [0x99, 0x98, 0x97, 0x96, 0x95, 0x94, 0x93, 0x92]
        let retry: [UInt8] = [0xf0, 0, 0, 0, 1, 4] + client.scid + [8] + newCID + Array("token".utf8) + [UInt8](repeating: 0xee, count: 16)
        let rr = process(table, retry, from: serverEndpoint, to: client.endpoint)
        #expect(rr.kind == .longHeader(version: QUICVersionNumber.v1, type: .retry))
        #expect(table.counters.retry == 1)

        client.dcid = newCID
        let r2 = process(table, client.packet(Frames.crypto(0, hello[...]), token: Array("token".utf8), pad: 1162),
                         from: client.endpoint, to: serverEndpoint)
        let m = try #require(r2.messages.first)
        #expect(m.bytes == hello)
        #expect(m.originalDCIDHex == "9998979695949392")
        #expect(m.connection == r1.messages.first?.connection)
        #expect(table.connectionCount == 1)
    }

    @Test("Version Negotiation, draft and unknown versions are classified, not errors")
    func versions() {
        let table = QUICConnectionTable()
        let vn: [UInt8] = [0x80, 0, 0, 0, 0, 4, 1, 2, 3, 4, 4, 5, 6, 7, 8, 0, 0, 0, 1, 0x6b, 0x33, 0x43, 0xcf]
        #expect(process(table, vn, from: serverEndpoint, to: clientEndpoint).kind == .versionNegotiation)
        let draft: [UInt8] = [0xc0, 0xff, 0, 0, 0x0f, 4, 1, 2, 3, 4, 0, 0, 0x40, 0x10] + [UInt8](repeating: 0, count: 30)
        #expect(process(table, draft, from: clientEndpoint, to: serverEndpoint).kind == .draftVersion(0xff00_000f))
        let gquic: [UInt8] = [0xc3, 0x51, 0x30, 0x35, 0x30, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0] + [UInt8](repeating: 0, count: 30)
        #expect(process(table, gquic, from: clientEndpoint, to: serverEndpoint).kind == .unknownVersion(0x5130_3530))
        #expect(table.counters.versionNegotiation == 1)
        #expect(table.counters.draftVersion == 1)
        #expect(table.counters.unknownVersion == 1)
        #expect(table.connectionCount == 0)
        // Short-header and non-QUIC payloads.
        #expect(process(table, [0x40, 1, 2, 3, 4, 5, 6, 7, 8], from: clientEndpoint, to: serverEndpoint).kind == .notQUIC)
        #expect(process(table, [0xc0, 0, 0, 0, 1, 30, 0, 0], from: clientEndpoint, to: serverEndpoint).kind == .notQUIC)
        #expect(table.counters.datagrams == 3)
    }

    @Test("Every truncation of the RFC client Initial is rejected or counted, never decoded")
    func truncations() {
        let table = QUICConnectionTable()
        let packet = RFCVectors.v1ClientInitial
        for n in 0..<packet.count {
            let before = table.counters
            let r = process(table, Array(packet[0..<n]), from: clientEndpoint, to: serverEndpoint)
            #expect(r.messages.isEmpty)
            let after = table.counters
            // Too short to hold the connection IDs: not recognised at all. Otherwise counted.
            if n >= 7 + 8 {
                #expect(after.malformed + after.decryptFailures > before.malformed + before.decryptFailures, "length \(n)")
            } else {
                #expect(r.kind == .notQUIC, "length \(n)")
            }
        }
        #expect(table.connectionCount == 0)
    }

    @Test("Bad Length field: longer than the datagram is malformed")
    func badLength() {
        var packet = RFCVectors.v1ClientInitial
        packet[16] = 0x4f  // Length 0x0f9e > remaining bytes
        let table = QUICConnectionTable()
        let r = process(table, packet, from: clientEndpoint, to: serverEndpoint)
        #expect(r.messages.isEmpty)
        #expect(table.counters.malformed == 1)
        #expect(table.counters.decryptFailures == 0)
    }

    @Test("An Initial too short for the header-protection sample is malformed, not a decrypt failure")
    func tooShortForSample() {
        // v1 Initial, DCID 8 bytes, no SCID, no token, Length 10.
        let packet: [UInt8] = [0xc0, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 10] + [UInt8](repeating: 0x55, count: 10)
        let table = QUICConnectionTable()
        let r = process(table, packet, from: clientEndpoint, to: serverEndpoint)
        #expect(r.kind == .longHeader(version: QUICVersionNumber.v1, type: .initial))
        #expect(table.counters.malformed == 1)
        #expect(table.counters.decryptFailures == 0)
    }

    @Test("Random payloads never crash and never yield messages")
    func randomBytes() {
        var rng = SeededGenerator(seed: 0x5eed)
        let table = QUICConnectionTable()
        for i in 0..<3000 {
            let length = Int(rng.next() % 1400)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if i % 2 == 0, bytes.count > 6 {
                // Make half of them look like v1/v2 Initials so the deeper paths run.
                bytes[0] = 0xc0 | (bytes[0] & 0x3f)
                bytes[1] = 0; bytes[2] = 0; bytes[3] = 0; bytes[4] = i % 4 == 0 ? 1 : 2
                if i % 4 != 0 { bytes[1] = 0x6b; bytes[2] = 0x33; bytes[3] = 0x43; bytes[4] = 0xcf }
                bytes[5] = UInt8(rng.next() % 21)
            }
            let r = process(table, bytes, from: clientEndpoint, to: serverEndpoint)
            #expect(r.messages.isEmpty)
        }
        #expect(table.connectionCount == 0)
    }

    @Test("Corpus datagram: every truncation and every single-byte flip is handled",
          .enabled(if: CaptureFixtures.corpusAvailable, "needs ../shared/corpus next to the package"))
    func corpusMutations() throws {
        let datagrams = try CaptureFixtures.udpDatagrams("suricata-verify/ja4-quic/input.pcap")
        let d = try #require(datagrams.first)
        for n in 0..<d.payload.count {
            let table = QUICConnectionTable()
            let r = process(table, Array(d.payload[0..<n]), from: d.source, to: d.destination)
            #expect(r.messages.isEmpty)
        }
        var flipsDecoded = 0
        for i in stride(from: 0, to: d.payload.count, by: 7) {
            var copy = d.payload
            copy[i] ^= 0x20
            let table = QUICConnectionTable()
            let r = process(table, copy, from: d.source, to: d.destination)
            flipsDecoded += r.messages.count
        }
        // Header and payload bytes are authenticated; only bytes in the unused PN-length slack could survive.
        #expect(flipsDecoded == 0)
    }

    @Test("The buffered-bytes budget evicts the oldest connections holding partial CRYPTO data")
    func bufferedBudget() {
        let table = QUICConnectionTable(maxConnections: 100, cryptoCapacity: 1000, maxBufferedBytes: 2000)
        let data = [UInt8](repeating: 9, count: 50)
        for port in 1...3 {
            var client = Client()
            client.endpoint = EndpointKey(ipv4: 0x0202_0202, port: UInt16(port))
            client.dcid = [UInt8(port), 9, 9, 9, 9, 9, 9, 9]
            // A frame after a gap: storage up to offset 950 is held while the head is missing.
            _ = process(table, client.packet(Frames.crypto(900, data[...])), from: client.endpoint, to: serverEndpoint)
            #expect(table.bufferedBytes <= 2000)
        }
        #expect(table.connectionCount == 2)
        #expect(table.counters.evictedConnections == 1)
        #expect(table.bufferedBytes == 1900)
        table.removeAllConnections()
        #expect(table.bufferedBytes == 0)
        #expect(table.connectionCount == 0)
    }

    @Test("The connection table is bounded: oldest connections are evicted")
    func eviction() {
        let table = QUICConnectionTable(maxConnections: 2)
        for port in 1...3 {
            var client = Client()
            client.endpoint = EndpointKey(ipv4: 0x0101_0101, port: UInt16(port))
            client.dcid = [UInt8(port), 1, 2, 3, 4, 5, 6, 7]
            _ = process(table, client.packet(Frames.crypto(0, syntheticHello(bodyLength: 10)[0..<5])), from: client.endpoint, to: serverEndpoint)
        }
        #expect(table.connectionCount == 2)
        #expect(table.counters.evictedConnections == 1)
        let first = QUICConnectionKey(client: EndpointKey(ipv4: 0x0101_0101, port: 1), server: serverEndpoint, clientCID: QUICConnectionID())
        #expect(table.cryptoContiguousLength(first, direction: .client) == nil)
    }
}

@Suite("QUICCryptoStream")
struct QUICCryptoStreamTests {
    @Test("Messages are returned in order once complete; storage is released after the last one")
    func twoMessages() {
        var s = QUICCryptoStream(capacity: 1000)
        let m1: [UInt8] = [1, 0, 0, 3, 0xa, 0xb, 0xc]
        let m2: [UInt8] = [2, 0, 0, 1, 0xd]
        let all = m1 + m2
        all.withUnsafeBytes { s.insert(offset: 5, data: UnsafeRawBufferPointer(rebasing: $0[5...])) }
        #expect(s.hasPendingData)
        #expect(s.contiguousEnd == 0)
        #expect(s.nextCompleteMessage() == nil)
        all.withUnsafeBytes { s.insert(offset: 0, data: UnsafeRawBufferPointer(rebasing: $0[0..<6])) }
        #expect(s.contiguousEnd == all.count)
        #expect(s.nextCompleteMessage() == m1)
        #expect(s.pendingPrefix == m2)
        #expect(s.nextCompleteMessage() == m2)
        #expect(s.nextCompleteMessage() == nil)
        #expect(!s.hasPendingData)
        #expect(s.pendingPrefix.isEmpty)
        // Old data again: nothing new.
        all.withUnsafeBytes { s.insert(offset: 0, data: $0) }
        #expect(s.nextCompleteMessage() == nil)
        #expect(s.droppedBytes == 0)
    }
}
