import PKIParsing
import Testing
@testable import CTIndex

/// The interning table and the index's value semantics.
@Suite struct StorageTests {
    @Test func byteTableInternsFindsAndRoundTrips() throws {
        var t = ByteTable()
        var rng = SystemRandomNumberGenerator()
        var items: [[UInt8]] = [[], [0], Array(repeating: 0x41, count: 127), Array(repeating: 0x42, count: 128),
                                Array(repeating: 0x43, count: 300_000)]
        for k in 0..<100_000 {
            let len = Int(rng.next() % 40)
            items.append(Array("host\(k).example-\(len).com".utf8) + (0..<len).map { _ in UInt8(rng.next() % 256) })
        }
        var ids: [UInt32] = []
        for item in items {
            let id = t.intern(item)
            ids.append(try #require(id))
        }
        #expect(Set(ids).count == items.count)
        #expect(t.count == items.count)
        // Interning again gives the same ids; find agrees; bytes round-trip (items span several 1 MiB pages).
        for (k, item) in items.enumerated() {
            let again = t.intern(item)
            #expect(again == ids[k])
            #expect(t.find(item) == ids[k])
            #expect(t.bytes(ids[k]) == item)
        }
        #expect(t.find(Array("absent.example".utf8)) == nil)
        #expect(t.count == items.count)
        // An item above the page size is refused.
        let tooLarge = t.intern(Array(repeating: 1, count: ByteTable.pageSize))
        #expect(tooLarge == nil)
    }

    @Test func indexCopiesAreIndependent() throws {
        var a = CTIndex()
        try a.load(path: Fixture.path("crtsh.json"))
        var b = a
        b.learn(certificate: try Fixture.certificate("stray-a.pem"), issuer: nil, sni: "s.example", source: "cap")
        #expect(a.lookup(serialHex: "5555") == nil)
        #expect(b.lookup(serialHex: "5555")?.hostnames == ["s.example", "stray.example.com"])
        #expect(a.count + 1 == b.count)
    }

    @Test func timesOutsideTheStoredRangeAreClamped() throws {
        var index = CTIndex()
        let row = #"[{"issuer_name":"CN=x","name_value":"a.example","id":1,"not_before":"1960-01-01T00:00:00","not_after":"9999-12-31T23:59:59","serial_number":"01"}]"#
        try index.load(bytes: Array(row.utf8), name: "t.json")
        let c = try #require(index.lookup(serialHex: "01")?.candidates.first)
        #expect(c.notBefore == 1)
        #expect(c.notAfter == Int64(UInt32.max))
    }
}
