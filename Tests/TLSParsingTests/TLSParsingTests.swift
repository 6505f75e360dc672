import Testing
import TLSParsing
import TestSupport

func parseStream(_ chunks: [[UInt8]]) -> [TLSStreamEvent] {
    var parser = TLSStreamParser()
    var events: [TLSStreamEvent] = []
    for c in chunks { c.withUnsafeBytes { parser.feed($0) { events.append($0) } } }
    return events
}

func handshakes(_ events: [TLSStreamEvent]) -> [(UInt8, [UInt8])] {
    events.compactMap { if case .handshake(let t, let b, _) = $0 { return (t, b) } else { return nil } }
}

@Suite struct RealClientHello {
    let record = HelloFixtures.record("python-default")

    @Test func typedAccessors() throws {
        let hs = HelloFixtures.handshake("python-default")
        #expect(hs[0] == 1)
        let hello = try ClientHello(body: Array(hs.dropFirst(4)))
        #expect(hello.legacyVersion == 0x0303)
        #expect(hello.serverName == "good.lab.test")
        #expect(hello.alpnProtocols.map { String(decoding: $0, as: UTF8.self) } == ["h2", "http/1.1"])
        #expect(hello.cipherSuites.first == 0x1302)
        #expect(hello.supportedVersions.contains(0x0304))
        #expect(hello.highestOfferedVersion == 0x0304)
        #expect(hello.keyShareGroups == [29])
        #expect(hello.ecPointFormats == [0, 1, 2])
        // OpenSSL 3.0 does not offer status_request unless asked.
        #expect(hello.statusRequest == nil)
        #expect(!hello.isSSLv2Format)
    }

    @Test func dripFeedAndBlastGiveTheSameMessage() {
        let blast = handshakes(parseStream([record]))
        let drip = handshakes(parseStream(record.map { [$0] }))
        #expect(blast.count == 1 && drip.count == 1)
        #expect(blast[0].1 == drip[0].1)
        #expect(blast[0].1 == Array(HelloFixtures.handshake("python-default").dropFirst(4)))
    }

    @Test(arguments: [2, 3, 4])
    func splitAcrossSegments(parts: Int) {
        let size = (record.count + parts - 1) / parts
        let chunks = stride(from: 0, to: record.count, by: size).map { Array(record[$0..<min($0 + size, record.count)]) }
        #expect(handshakes(parseStream(chunks)).count == 1)
    }

    @Test(arguments: [100, 256, 511])
    func splitAcrossRecords(fragment: Int) {
        let hs = HelloFixtures.handshake("python-default")
        let events = parseStream([HelloFixtures.records(of: hs, maximumFragment: fragment)])
        let msgs = handshakes(events)
        #expect(msgs.count == 1)
        #expect(msgs.first?.1 == Array(hs.dropFirst(4)))
    }

    @Test func twoMessagesInOneRecord() {
        let hs = HelloFixtures.handshake("python-tls12")
        let both = hs + hs
        let events = parseStream([HelloFixtures.records(of: both, maximumFragment: 16384)])
        #expect(handshakes(events).count == 2)
    }

    @Test func secondClientHelloAfterChangeCipherSpecIsRead() {
        let hs = HelloFixtures.handshake("python-default")
        let ccs: [UInt8] = [20, 3, 3, 0, 1, 1]
        let events = parseStream([record, ccs + record])
        #expect(handshakes(events).count == 2)
    }

    @Test func encryptedHandshakeAfterChangeCipherSpecStopsQuietly() {
        let ccs: [UInt8] = [20, 3, 3, 0, 1, 1]
        let finished: [UInt8] = [22, 3, 3, 0, 40] + [UInt8](repeating: 0x5a, count: 40)
        let events = parseStream([record, ccs + finished + record])
        #expect(handshakes(events).count == 1)
        #expect(events.contains { if case .encrypted = $0 { return true } else { return false } })
        #expect(!events.contains { if case .malformed = $0 { return true } else { return false } })
    }

    @Test func alertInClear() {
        let events = parseStream([[21, 3, 3, 0, 2, 2, 42]])
        guard case .alert(let level, let d)? = events.first else { Issue.record("no alert"); return }
        #expect(level == 2 && d == 42)
    }

    @Test func everyTruncationOfTheHelloIsNeedMoreNotAnError() {
        for n in 0..<record.count {
            let events = parseStream([Array(record.prefix(n))])
            #expect(events.isEmpty, "prefix \(n)")
        }
    }
}

@Suite struct Detection {
    @Test func recognisesHellosByContent() {
        let r = HelloFixtures.record("python-tls12")
        #expect(r.withUnsafeBytes { detectTLS($0) } == .tls)
        #expect(Array(r.prefix(3)).withUnsafeBytes { detectTLS($0) } == .needMoreBytes)
        #expect(Array("EHLO mail.example\r\n".utf8).withUnsafeBytes { detectTLS($0) } == .notTLS)
        #expect(Array("GET / HTTP/1.1\r\n".utf8).withUnsafeBytes { detectTLS($0) } == .notTLS)
        // SSL 2.0 CLIENT-HELLO header: length 0x2e, msg 1, version 3.1.
        #expect(([0x80, 0x2e, 0x01, 0x03, 0x01, 0, 3] as [UInt8]).withUnsafeBytes { detectTLS($0) } == .sslv2)
        // Application data is not a handshake start.
        #expect(([23, 3, 3, 0, 10, 1] as [UInt8]).withUnsafeBytes { detectTLS($0) } == .notTLS)
    }
}

@Suite struct MalformedInput {
    @Test func lyingLengthsAreErrorsNotTraps() throws {
        var body = Array(HelloFixtures.handshake("python-default").dropFirst(4))
        // cipher_suites length claims more than the body holds
        body[67] = 0xff; body[68] = 0xff
        #expect(throws: TLSParseError.self) { try ClientHello(body: body) }
        #expect(throws: TLSParseError.self) { try ClientHello(body: [3, 3]) }
        #expect(throws: TLSParseError.self) { try ServerHello(body: [3, 3, 1]) }
    }

    @Test func everyCorruptionOfARealHelloParsesOrFails() {
        let body = Array(HelloFixtures.handshake("python-default").dropFirst(4))
        for i in 0..<body.count {
            for v: UInt8 in [0x00, 0xff, body[i] ^ 0x80] {
                var b = body
                b[i] = v
                _ = try? ClientHello(body: b)
                if let h = try? ClientHello(body: b) {
                    _ = (h.serverName, h.alpnProtocols, h.supportedGroups, h.signatureAlgorithms, h.keyShareGroups,
                         h.statusRequest, h.supportedVersions, h.ecPointFormats)
                }
            }
        }
        for n in 0..<body.count { _ = try? ClientHello(body: Array(body.prefix(n))) }
    }

    @Test func recordHeaderGarbageIsMalformed() {
        let events = parseStream([[22, 9, 9, 0, 5, 1, 0, 0, 1, 0]])
        #expect(events.contains { if case .malformed("record_header") = $0 { return true } else { return false } })
    }

    @Test func hugeHandshakeLengthIsRefusedAtOnce() {
        // A "ClientHello" announcing 16 MB.
        let events = parseStream([[22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff]])
        #expect(events.contains { if case .malformed("handshake_too_large") = $0 { return true } else { return false } })
    }

    @Test func sslv2HelloParsesIntoTheSameModel() throws {
        // CLIENT-HELLO: version 3.1, 2 cipher specs, no session id, 16-byte challenge.
        let msg: [UInt8] = [1, 3, 1, 0, 6, 0, 0, 0, 16, 0x01, 0x00, 0x80, 0x00, 0x00, 0x2f] + [UInt8](repeating: 7, count: 16)
        let hello = try ClientHello.parseSSLv2(message: msg)
        #expect(hello.isSSLv2Format)
        #expect(hello.legacyVersion == 0x0301)
        #expect(hello.sslv2CipherSpecs == [0x010080, 0x00002f])
        #expect(hello.cipherSuites.isEmpty)
    }
}

@Suite struct ServerHelloParsing {
    @Test func helloRetryRequestIsRecognised() throws {
        let body: [UInt8] = [3, 3] + ServerHello.helloRetryRequestRandom + [0, 0x13, 0x01, 0, 0, 6, 0, 43, 0, 2, 3, 4]
        let sh = try ServerHello(body: body)
        #expect(sh.isHelloRetryRequest)
        #expect(sh.selectedVersion == 0x0304)
        #expect(sh.cipherSuite == 0x1301)
        #expect(sh.extensionTypes == [43])
    }
}

/// What a direction that stops mid-record holds: the bytes it sent, not the length its headers announce (a million
/// half-open handshakes each announcing 16 KiB must not reserve 16 GiB).
@Suite struct AnnouncedLengths {
    @Test func recordHeaderAnnouncingTheMaximum() {
        var parser = TLSStreamParser()
        // A handshake record announcing 18 KiB, of which 100 bytes arrive.
        let header: [UInt8] = [22, 3, 1, UInt8((TLSStreamParser.maximumRecordLength >> 8) & 0xff), UInt8(TLSStreamParser.maximumRecordLength & 0xff)]
        let chunk = header + [1, 0, 0, 200] + Array(repeating: 3, count: 96)
        var events: [TLSStreamEvent] = []
        chunk.withUnsafeBytes { parser.feed($0) { events.append($0) } }
        #expect(events.isEmpty)
        #expect(parser.bufferedBytes == chunk.count)
        #expect(parser.bufferedCapacity < 1024)
    }

    @Test func handshakeHeaderAnnouncingTheMaximum() {
        var parser = TLSStreamParser()
        // A whole record carrying the first 100 bytes of a handshake message announced at 256 KiB.
        let length = TLSStreamParser.defaultMaximumHandshakeLength
        let message: [UInt8] = [1, UInt8(length >> 16), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)] + Array(repeating: 3, count: 96)
        let record: [UInt8] = [22, 3, 1, 0, UInt8(message.count)] + message
        var events: [TLSStreamEvent] = []
        record.withUnsafeBytes { parser.feed($0) { events.append($0) } }
        #expect(events.isEmpty)
        #expect(parser.bufferedBytes == message.count)
        #expect(parser.bufferedCapacity < 1024)
        // A second record with more of it: still only what arrived.
        let more: [UInt8] = [22, 3, 1, 0, 200] + Array(repeating: 4, count: 200)
        more.withUnsafeBytes { parser.feed($0) { events.append($0) } }
        #expect(parser.bufferedBytes == message.count + 200)
        #expect(parser.bufferedCapacity < 2048)
    }
}
