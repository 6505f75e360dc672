import Testing
import Pipeline
import PKIParsing
import TestSupport

/// One row of a Zeek `ocsp.log` baseline.
struct ZeekOCSPRow {
    var hashAlgorithm, issuerNameHash, issuerKeyHash, serial, certStatus: String
    var revokeTime: Int64?
    var revokeReason: String?
    var thisUpdate: Int64
    var nextUpdate: Int64?

    static func load(_ test: String) -> [ZeekOCSPRow] {
        guard let bytes = Paths.readFile(Paths.corpus! + "/zeek-ocsp/baseline/scripts.base.protocols.ssl.\(test)__ocsp.log") else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            func time(_ s: String) -> Int64? { s == "-" ? nil : Int64(Double(s)!) }
            return ZeekOCSPRow(hashAlgorithm: f[2], issuerNameHash: f[3], issuerKeyHash: f[4], serial: f[5], certStatus: f[6],
                               revokeTime: time(f[7]), revokeReason: f[8] == "-" ? nil : f[8], thisUpdate: time(f[9])!,
                               nextUpdate: time(f[10]))
        }
    }
}

extension EventCollector {
    var ocspRequests: [OCSPRequestEvent] { events.compactMap { if case .ocspRequest(let e) = $0 { return e } else { return nil } } }
    var ocspResponses: [OCSPResponseEvent] { events.compactMap { if case .ocspResponse(let e) = $0 { return e } else { return nil } } }
    var staples: [OCSPStapleEvent] { events.compactMap { if case .ocspStaple(let e) = $0 { return e } else { return nil } } }
    var certificates: [CertificateEvent] { events.compactMap { if case .certificate(let e) = $0 { return e } else { return nil } } }
    var crlFetches: [CRLFetchEvent] { events.compactMap { if case .crlFetch(let e) = $0 { return e } else { return nil } } }
}

@Suite(.enabled(if: Paths.corpusAvailable, "reference corpus ../shared/corpus not present"))
struct ZeekOCSPBaselines {
    /// Every field of Zeek's ocsp.log baselines is reproduced by the ocsp_response events of the same capture.
    @Test(arguments: [("ocsp-http-get", 1), ("ocsp-request-response", 1), ("ocsp-response-only", 1), ("ocsp-revoked", 4)])
    func ocspLogFields(test: String, rows expectedRows: Int) throws {
        let rows = ZeekOCSPRow.load(test)
        #expect(rows.count == expectedRows)
        let events = try analyze(Paths.corpus! + "/zeek-ocsp/\(test).pcap")
        let singles = events.ocspResponses.flatMap { $0.response.basic?.responses ?? [] }
        #expect(singles.count == rows.count)
        for row in rows {
            let s = try #require(singles.first { $0.certID.serialNumber.hex == row.serial.lowercased() }, "serial \(row.serial)")
            #expect(s.certID.hashAlgorithmName == row.hashAlgorithm)
            #expect(s.certID.issuerNameHashHex == row.issuerNameHash.lowercased())
            #expect(s.certID.issuerKeyHashHex == row.issuerKeyHash.lowercased())
            #expect(s.certStatus.name == row.certStatus)
            #expect(s.certStatus.revokedInfo?.revocationTime.secondsSinceEpoch == row.revokeTime)
            #expect(s.certStatus.revokedInfo?.revocationReason?.name == row.revokeReason)
            #expect(s.thisUpdate.secondsSinceEpoch == row.thisUpdate)
            #expect(s.nextUpdate?.secondsSinceEpoch == row.nextUpdate)
        }
    }

    @Test func requestOnlyAndGETRequest() throws {
        let post = try analyze(Paths.corpus! + "/zeek-ocsp/ocsp-request-only.pcap")
        let r = try #require(post.ocspRequests.first)
        #expect(r.http.method == "POST" && r.http.host == "ocsp.godaddy.com")
        #expect(r.responder?.operator == "GoDaddy")
        #expect(r.request.certIDs.map(\.serialNumber.hex) == ["081c862dc8aac9"])
        #expect(r.request.certIDs[0].issuerNameHashHex == "b6080d5f6c6b76eb13e438a5f8660ba85233344e")
        let get = try analyze(Paths.corpus! + "/zeek-ocsp/ocsp-http-get.pcap")
        let g = try #require(get.ocspRequests.first)
        #expect(g.http.method == "GET" && g.http.host == "clients1.google.com" && g.http.uri.hasPrefix("/ocsp/"))
        #expect(g.request.certIDs.map(\.serialNumber.hex) == ["3d474496ff942316"])
        let resp = try #require(get.ocspResponses.first)
        #expect(resp.requestFrame == g.context.frame)
        #expect((resp.latencyMilliseconds ?? -1) > 0)
    }

    @Test func revokedResponsesWithoutHostHeader() throws {
        let events = try analyze(Paths.corpus! + "/zeek-ocsp/ocsp-revoked.pcap")
        #expect(events.ocspRequests.count == 4)
        #expect(events.ocspRequests.allSatisfy { $0.http.host == nil && $0.http.method == "POST" })
        #expect(events.ocspResponses.count == 4)
    }

    /// Staples: CertificateStatus in TLS 1.0 handshakes, good, with the leaf they cover.
    @Test(arguments: [("ocsp-stapling.pcap", "62035c00776a614eaf430c6a5c56e2bd"),
                      ("ocsp-stapling-twimg.pcap", "0c1af634fd9bd197245c7d54b4fd3b8a"),
                      ("ocsp-stapling-digicert.pcap", "03b6ab7407b516ef13baeab315d22130")])
    func staples(capture: String, serial: String) throws {
        let events = try analyze(Paths.corpus! + "/zeek-ocsp/" + capture)
        let staple = try #require(events.staples.first)
        let normalised = try #require(SerialNumber(hex: serial)).hex
        #expect(staple.response.basic?.responses.first?.certID.serialNumber.hex == normalised)
        #expect(staple.response.basic?.responses.first?.certStatus.name == "good")
        #expect(staple.clientOfferedStatusRequest && staple.serverAcknowledged && !staple.stapleWithoutRequest)
        #expect(staple.leafSerial == normalised)
        let leaf = try #require(events.certificates.first { $0.chainIndex == 0 })
        #expect(leaf.certificate.serialNumber.hex == normalised)
        #expect(leaf.stapled && !leaf.mustStapleWithoutStaple)
    }
}

@Suite struct HiddenResponderContacts {
    /// A DNS query for a catalogue OCSP host and a TLS hello whose SNI is one are reported with low confidence;
    /// other names are not.
    @Test func dnsAndSNI() throws {
        func dns(_ name: String) -> [UInt8] {
            var q: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
            for label in name.split(separator: ".") { q.append(UInt8(label.utf8.count)); q += Array(label.utf8) }
            return q + [0, 0, 1, 0, 1]
        }
        var b = PcapBuilder()
        for name in ["ocsp.digicert.com", "www.example.com"] {
            b.add(Frames.ethernet(type: 0x0800, Frames.ipv4(src: [10, 0, 0, 1], dst: [10, 0, 0, 53], proto: 17,
                                                          Frames.udp(sport: 33333, dport: 53, dns(name)))))
        }
        // The python fixture's SNI is good.lab.test: not a responder. Rewrite nothing; add a catalogue entry instead.
        let events = try analyzeBytes(b.bytes)
        let contacts = events.events.compactMap { if case .responderContact(let e) = $0 { return e } else { return nil } }
        #expect(contacts.count == 1)
        #expect(contacts.first?.via == "dns" && contacts.first?.host == "ocsp.digicert.com")
        #expect(contacts.first?.responder.operator.contains("DigiCert") == true)
        #expect(events.summaries[0].counters["dns_queries"] == 2)
    }

    /// DNS names are looked up as bytes when ASCII; names the byte lookup does not take (non-ASCII bytes, more
    /// than 255 bytes) go through the string lookup. Only catalogue names are reported, lower-cased.
    @Test func dnsNamesOfEveryKind() throws {
        func dns(_ labels: [[UInt8]]) -> [UInt8] {
            var q: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
            for label in labels { q.append(UInt8(label.count)); q += label }
            return q + [0, 0, 1, 0, 1]
        }
        func labels(_ name: String) -> [[UInt8]] { name.split(separator: ".").map { Array($0.utf8) } }
        let long = Array(repeating: Array(repeating: UInt8(ascii: "a"), count: 63), count: 4)
        let names: [([[UInt8]], String?)] = [
            (labels("OCSP.DigiCert.COM"), "ocsp.digicert.com"),
            (labels("ocsp.sca1b.amazontrust.com"), "ocsp.sca1b.amazontrust.com"),  // wildcard entry
            (labels("crl3.digicert.com"), "crl3.digicert.com"),
            ([Array("ocsp".utf8), [0xc3, 0xa9], Array("digicert".utf8), Array("com".utf8)], nil),  // non-ASCII label
            (long + labels("ocsp.sca1b.amazontrust.com"), String(repeating: String(repeating: "a", count: 63) + ".", count: 4) + "ocsp.sca1b.amazontrust.com"),
            (long + labels("www.example.com"), nil),
            (labels("digicert.com"), nil),
            (labels("xocsp.digicert.com"), nil),
        ]
        var b = PcapBuilder()
        for (name, _) in names {
            b.add(Frames.ethernet(type: 0x0800, Frames.ipv4(src: [10, 0, 0, 1], dst: [10, 0, 0, 53], proto: 17,
                                                          Frames.udp(sport: 33333, dport: 53, dns(name)))))
        }
        let events = try analyzeBytes(b.bytes)
        let contacts = events.events.compactMap { if case .responderContact(let e) = $0 { return e } else { return nil } }
        #expect(contacts.map(\.host) == names.compactMap(\.1))
        #expect(contacts.allSatisfy { $0.via == "dns" })
        #expect(events.summaries[0].counters["dns_queries"] == names.count)
    }

    /// How catalogue lines are read: empty lines skipped, lines of fewer than three fields skipped, fields after
    /// the third ignored, hosts lower-cased (Unicode too), `*.` entries as suffixes; CRLF line ends as LF ones.
    @Test func catalogueLines() {
        let tsv = "\nA.Example.COM\tOp A\tocsp\textra\nb.example.com\tOp B\n\n*.C.example.com\tOp C\tcrl\nÉ.example.com\tOp E\tocsp\n"
        let c = ResponderCatalogue(tsv: tsv)
        #expect(c.count == 3)
        #expect(c.lookup("a.example.com").map { [$0.host, $0.operator, $0.kind] } == ["a.example.com", "Op A", "ocsp"])
        #expect(c.lookup("b.example.com") == nil)
        #expect(c.lookup("x.c.example.com")?.operator == "Op C")
        #expect(c.lookup("é.example.com")?.operator == "Op E")
        let crlf = ResponderCatalogue(tsv: "a.example.com\tOp A\tocsp\r\nb.example.com\tOp B\tcrl\r\n\r\nc.example.com\tOp C\r\n")
        #expect(crlf.count == 2)
        #expect(crlf.lookup("a.example.com")?.kind == "ocsp")
        #expect(crlf.lookup("b.example.com")?.kind == "crl")
        #expect(crlf.lookup("c.example.com") == nil)
    }

    @Test func catalogueLookups() {
        let c = ResponderCatalogue.shared
        #expect(c.lookup("ocsp.godaddy.com")?.operator == "GoDaddy")
        #expect(c.lookup("OCSP.GODADDY.COM:80")?.operator == "GoDaddy")
        #expect(c.lookup("r11.o.lencr.org", kind: "ocsp")?.operator == "Let's Encrypt")
        #expect(c.lookup("ocsp.sca1b.amazontrust.com")?.operator == "Amazon")  // wildcard entry
        #expect(c.lookup("example.com") == nil)
        #expect(c.count > 250)
    }

    /// The compiled-in catalogue is generated from data/responders.csv.
    @Test func catalogueMatchesItsCSV() throws {
        let csv = String(decoding: try #require(Paths.readFile(Paths.packageRoot + "/data/responders.csv")), as: UTF8.self)
        let rows = csv.split(whereSeparator: \.isNewline).dropFirst().count
        #expect(ResponderCatalogue.shared.count == rows, "run scripts/gen-responders.py after editing data/responders.csv")
    }
}
