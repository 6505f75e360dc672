#if canImport(Glibc)
import Glibc
#endif
import PKIParsing
import Testing
import TestSupport
@testable import CTIndex

private func crtshRow(serial: String, host: String, id: Int = 1, issuer: String = "C=XX, O=Test, CN=Test CA") -> String {
    """
    {"issuer_ca_id":1,"issuer_name":"\(issuer)","common_name":"\(host)","name_value":"\(host)","id":\(id),\
    "entry_timestamp":null,"not_before":"2026-01-02T03:04:05","not_after":"2027-01-02T03:04:05",\
    "serial_number":"\(serial)","result_count":1}
    """
}

private func certstreamLine(serial: String, host: String) -> String {
    """
    {"message_type":"certificate_update","data":{"update_type":"X509LogEntry","cert_index":42,"leaf_cert":\
    {"all_domains":["\(host)"],"serial_number":"\(serial)","subject":{"CN":"\(host)"},"not_before":1,\
    "not_after":2.5},"chain":[{"subject":{"aggregated":"/C=XX/CN=Test CA/O=Test"}}]}}
    """
}

private func censysLine(serial: String, host: String) -> String {
    """
    {"parsed":{"serial_number":"\(serial)","names":["\(host)"],"issuer_dn":"C=XX, O=Test, CN=Test CA",\
    "validity":{"start":"2026-01-02T03:04:05Z","end":"2027-01-02T03:04:05Z"}},"ct":{"log":{"index":9}}}
    """
}

/// Serial spellings, malformed and truncated input, huge records — for each reader.
@Suite struct ReaderTests {
    /// Spellings of the serial 0x8f00000000000001 (top bit set) and of 0x0abc (odd length).
    static let topBitSpellings = ["008f00000000000001", "8f00000000000001", "8F00000000000001", "008F00000000000001",
                                  "8f:00:00:00:00:00:00:01", "0x8f00000000000001", "0000008f00000000000001"]
    static let oddSpellings = ["abc", "ABC", "0abc", "000ABC", "0a:bc", "0xabc"]

    @Test(arguments: topBitSpellings + oddSpellings)
    func crtshSerialSpellings(spelling: String) throws {
        var index = CTIndex()
        let doc = "[\n" + crtshRow(serial: spelling, host: "a.example") + "\n]\n"
        let s = try index.load(bytes: Array(doc.utf8), name: "t.json")
        #expect(s.format == .crtsh)
        #expect(s.entries == 1 && s.malformed == 0)
        let key = ReaderTests.oddSpellings.contains(spelling) ? "0abc" : "8f00000000000001"
        let m = try #require(index.lookup(serialHex: key))
        #expect(m.serial == key)
        #expect(m.hostnames == ["a.example"])
    }

    @Test(arguments: topBitSpellings + oddSpellings)
    func certstreamSerialSpellings(spelling: String) throws {
        var index = CTIndex()
        let s = try index.load(bytes: Array((certstreamLine(serial: spelling, host: "b.example") + "\n").utf8),
                               name: "t.ndjson")
        #expect(s.format == .certstream)
        #expect(s.entries == 1 && s.malformed == 0)
        let key = ReaderTests.oddSpellings.contains(spelling) ? "abc" : "8f00000000000001"
        let m = try #require(index.lookup(serialHex: key))
        #expect(m.hostnames == ["b.example"])
        #expect(m.candidates[0].recordID == 42)
        #expect(m.candidates[0].notAfter == 2)
    }

    @Test func censysDecimalSerials() throws {
        var index = CTIndex()
        // 0x8f00000000000001 = 10304235947423694849; 0xabc = 2748.
        let doc = censysLine(serial: "10304235947423694849", host: "c.example") + "\n"
            + censysLine(serial: "2748", host: "d.example") + "\n" + censysLine(serial: "12ab", host: "bad") + "\n"
        let s = try index.load(bytes: Array(doc.utf8), name: "t.ndjson")
        #expect(s.format == .censys)
        #expect(s.entries == 2)
        #expect(s.malformed == 1)
        #expect(s.problems.first?.record == 3 && s.problems.first?.line == 3)
        #expect(index.lookup(serialHex: "008F00000000000001")?.hostnames == ["c.example"])
        #expect(index.lookup(serialHex: "abc")?.hostnames == ["d.example"])
        #expect(index.lookup(serialHex: "abc")?.candidates.first?.recordID == 9)
    }

    @Test func crtshMalformedRecordsAreCountedWithPositions() throws {
        let rows = [
            crtshRow(serial: "01", host: "ok1.example", id: 1),
            crtshRow(serial: "zz", host: "bad-serial.example", id: 2),
            #"{"issuer_name":"C=XX, CN=x","name_value":"no-serial.example","id":3}"#,
            #"{"serial_number":"05","name_value":"bad-json.example" "id":4}"#,
            crtshRow(serial: "06", host: "ok2.example", id: 6),
        ]
        var index = CTIndex()
        let s = try index.load(bytes: Array(("[\n" + rows.joined(separator: ",\n") + "\n]").utf8), name: "m.json")
        #expect(s.entries == 2)
        #expect(s.malformed == 3)
        #expect(s.problems.map(\.record) == [2, 3, 4])
        #expect(s.problems.map(\.line) == [3, 4, 5])
        #expect(s.problems[0].reason.contains("serial"))
        #expect(index.lookup(serialHex: "06")?.hostnames == ["ok2.example"])
        #expect(index.lookup(serialHex: "05") == nil)
    }

    @Test func ndjsonResynchronisesAfterACutLine() throws {
        let good = crtshRow(serial: "0a", host: "x.example")
        let doc = String(good.prefix(60)) + "\n" + crtshRow(serial: "0b", host: "y.example") + "\n"
            + "garbage line\n" + String(good.prefix(100)) + "\n" + crtshRow(serial: "0c", host: "z.example")
        var index = CTIndex()
        let s = try index.load(bytes: Array(doc.utf8), name: "cut.ndjson", format: .crtsh)
        #expect(s.entries == 2)
        #expect(s.malformed == 3)
        #expect(index.lookup(serialHex: "0b")?.hostnames == ["y.example"])
        #expect(index.lookup(serialHex: "0c")?.hostnames == ["z.example"])
    }

    @Test(arguments: [1, 3, 7, 64, 4096])
    func recordsSpanningChunksAreReassembled(chunkSize: Int) throws {
        var index = CTIndex()
        let s = try index.load(bytes: Fixture.bytes("crtsh.json"), name: "crtsh.json", format: .crtsh, chunkSize: chunkSize)
        #expect(s.entries == 5 && s.malformed == 0)
        var index2 = CTIndex()
        let s2 = try index2.load(bytes: Fixture.bytes("get-entries.json"), name: "g.json", chunkSize: chunkSize)
        #expect(s2.entries == 2 && s2.malformed == 0)
        var index3 = CTIndex()
        let s3 = try index3.load(bytes: Fixture.bytes("issuers.pem"), name: "i.pem", chunkSize: chunkSize)
        #expect(s3.entries == 3 && s3.malformed == 0)
    }

    /// Every prefix of a one-record file: no crash, at most one entry; a prefix that holds the start of the record
    /// (`recordStart` bytes or more) but not its end is counted as malformed; one with the whole record loads it.
    static func checkTruncations(_ bytes: [UInt8], format: CTSourceFormat, recordStart: Int, recordEnd: Int) throws {
        for length in 0...bytes.count {
            var index = CTIndex()
            let s = try index.load(bytes: Array(bytes[0..<length]), name: "cut", format: format, chunkSize: 512)
            #expect(s.entries <= 1)
            #expect(s.entries + s.malformed + s.oversized <= 1, "length \(length): \(s)")
            if length >= recordEnd {
                #expect(s.entries == 1, "length \(length): \(s)")
            } else if length >= recordStart {
                #expect(s.entries == 0 && s.malformed == 1, "length \(length): \(s)")
            } else {
                // Before the record: nothing, or a cut wrapper (get-entries before its "entries" key) counted once.
                #expect(s.entries == 0 && s.malformed <= 1, "length \(length): \(s)")
            }
        }
    }

    static func jsonRecordStart(_ bytes: [UInt8], after marker: String? = nil) -> Int {
        var from = 0
        if let marker {
            let m = Array(marker.utf8)
            from = (0...(bytes.count - m.count)).first { Array(bytes[$0..<($0 + m.count)]) == m } ?? 0
        }
        return (bytes[from...].firstIndex(of: UInt8(ascii: "{")) ?? 0) + 1
    }

    @Test func truncatedCrtsh() throws {
        let doc = Array(("[\n" + crtshRow(serial: "01", host: "a.example") + "\n]\n").utf8)
        let end = doc.lastIndex(of: UInt8(ascii: "}"))! + 1
        try ReaderTests.checkTruncations(doc, format: .crtsh, recordStart: 3, recordEnd: end)
    }

    @Test func truncatedCertstreamAndCensys() throws {
        let cs = Array(certstreamLine(serial: "0102", host: "a.example").utf8)
        try ReaderTests.checkTruncations(cs, format: .certstream, recordStart: 1, recordEnd: cs.count)
        let ce = Array(censysLine(serial: "258", host: "a.example").utf8)
        try ReaderTests.checkTruncations(ce, format: .censys, recordStart: 1, recordEnd: ce.count)
    }

    @Test func truncatedGetEntriesAndPEMAndDER() throws {
        // One entry of the fixture's get-entries (the x509_entry), re-wrapped.
        let full = Fixture.text("get-entries.json")
        let firstEnd = try #require(full.firstIndex(of: "}"))
        let one = Array((String(full[...firstEnd]) + "]}").utf8)
        try ReaderTests.checkTruncations(one, format: .rfc6962, recordStart: ReaderTests.jsonRecordStart(one, after: "["),
                                         recordEnd: one.count - 2)
        let pem = Fixture.bytes("ca-a.pem")
        // The block starts with "-----BEGIN C" and ends as soon as a line starts with "-----END ".
        let endLine = try #require(Fixture.text("ca-a.pem").range(of: "-----END "))
        let pemEnd = Fixture.text("ca-a.pem").utf8.distance(from: Fixture.text("ca-a.pem").startIndex,
                                                             to: endLine.upperBound) + 1  // "-----END C"
        try ReaderTests.checkTruncations(pem, format: .pem, recordStart: "-----BEGIN C".utf8.count, recordEnd: pemEnd)
        let der = try Fixture.certificate("ca-a.pem").derEncoded
        try ReaderTests.checkTruncations(der, format: .der, recordStart: 1, recordEnd: der.count)
        // A cut DER certificate counts once.
        var index = CTIndex()
        let s = try index.load(bytes: Array(der.prefix(100)), name: "cut.der", format: .der)
        #expect(s.malformed == 1 && s.entries == 0)
    }

    @Test func hugeRecordsAreSkippedAndCounted() throws {
        let huge = String(repeating: "h", count: 2 << 20)
        // crt.sh array: one huge name_value between two ordinary rows.
        let doc = "[" + crtshRow(serial: "01", host: "a.example") + ",\n"
            + crtshRow(serial: "02", host: huge) + ",\n" + crtshRow(serial: "03", host: "c.example") + "]"
        var index = CTIndex()
        let s = try index.load(bytes: Array(doc.utf8), name: "huge.json")
        #expect(s.entries == 2)
        #expect(s.oversized == 1)
        #expect(s.problems.first?.record == 2)
        #expect(index.lookup(serialHex: "03")?.hostnames == ["c.example"])
        // certstream NDJSON with a huge line.
        let lines = certstreamLine(serial: "0a", host: "x.example") + "\n" + certstreamLine(serial: "0b", host: huge)
            + "\n" + certstreamLine(serial: "0c", host: "z.example") + "\n"
        var index2 = CTIndex()
        let s2 = try index2.load(bytes: Array(lines.utf8), name: "huge.ndjson")
        #expect(s2.entries == 2 && s2.oversized == 1)
        // PEM with a huge line inside a block.
        let pem = Fixture.text("ca-a.pem") + "-----BEGIN CERTIFICATE-----\n" + huge + "\n-----END CERTIFICATE-----\n"
            + Fixture.text("ca-b.pem")
        var index3 = CTIndex()
        let s3 = try index3.load(bytes: Array(pem.utf8), name: "huge.pem")
        #expect(s3.entries == 2 && s3.oversized == 1)
        // A smaller cap applies too.
        var limits = CTIndexLimits()
        limits.maximumRecordSize = 100
        var index4 = CTIndex(limits: limits)
        let s4 = try index4.load(bytes: Fixture.bytes("crtsh.json"), name: "crtsh.json")
        #expect(s4.entries == 0 && s4.oversized == 5)
    }

    @Test func heartbeatsAreIgnoredNotMalformed() throws {
        var index = CTIndex()
        let s = try index.load(path: Fixture.path("certstream.ndjson"))
        #expect(s.ignored == 1)
        #expect(s.entries == 4)
        #expect(s.malformed == 0)
    }

    @Test func precertificateTBSAndChainParsing() throws {
        // A MerkleTreeLeaf with an unknown entry type and one with a length mismatch.
        #expect(throws: RecordError.self) { try MerkleTreeLeaf([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0]) }
        #expect(throws: RecordError.self) { try MerkleTreeLeaf([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x30]) }
        #expect(throws: RecordError.self) { try MerkleTreeLeaf([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) }
        let der = try Fixture.certificate("api-a.pem").derEncoded
        var leaf: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        leaf += [UInt8(der.count >> 16), UInt8(der.count >> 8 & 0xff), UInt8(der.count & 0xff)] + der + [0, 0]
        let parsed = try MerkleTreeLeaf(leaf)
        #expect(!parsed.isPrecert)
        #expect(throws: RecordError.self) { try MerkleTreeLeaf(leaf + [0]) }
    }

    @Test func timeText() {
        #expect(TimeText.parse(Array("1970-01-01T00:00:00".utf8)) == 0)
        #expect(TimeText.parse(Array("2020-03-06T23:14:48".utf8)) == 1_583_536_488)
        #expect(TimeText.parse(Array("2020-03-07T00:14:48.255".utf8)) == 1_583_540_088)
        #expect(TimeText.parse(Array("2015-12-28T00:00:00Z".utf8)) == 1_451_260_800)
        #expect(TimeText.parse(Array("2015-12-28T01:00:00+01:00".utf8)) == 1_451_260_800)
        #expect(TimeText.parse(Array("2015-12-28".utf8)) == 1_451_260_800)
        #expect(TimeText.parse(Array("2015-13-28".utf8)) == nil)
        #expect(TimeText.parse(Array("yesterday".utf8)) == nil)
    }

    @Test func distinguishedNameSpellingsNormaliseAlike() throws {
        let ca = try Fixture.certificate("ca-a.pem")
        let fromDER = DNNormalizer.normalize(ca.subject)
        let spellings = [
            "C=XX, O=CT Fixtures\\, Inc., CN=CT Fixture CA A",   // crt.sh, escaped comma
            "C=XX, O=CT Fixtures, Inc., CN=CT Fixture CA A",     // unescaped comma inside a value
            ca.subject.rfc4514,                                   // reverse order, RFC 4514
            "/C=XX/CN=CT Fixture CA A/O=CT Fixtures, Inc.",       // certstream aggregated (sorted)
            "c = XX, o = CT  Fixtures, Inc., cn = ct fixture ca a",
        ]
        for s in spellings { #expect(DNNormalizer.normalize(s) == fromDER, "\(s)") }
        #expect(DNNormalizer.normalize("C=XX, O=CT Fixtures, Inc., CN=CT Fixture CA B") != fromDER)
    }

    @Test func hostnamesAreNormalised() throws {
        var index = CTIndex()
        let row = crtshRow(serial: "01", host: "WWW.Example.ORG.\\nexample.org\\n\\n...\\n(48 more)\\n*.Example.org")
        try index.load(bytes: Array(("[" + row + "]").utf8), name: "h.json")
        #expect(index.lookup(serialHex: "01")?.hostnames == ["*.example.org", "example.org", "www.example.org"])
    }

    @Test func directoriesSkipLinksToDirectoriesFIFOsAndUnknownFiles() throws {
        let dir = Paths.temporaryPath("ctdir")
        mkdir(dir, 0o755)
        mkdir(dir + "/sub", 0o755)
        defer {
            for f in ["/sub/crtsh.json", "/sub/loop", "/fifo", "/notes.txt", "/.hidden.json"] { unlink(dir + f) }
            rmdir(dir + "/sub")
            rmdir(dir)
        }
        Paths.writeFile(dir + "/sub/crtsh.json", Fixture.bytes("crtsh.json"))
        symlink(dir, dir + "/sub/loop")
        mkfifo(dir + "/fifo", 0o644)
        Paths.writeFile(dir + "/notes.txt", Array("not an export".utf8))
        Paths.writeFile(dir + "/.hidden.json", Array("[{".utf8))
        var index = CTIndex()
        let s = try index.load(path: dir)
        #expect(s.entries == 5)
        #expect(s.malformed == 0)
        #expect(s.ignored == 3)  // the link to a directory, the FIFO, the text file
        #expect(s.files == 1)
    }
}
