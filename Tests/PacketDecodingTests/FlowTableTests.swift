import Testing
@testable import PacketDecoding

/// The flow table against a Dictionary, through inserts and removals that grow it and wrap its probe runs.
struct FlowTableTests {
    func key(_ n: Int, v6: Bool = false) -> FlowKey {
        let a = IPAddress(hi: v6 ? 0x2001_0db8 << 32 : 0, lo: UInt64(n % 251), isIPv6: v6)
        let b = IPAddress(hi: v6 ? 0x2001_0db8 << 32 : 0, lo: UInt64(1000 + n / 251), isIPv6: v6)
        return FlowKey(low: Endpoint(address: a, port: UInt16(n % 65_536)), high: Endpoint(address: b, port: 443),
                       transport: 6)
    }

    @Test func matchesADictionary() {
        var table = FlowTable(capacity: 4)
        var model: [FlowKey: TCPFlow] = [:]
        var x: UInt64 = 0x2545_f491_4f6c_dd1d
        for step in 0..<40_000 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            let k = key(Int(x % 3000), v6: x & 0x10000 != 0)
            if let f = model[k] {
                #expect(table.find(k) === f)
                if x & 3 != 0 { table.remove(k); model[k] = nil }
            } else {
                #expect(table.find(k) == nil)
                let f = TCPFlow(key: k, serial: step, now: Int64(step))
                table.insert(f)
                model[k] = f
            }
            #expect(table.count == model.count)
        }
        for (k, f) in model { #expect(table.find(k) === f) }
        #expect(Set(table.flows.map { ObjectIdentifier($0) }) == Set(model.values.map { ObjectIdentifier($0) }))
        for k in model.keys { table.remove(k) }
        #expect(table.count == 0 && table.flows.isEmpty)
        table.remove(key(1))
        #expect(table.count == 0)
    }

    /// The keyed hash tells apart keys that differ in one field only (a port, an address byte, the family), and
    /// spreads them over the low bits the table indexes with.
    @Test func keyedHashSpreadsNeighbouringKeys() {
        let keys = (UInt64(0x9e37_79b9_7f4a_7c15), UInt64(0xbf58_476d_1ce4_e5b9), UInt64(0x94d0_49bb_1331_11eb))
        var seen = Set<Int>()
        var buckets = [Int](repeating: 0, count: 1024)
        var n = 0
        for v6 in [false, true] {
            for host in 0..<64 {
                for port in 0..<400 {
                    let a = IPAddress(hi: v6 ? 0x2001_0db8 << 32 : 0, lo: UInt64(host), isIPv6: v6)
                    let b = IPAddress(hi: v6 ? 0x2001_0db8 << 32 : 0, lo: 0xc0a8_0001, isIPv6: v6)
                    let k = FlowKey(low: Endpoint(address: a, port: UInt16(1024 + port)), high: Endpoint(address: b, port: 443),
                                    transport: 6)
                    let h = k.tableHash(keys: keys)
                    seen.insert(h)
                    buckets[h & 1023] += 1
                    n += 1
                }
            }
        }
        #expect(seen.count == n)
        // 51 200 keys over 1 024 buckets: 50 on average; a weak mix would pile them into a few.
        #expect(buckets.max()! < 100 && buckets.min()! > 15)
    }
}

/// What the count-only path reads and writes for every bulk segment lies where `FlowTable.prefetchFlow` asks for it:
/// within the object's first 124 bytes (a reordering of `TCPFlow`'s or `TCPHalfConnection`'s stored properties
/// would move a field out of the prefetched lines without changing any result).
struct FlowLayoutTests {
    @Test func countOnlyFieldsLieInThePrefetchedBytes() {
        let a = IPAddress(hi: 0, lo: 0x0a00_0001, isIPv6: false), b = IPAddress(hi: 0, lo: 0x0a00_0002, isIPv6: false)
        let flow = TCPFlow(key: FlowKey(low: Endpoint(address: a, port: 1), high: Endpoint(address: b, port: 443), transport: 6),
                           serial: 1, now: 0)
        let base = Int(bitPattern: Unmanaged.passUnretained(flow).toOpaque())
        func offset<T>(_ field: UnsafeMutablePointer<T>) -> Int { Int(bitPattern: field) - base }
        func span<T>(_ field: UnsafeMutablePointer<T>) -> Range<Int> { offset(field)..<(offset(field) + MemoryLayout<T>.size) }
        var spans: [Range<Int>] = []
        withUnsafeMutablePointer(to: &flow.lastSeenSeconds) { spans.append(span($0)) }
        withUnsafeMutablePointer(to: &flow.packets) { spans.append(span($0)) }
        withUnsafeMutablePointer(to: &flow.lastActivity) { spans.append(span($0)) }
        withUnsafeMutablePointer(to: &flow.halves.0.wantsData) { spans.append(span($0)) }
        withUnsafeMutablePointer(to: &flow.halves.1.wantsData) { spans.append(span($0)) }
        // The key is a `let`: its offset from the first counter, which follows it.
        spans.append((spans[0].lowerBound - MemoryLayout<FlowKey>.stride)..<spans[0].lowerBound)
        for s in spans {
            #expect(s.lowerBound >= 16 && s.upperBound <= 124, "a count-only field at bytes \(s) of the flow")
        }
    }
}
