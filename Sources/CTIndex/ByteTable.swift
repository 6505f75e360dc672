/// An interning table of byte strings: each distinct byte string is stored once in a flat pool and named by a
/// dense `UInt32` id. Open addressing over a power-of-two slot array (load factor at most 1/2), FNV-1a hashes.
///
/// Memory per distinct item: its bytes, 4 bytes of offset, 4 bytes of cached hash, and 8–16 bytes of slots.
/// The pool is limited to 4 GiB (offsets are `UInt32`); `intern` returns nil beyond that.
struct ByteTable: Sendable {
    private(set) var pool: [UInt8] = []
    /// Start of item i in `pool`; `offsets[count]` is the end of the last item.
    private var offsets: [UInt32] = [0]
    private var hashes: [UInt32] = []
    /// 0 = empty, else id + 1.
    private var slots: [UInt32] = Array(repeating: 0, count: 64)

    var count: Int { hashes.count }

    /// Bytes of the pool plus the tables, for memory accounting.
    var approximateBytes: Int { pool.capacity + offsets.capacity * 4 + hashes.capacity * 4 + slots.capacity * 4 }

    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        // Final mix so that the low bits used for slots depend on every byte.
        h ^= h >> 29
        h = h &* 0xbf58_476d_1ce4_e5b9
        h ^= h >> 32
        return h
    }

    func find(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        let h = ByteTable.hash(bytes)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        let h32 = UInt32(truncatingIfNeeded: h)
        while true {
            let s = slots[i]
            if s == 0 { return nil }
            let id = Int(s - 1)
            if hashes[id] == h32 && equals(id, bytes) { return UInt32(id) }
            i = (i + 1) & mask
        }
    }

    func find(_ bytes: [UInt8]) -> UInt32? { bytes.withUnsafeBufferPointer { find($0) } }

    /// The id of `bytes`, adding it when new; nil when the pool would pass 4 GiB.
    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        let h = ByteTable.hash(bytes)
        var mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        let h32 = UInt32(truncatingIfNeeded: h)
        while true {
            let s = slots[i]
            if s == 0 { break }
            let id = Int(s - 1)
            if hashes[id] == h32 && equals(id, bytes) { return UInt32(id) }
            i = (i + 1) & mask
        }
        guard pool.count + bytes.count < Int(UInt32.max), hashes.count < Int(UInt32.max) - 2 else { return nil }
        let id = hashes.count
        pool.append(contentsOf: bytes)
        offsets.append(UInt32(pool.count))
        hashes.append(h32)
        if (id + 1) * 2 > slots.count {
            grow()
            mask = slots.count - 1
            i = Int(truncatingIfNeeded: h) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
        }
        slots[i] = UInt32(id + 1)
        return UInt32(id)
    }

    mutating func intern(_ bytes: [UInt8]) -> UInt32? { bytes.withUnsafeBufferPointer { intern($0) } }
    mutating func intern(_ string: String) -> UInt32? { intern(Array(string.utf8)) }

    private mutating func grow() {
        let n = slots.count * 2
        var fresh = [UInt32](repeating: 0, count: n)
        let mask = n - 1
        // Only the low 32 bits of the hash are kept; slot positions for tables above 2^32 slots are not needed.
        for id in 0..<hashes.count {
            var i = Int(hashes[id]) & mask
            while fresh[i] != 0 { i = (i + 1) & mask }
            fresh[i] = UInt32(id + 1)
        }
        slots = fresh
    }

    @inline(__always)
    private func equals(_ id: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = Int(offsets[id])
        let end = Int(offsets[id + 1])
        guard end - start == bytes.count else { return false }
        return pool.withUnsafeBufferPointer { p in
            guard bytes.count > 0 else { return true }
            return memcmpBytes(p.baseAddress! + start, bytes.baseAddress!, bytes.count)
        }
    }

    func bytes(_ id: UInt32) -> ArraySlice<UInt8> {
        pool[Int(offsets[Int(id)])..<Int(offsets[Int(id) + 1])]
    }

    func string(_ id: UInt32) -> String { String(decoding: bytes(id), as: UTF8.self) }
}

@inline(__always)
func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}
