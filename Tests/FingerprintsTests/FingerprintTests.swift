import Testing
import TLSParsing
import Fingerprints
import TestSupport

func hello(_ name: String) throws -> ClientHello {
    try ClientHello(body: Array(HelloFixtures.handshake(name).dropFirst(4)))
}

/// Builds a ClientHello body with the given lists (for rules no real hello in the fixtures exercises).
func syntheticHello(version: UInt16 = 0x0303, ciphers: [UInt16], extensions: [(UInt16, [UInt8])]) throws -> ClientHello {
    var body: [UInt8] = Frames.be16(version) + [UInt8](repeating: 1, count: 32) + [0]
    body += Frames.be16(UInt16(ciphers.count * 2)) + ciphers.flatMap(Frames.be16) + [1, 0]
    var ext: [UInt8] = []
    for (t, d) in extensions { ext += Frames.be16(t) + Frames.be16(UInt16(d.count)) + d }
    if !extensions.isEmpty { body += Frames.be16(UInt16(ext.count)) + ext }
    return try ClientHello(body: body)
}

func alpn(_ values: [[UInt8]]) -> (UInt16, [UInt8]) {
    let list = values.flatMap { [UInt8($0.count)] + $0 }
    return (16, Frames.be16(UInt16(list.count)) + list)
}

@Suite struct RealHellosAgainstTshark {
    /// Expected JA3 values are tshark 4.0.17's `tls.handshake.ja3_full` / `ja3` for the same bytes.
    @Test func pythonDefault() throws {
        let ja3 = try #require(JA3(clientHello: hello("python-default")))
        #expect(ja3.string == "771,4866-4867-4865-49196-49200-49195-49199-52393-52392-49188-49192-49187-49191-159-158-107-103-255,0-11-10-35-16-22-23-13-43-45-51-21,29-23-30-25-24-256-257-258-259-260,0-1-2")
        #expect(ja3.hash == "304734bb1c086c3453b387400cf83f11")
        let ja4 = JA4(clientHello: try hello("python-default"), transport: .tcp)
        #expect(ja4.prefix == "t13d1812h2")
        // The hashed parts are SHA-256 of the raw parts.
        let raw = ja4.ja4_r.split(separator: "_", maxSplits: 2).map(String.init)
        #expect(ja4.ja4 == "t13d1812h2_" + Digest.sha256Hex(raw[1], characters: 12) + "_" + Digest.sha256Hex(raw[2], characters: 12))
        #expect(ja4.ja4 == "t13d1812h2_85036bcba153_d41ae481755e")
    }

    @Test func pythonTLS12() throws {
        let ja3 = try #require(JA3(clientHello: hello("python-tls12")))
        #expect(ja3.hash == "70e47b149c152d891341c87d58c2b327")
        #expect(JA4(clientHello: try hello("python-tls12"), transport: .tcp).ja4 == "t12d150700_d68b136fe8d9_e7e480e5a997")
    }
}

@Suite struct JA4Rules {
    @Test func greaseIsIgnoredEverywhereIncludingSignatureAlgorithms() throws {
        let sig: [UInt16] = [0x0a0a, 0x0403, 0xeeee]
        let h = try syntheticHello(ciphers: [0x1a1a, 0x1301], extensions: [
            (0x2a2a, []), (13, Frames.be16(6) + sig.flatMap(Frames.be16)), (43, [4, 0x3a, 0x3a, 3, 4]),
        ])
        let j = JA4(clientHello: h, transport: .tcp)
        #expect(j.ja4_r == "t13i010200_1301_000d,002b_0403,eeee")  // 0xeeee is not GREASE
        #expect(JA3(clientHello: h)!.string == "771,4865,13-43,,")
    }

    @Test func alpnCharacters() throws {
        func code(_ v: [[UInt8]]) throws -> String {
            String(JA4(clientHello: try syntheticHello(ciphers: [1], extensions: [alpn(v)]), transport: .tcp).prefix.suffix(2))
        }
        #expect(try code([Array("h2".utf8)]) == "h2")
        #expect(try code([Array("http/1.1".utf8), Array("h2".utf8)]) == "h1")
        #expect(try code([Array("h".utf8)]) == "hh")          // one character used twice
        #expect(try code([[0xab]]) == "ab")                    // hex of the value: first and last digit
        #expect(try code([[0x30, 0xab]]) == "3b")
        #expect(try code([[0x30, 0x31, 0xab, 0xcd]]) == "3d")
        #expect(try code([[]]) == "00")                         // empty value
        #expect(try code([]) == "00")
    }

    @Test func emptyListsGiveZeros() throws {
        let h = try syntheticHello(ciphers: [], extensions: [(0, [])])
        let j = JA4(clientHello: h, transport: .tcp)
        #expect(j.ja4 == "t12d000100_000000000000_000000000000")
        #expect(j.ja4_r == "t12d000100__")
        #expect(j.ja4_ro == "t12d000100__0000")
        #expect(j.ja4_o == "t12d000100_000000000000_000000000000")
    }

    @Test func noSignatureAlgorithmsMeansNoTrailingUnderscore() throws {
        let h = try syntheticHello(ciphers: [0x002f], extensions: [(10, Frames.be16(2) + Frames.be16(29))])
        let j = JA4(clientHello: h, transport: .tcp)
        #expect(j.ja4_r == "t12i010100_002f_000a")
        #expect(j.ja4.hasSuffix("_" + Digest.sha256Hex("000a", characters: 12)))
    }

    @Test func versionFromSupportedVersionsAndDraftsAndTransports() throws {
        let draft = try syntheticHello(ciphers: [1], extensions: [(43, [4, 0x7f, 0x1c, 3, 4])])
        #expect(JA4(clientHello: draft, transport: .tcp).prefix.hasPrefix("t00"))
        let dtls = try syntheticHello(version: 0xfefd, ciphers: [1], extensions: [])
        #expect(JA4(clientHello: dtls, transport: .dtls).prefix.hasPrefix("dd2"))
        let quic = try syntheticHello(ciphers: [1], extensions: [(43, [2, 3, 4])])
        #expect(JA4(clientHello: quic, transport: .quic).prefix.hasPrefix("q13"))
        let counts = try syntheticHello(ciphers: Array(1...120), extensions: [])
        #expect(JA4(clientHello: counts, transport: .tcp).prefix == "t12i990000")
    }

    @Test func ja3WithoutExtensions() throws {
        let h = try syntheticHello(version: 0x0301, ciphers: [57, 56], extensions: [])
        #expect(JA3(clientHello: h)!.string == "769,57-56,,,")
    }

    @Test func statusRequestIndexCountsGREASE() throws {
        let sr: [UInt8] = [1, 0, 0, 0, 0]
        let h = try syntheticHello(ciphers: [1], extensions: [(0x0a0a, []), (0, Frames.be16(0)), (5, sr), (0x1a1a, [0])])
        let s = try #require(h.statusRequest)
        #expect(s.index == 2 && s.statusType == 1 && s.responderIDCount == 0)
        #expect(h.extensions.count == 4)
    }
}

@Suite struct JA3SRules {
    @Test func serverHelloKeepsGREASEAndOrder() throws {
        let body: [UInt8] = [3, 3] + [UInt8](repeating: 2, count: 32) + [0, 0xc0, 0x2f, 0, 0, 13,
                                                                         0xff, 0x01, 0, 1, 0, 0, 0, 0, 0, 0x0a, 0x0a, 0, 0]
        let sh = try ServerHello(body: body)
        let j = JA3(serverHello: sh)
        #expect(j.string == "771,49199,65281-0-2570")
    }

    @Test func knownSuricataValue() {
        // suricata-verify tls-ja3s: "771,49199,65281-0-11-16-23" → 5d79edf64e03689ff559a54e9d9487bc
        #expect(JA3(string: "771,49199,65281-0-11-16-23").hash == "5d79edf64e03689ff559a54e9d9487bc")
    }
}
