import Testing
@testable import QUICParsing

let clientEndpoint = EndpointKey(ipv4: 0xc0a8_0001, port: 50000)
let serverEndpoint = EndpointKey(ipv4: 0x0a00_0001, port: 443)

func process(_ table: QUICConnectionTable, _ bytes: [UInt8], from: EndpointKey, to: EndpointKey) -> QUICProcessResult {
    bytes.withUnsafeBytes { table.process(datagram: $0, from: from, to: to) }
}

@Suite("RFC 9001 / RFC 9369 sample packet protection")
struct QUICVectorTests {
    @Test("RFC 9001 A.1 keys from DCID 8394c8f03e515708")
    func v1Keys() throws {
        let initial = try #require(QUICInitialKeySchedule.initialSecret(version: QUICVersionNumber.v1, originalDCID: RFCVectors.dcid))
        #expect(initial == hexBytes("7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44"))
        let client = try #require(QUICInitialKeySchedule.keys(version: QUICVersionNumber.v1, originalDCID: RFCVectors.dcid, sender: .client))
        #expect(client.secret == hexBytes("c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea"))
        #expect(client.key == hexBytes("1f369613dd76d5467730efcbe3b1a22d"))
        #expect(client.iv == hexBytes("fa044b2f42a3fd3b46fb255c"))
        #expect(client.hp == hexBytes("9f50449e04a0e810283a1e9933adedd2"))
        let server = try #require(QUICInitialKeySchedule.keys(version: QUICVersionNumber.v1, originalDCID: RFCVectors.dcid, sender: .server))
        #expect(server.secret == hexBytes("3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b"))
        #expect(server.key == hexBytes("cf3a5331653c364c88f0f379b6067e37"))
        #expect(server.iv == hexBytes("0ac1493ca1905853b0bba03e"))
        #expect(server.hp == hexBytes("c206b8d9b9f0f37644430b490eeaa314"))
    }

    @Test("RFC 9369 A.1 keys (quicv2 labels, v2 salt)")
    func v2Keys() throws {
        let client = try #require(QUICInitialKeySchedule.keys(version: QUICVersionNumber.v2, originalDCID: RFCVectors.dcid, sender: .client))
        #expect(client.secret == hexBytes("14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b"))
        #expect(client.key == hexBytes("8b1a0bc121284290a29e0971b5cd045d"))
        #expect(client.iv == hexBytes("91f73e2351d8fa91660e909f"))
        #expect(client.hp == hexBytes("45b95e15235d6f45a6b19cbcb0294ba9"))
        let server = try #require(QUICInitialKeySchedule.keys(version: QUICVersionNumber.v2, originalDCID: RFCVectors.dcid, sender: .server))
        #expect(server.secret == hexBytes("0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1"))
        #expect(server.key == hexBytes("82db637861d55e1d011f19ea71d5d2a7"))
        #expect(server.iv == hexBytes("dd13c276499c0249d3310652"))
        #expect(server.hp == hexBytes("edf6d05c83121201b436e16877593c3a"))
    }

    @Test("RFC 9001 A.2/A.3: client Initial yields the ClientHello, server Initial the ServerHello", arguments: [QUICVersionNumber.v1, QUICVersionNumber.v2])
    func clientAndServerInitial(version: UInt32) throws {
        let clientPacket = version == QUICVersionNumber.v1 ? RFCVectors.v1ClientInitial : RFCVectors.v2ClientInitial
        let serverPacket = version == QUICVersionNumber.v1 ? RFCVectors.v1ServerInitial : RFCVectors.v2ServerInitial
        #expect(clientPacket.count == 1200)
        let table = QUICConnectionTable()
        let r1 = process(table, clientPacket, from: clientEndpoint, to: serverEndpoint)
        #expect(r1.kind == .longHeader(version: version, type: .initial))
        #expect(r1.decryptedInitials == 1)
        let ch = try #require(r1.messages.first)
        #expect(r1.messages.count == 1)
        #expect(ch.direction == .client)
        #expect(ch.version == version)
        #expect(ch.dcidHex == "8394c8f03e515708")
        #expect(ch.originalDCIDHex == "8394c8f03e515708")
        #expect(ch.packetIndex == 0)
        #expect(ch.handshakeType == 1)
        #expect(ch.bytes == RFCVectors.clientHello)
        #expect(ch.bytes.count == 4 + 0xed)

        let r2 = process(table, serverPacket, from: serverEndpoint, to: clientEndpoint)
        #expect(r2.kind == .longHeader(version: version, type: .initial))
        let sh = try #require(r2.messages.first)
        #expect(sh.direction == .server)
        #expect(sh.originalDCIDHex == "8394c8f03e515708")
        #expect(sh.bytes == RFCVectors.serverHello)
        #expect(sh.connection == ch.connection)
        #expect(table.counters.initialPackets == 2)
        #expect(table.counters.decryptFailures == 0)
        #expect(table.counters.cryptoFrames == 2)
        #expect(table.counters.handshakeMessages == 2)
    }

    @Test("A server Initial without its client's Initial cannot be decrypted and is counted")
    func serverWithoutClient() {
        let table = QUICConnectionTable()
        let r = process(table, RFCVectors.v1ServerInitial, from: serverEndpoint, to: clientEndpoint)
        #expect(r.messages.isEmpty)
        #expect(table.counters.decryptFailures == 1)
        #expect(table.connectionCount == 0)
    }

    @Test("draft-23 client Initial (version 0xff000017) decrypts with the draft salt")
    func draft23() throws {
        let table = QUICConnectionTable()
        let r = process(table, RFCVectors.draft23ClientInitial, from: clientEndpoint, to: serverEndpoint)
        #expect(r.kind == .longHeader(version: 0xff00_0017, type: .initial))
        let ch = try #require(r.messages.first)
        #expect(Array(ch.bytes.prefix(RFCVectors.draft23ClientHelloPrefix.count)) == RFCVectors.draft23ClientHelloPrefix)
        #expect(ch.bytes.count == 4 + 0xc0)
    }

    @Test("A flipped DCID byte derives wrong keys: counted as a decrypt failure, no connection kept")
    func wrongKeys() {
        var packet = RFCVectors.v1ClientInitial
        packet[6] ^= 0x01
        let table = QUICConnectionTable()
        let r = process(table, packet, from: clientEndpoint, to: serverEndpoint)
        #expect(r.messages.isEmpty)
        #expect(r.decryptedInitials == 0)
        #expect(table.counters.initialPackets == 1)
        #expect(table.counters.decryptFailures == 1)
        #expect(table.connectionCount == 0)
    }

    @Test("A flipped ciphertext byte fails the AEAD tag")
    func tamperedPayload() {
        var packet = RFCVectors.v2ClientInitial
        packet[600] ^= 0x80
        let table = QUICConnectionTable()
        let r = process(table, packet, from: clientEndpoint, to: serverEndpoint)
        #expect(r.messages.isEmpty)
        #expect(table.counters.decryptFailures == 1)
    }
}
