import Testing
import QUICParsing

/// Expected ClientHello per QUIC capture, as dissected by tshark 4.0.17:
/// frame, SNI, handshake length field, cipher-suite count.
struct ExpectedHello: Sendable, CustomStringConvertible {
    var frame: Int
    var sni: String
    var length: Int
    var ciphers: Int
    var description: String { "frame \(frame) \(sni)" }
}

struct QUICCapture: Sendable, CustomStringConvertible {
    var corpus: String
    var capture: String
    var version: UInt32
    var clientHellos: [ExpectedHello]
    /// Frames whose Initial carries a complete ServerHello (tshark: handshake type 2, length 86, one cipher).
    var serverHelloFrames: [Int]
    var description: String { capture }

    var relativePath: String { corpus + "/" + capture }
}

private func hello(_ frame: Int, _ sni: String, _ length: Int) -> ExpectedHello {
    ExpectedHello(frame: frame, sni: sni, length: length, ciphers: 3)
}

let quicCaptures: [QUICCapture] = [
    QUICCapture(
        corpus: "foxio", capture: "pcap/quic-with-several-tls-frames.pcapng", version: QUICVersionNumber.v1,
        clientHellos: [hello(1, "ogs.google.com", 291)], serverHelloFrames: []
    ),
    QUICCapture(
        corpus: "foxio", capture: "pcap/tls-handshake.pcapng", version: QUICVersionNumber.v1,
        clientHellos: [
            hello(3, "www.google.com", 293), hello(4, "accounts.google.com", 295),
            hello(11, "www.googleapis.com", 304), hello(23, "update.googleapis.com", 295),
            hello(27, "encrypted-tbn0.gstatic.com", 313), hello(29, "history.google.com", 291),
            hello(31, "www.gstatic.com", 290), hello(35, "ogs.google.com", 291), hello(36, "aa.google.com", 290),
            hello(43, "content-autofill.googleapis.com", 307), hello(45, "encrypted-tbn0.gstatic.com", 309),
            hello(65, "safebrowsing.googleapis.com", 304), hello(66, "scontent-iad3-2.xx.fbcdn.net", 303),
            hello(67, "static.xx.fbcdn.net", 288), hello(71, "www.facebook.com", 287),
            hello(73, "static.xx.fbcdn.net", 297), hello(101, "video-iad3-2.xx.fbcdn.net", 298),
            hello(103, "content-autofill.googleapis.com", 310), hello(105, "optimizationguide-pa.googleapis.com", 322),
            hello(168, "lh5.googleusercontent.com", 306),
        ],
        serverHelloFrames: [5, 6, 12, 25, 28, 30, 32, 37, 38, 44, 46, 68, 69, 70, 72, 74, 102, 104, 106, 169]
    ),
    QUICCapture(
        corpus: "suricata-verify", capture: "ja4-quic/input.pcap", version: QUICVersionNumber.v1,
        clientHellos: [
            hello(1, "www.blogger.com", 280), hello(2, "socpuppet.blogspot.com", 283), hello(3, "apis.google.com", 287),
            hello(4, "www.blogger.com", 291), hello(5, "apis.google.com", 279), hello(6, "www.google.com", 276),
            hello(7, "www.gstatic.com", 290), hello(8, "fonts.gstatic.com", 289), hello(9, "4.bp.blogspot.com", 289),
            hello(10, "1.bp.blogspot.com", 291), hello(11, "2.bp.blogspot.com", 288),
        ],
        serverHelloFrames: []
    ),
    QUICCapture(
        corpus: "suricata-verify", capture: "ja4-tls-quic/input.pcap", version: QUICVersionNumber.v1,
        clientHellos: [hello(47, "cloudflare-quic.com", 296)], serverHelloFrames: [49]
    ),
    QUICCapture(
        corpus: "suricata-verify", capture: "quic-v2-ja3/input.pcap", version: QUICVersionNumber.v2,
        clientHellos: [hello(1, "", 247)], serverHelloFrames: [2]
    ),
]

struct DecodedMessage {
    var frame: Int
    var message: QUICHandshakeMessage
}

func decodeQUICCapture(_ relativePath: String) throws -> (messages: [DecodedMessage], table: QUICConnectionTable, udpFrames: Set<Int>) {
    let datagrams = try CaptureFixtures.udpDatagrams(relativePath)
    let table = QUICConnectionTable()
    var out: [DecodedMessage] = []
    for d in datagrams {
        let r = d.payload.withUnsafeBytes { table.process(datagram: $0, from: d.source, to: d.destination) }
        for m in r.messages { out.append(DecodedMessage(frame: d.frame, message: m)) }
    }
    return (out, table, Set(datagrams.map(\.frame)))
}

@Suite("QUIC corpus captures", .enabled(if: CaptureFixtures.corpusAvailable, "needs ../shared/corpus next to the package"))
struct QUICCorpusTests {
    @Test("Every ClientHello is reassembled with tshark's SNI, length and cipher count", arguments: quicCaptures)
    func clientHellos(_ capture: QUICCapture) throws {
        let (messages, table, _) = try decodeQUICCapture(capture.relativePath)
        let clients = messages.filter { $0.message.direction == .client }
        #expect(clients.map(\.frame) == capture.clientHellos.map(\.frame))
        for (got, want) in zip(clients, capture.clientHellos) {
            let m = got.message.bytes
            #expect(m[0] == 1)
            let lengthField = Int(m[1]) << 16 | Int(m[2]) << 8 | Int(m[3])
            #expect(lengthField == want.length, "\(want)")
            #expect(m.count == 4 + lengthField)
            #expect(got.message.version == capture.version)
            let summary = try #require(HelloSummary(message: m), "\(want)")
            #expect(summary.serverName == want.sni, "\(want)")
            #expect(summary.cipherCount == want.ciphers, "\(want)")
        }
        #expect(table.counters.decryptFailures == 0)
        #expect(table.counters.malformed == 0)
        #expect(table.counters.cryptoBytesDropped == 0)
    }

    @Test("Every QUIC ServerHello is read from the server Initial (keys from the client's original DCID)", arguments: quicCaptures)
    func serverHellos(_ capture: QUICCapture) throws {
        let (messages, _, _) = try decodeQUICCapture(capture.relativePath)
        let servers = messages.filter { $0.message.direction == .server }
        #expect(servers.map(\.frame) == capture.serverHelloFrames)
        for s in servers {
            let m = s.message.bytes
            #expect(m[0] == 2)
            #expect(m.count == 4 + 86)
            // ServerHello: version(2) random(32) session_id<..> cipher_suite(2) — TLS_AES_128_GCM_SHA256.
            let sidLength = Int(m[4 + 34])
            #expect(m[4 + 35 + sidLength] == 0x13 && m[4 + 36 + sidLength] == 0x01)
        }
    }

    @Test("ClientHellos complete on exactly the EXPECTED.tsv frames", arguments: quicCaptures)
    func expectedFrames(_ capture: QUICCapture) throws {
        let (messages, _, udpFrames) = try decodeQUICCapture(capture.relativePath)
        let rows = try CaptureFixtures.expectedRows(corpus: capture.corpus, capture: capture.capture)
        let expectedClient = rows.filter { $0.kind == "ja3" && udpFrames.contains($0.frame) }.map(\.frame)
        let expectedServer = rows.filter { $0.kind == "ja3s" && udpFrames.contains($0.frame) }.map(\.frame)
        #expect(!expectedClient.isEmpty)
        #expect(messages.filter { $0.message.direction == .client }.map(\.frame) == expectedClient)
        #expect(messages.filter { $0.message.direction == .server }.map(\.frame) == expectedServer)
    }

    @Test("Reassembled bytes reproduce EXPECTED.tsv's JA3 and JA3S strings for every QUIC hello", arguments: quicCaptures)
    func ja3Strings(_ capture: QUICCapture) throws {
        let (messages, _, udpFrames) = try decodeQUICCapture(capture.relativePath)
        let rows = try CaptureFixtures.expectedValues(corpus: capture.corpus, capture: capture.capture)
            .filter { udpFrames.contains($0.frame) }
        let clientRows = rows.filter { $0.kind == "ja3_string" }
        let serverRows = rows.filter { $0.kind == "ja3s_string" }
        #expect(clientRows.count == capture.clientHellos.count)
        #expect(serverRows.count == capture.serverHelloFrames.count)
        for row in clientRows {
            let m = try #require(messages.first { $0.frame == row.frame && $0.message.direction == .client }, "frame \(row.frame)")
            #expect(JA3Strings.client(m.message.bytes) == row.value, "frame \(row.frame)")
        }
        for row in serverRows {
            let m = try #require(messages.first { $0.frame == row.frame && $0.message.direction == .server }, "frame \(row.frame)")
            #expect(JA3Strings.server(m.message.bytes) == row.value, "frame \(row.frame)")
        }
    }

    @Test("ja4-quic: ClientHellos arrive in several CRYPTO frames and still reassemble")
    func multiFrameHellos() throws {
        let (messages, table, _) = try decodeQUICCapture("suricata-verify/ja4-quic/input.pcap")
        #expect(messages.count == 11)
        // tshark: 2–7 CRYPTO frames per ClientHello; at least 22 over the 11 packets.
        #expect(table.counters.cryptoFrames >= 22)
        #expect(table.counters.initialPackets == 11)
    }

    @Test("quic-v2-ja3: coalesced server datagram — Initial decrypted, Handshake packets skipped")
    func v2Coalesced() throws {
        let (messages, table, _) = try decodeQUICCapture("suricata-verify/quic-v2-ja3/input.pcap")
        #expect(messages.count == 2)
        #expect(messages.allSatisfy { $0.message.version == QUICVersionNumber.v2 })
        #expect(table.counters.handshakePackets >= 1)
        let server = try #require(messages.first { $0.message.direction == .server })
        #expect(server.message.packetIndex == 0)
        #expect(server.message.originalDCIDHex == "0ac503e9808eff1ca8a3e6cb2cf0a394069f")
    }
}
