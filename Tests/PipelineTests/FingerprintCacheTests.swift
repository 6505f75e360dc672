import Testing
import TLSParsing
import Fingerprints
import TestSupport
@testable import Pipeline

/// The fingerprint cache gives exactly what computing JA3/JA4/JA3S afresh gives: on every hello of the lab
/// captures and the corpus (through the pipeline, which uses the cache), and on variants of those hellos built to
/// differ from a cached shape in one input at a time (order, GREASE, one list entry, SNI, ALPN, versions).
@Suite struct FingerprintCacheTests {
    static func captures() -> [String] {
        var paths = Paths.files(under: Paths.packageRoot + "/captures/lab", suffixes: [".pcap"])
        if let corpus = Paths.corpus { paths += Paths.files(under: corpus, suffixes: [".pcap", ".pcapng"]) }
        return paths
    }

    @Test func pipelineFingerprintsEqualFreshOnes() throws {
        var clients = 0, servers = 0
        for path in Self.captures() {
            let events = try analyze(path)
            for e in events.clientHellos {
                let transport: JA4.Transport = e.protocolName == "quic" ? .quic : e.protocolName == "dtls" ? .dtls : .tcp
                #expect(e.ja3 == JA3(clientHello: e.hello), "\(path) frame \(e.context.frame)")
                #expect(e.ja4 == JA4(clientHello: e.hello, transport: transport), "\(path) frame \(e.context.frame)")
                clients += 1
            }
            for e in events.serverHellos {
                #expect(e.ja3s == JA3(serverHello: e.hello), "\(path) frame \(e.context.frame)")
                servers += 1
            }
        }
        #expect(clients > 50)
        #expect(servers > 20)
    }

    @Test func everyInputChangesTheEntry() throws {
        var hellos: [ClientHello] = []
        for path in Self.captures().prefix(40) {
            for e in try analyze(path).clientHellos where !e.hello.isSSLv2Format && hellos.count < 60 { hellos.append(e.hello) }
        }
        #expect(hellos.count >= 20)
        var variants: [ClientHello] = []
        for h in hellos {
            variants.append(h)
            if h.extensions.count >= 3 {
                var v = h; v.extensions.swapAt(0, h.extensions.count - 1); variants.append(v)
                var w = h; w.extensions.removeLast(); variants.append(w)
                var g = h; g.extensions.insert(TLSExtension(type: 0x3a3a, data: []), at: 1); variants.append(g)
            }
            if !h.cipherSuites.isEmpty {
                var v = h; v.cipherSuites[0] = v.cipherSuites[0] == 0x002f ? 0x0035 : 0x002f; variants.append(v)
                var g = h; g.cipherSuites.insert(0xdada, at: 0); variants.append(g)
                var r = h; r.cipherSuites.reverse(); variants.append(r)
            }
            var lv = h; lv.legacyVersion = h.legacyVersion == 0x0303 ? 0x0301 : 0x0303; variants.append(lv)
            var noSNI = h; noSNI.extensions.removeAll { $0.type == ExtensionType.serverName }; variants.append(noSNI)
            var otherALPN = h
            otherALPN.extensions.removeAll { $0.type == ExtensionType.applicationLayerProtocolNegotiation }
            otherALPN.extensions.append(TLSExtension(type: ExtensionType.applicationLayerProtocolNegotiation, data: [0, 3, 2, 0x68, 0x33]))
            variants.append(otherALPN)
            var pf = h
            pf.extensions.removeAll { $0.type == ExtensionType.ecPointFormats }
            pf.extensions.append(TLSExtension(type: ExtensionType.ecPointFormats, data: [2, 0, 1]))
            variants.append(pf)
            var sv = h
            sv.extensions.removeAll { $0.type == ExtensionType.supportedVersions }
            sv.extensions.append(TLSExtension(type: ExtensionType.supportedVersions, data: [2, 0x03, 0x02]))
            variants.append(sv)
        }
        // Two passes over one small cache: misses, hits, and evictions when it starts over.
        for capacity in [4096, 7] {
            let cache = FingerprintCache(capacity: capacity)
            for _ in 0..<2 {
                for (i, v) in variants.enumerated() {
                    for transport in [JA4.Transport.tcp, .quic] {
                        let got = cache.clientHello(v, transport: transport)
                        #expect(got.ja3 == JA3(clientHello: v), "variant \(i)")
                        #expect(got.ja4 == JA4(clientHello: v, transport: transport), "variant \(i)")
                    }
                }
            }
            #expect(cache.hits > 0)
            #expect(cache.misses > 0)
        }
    }
}
