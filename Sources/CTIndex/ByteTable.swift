/// An interning table of byte strings: each distinct byte string is stored once and named by a dense `UInt32` id.
///
/// - Bytes live in 1 MiB pages (no reallocation copies, no doubling slack), each string preceded by its length
///   (1 byte below 128, else 3 bytes); a string never straddles a page. Strings are at most 1 MiB.
/// - `starts[id]` is the global offset (page × 1 MiB + offset) of the length prefix.
/// - Open addressing over a power-of-two slot array of `UInt64` (load factor at most 3/4): each slot holds the high
///   32 bits of the hash (which also give the home slot) and id + 1, so probes rarely touch the pool.
///
/// Memory per distinct item: its bytes + 1–3, 4 bytes of start, 11–22 bytes of slots. Limits: 4 GiB of pool
/// (4096 pages) and 2^32 − 2 items; `intern` returns nil beyond.
struct ByteTable: Sendable {
    static let pageShift = 20
    static let pageSize = 1 << pageShift
    static let maximumItemSize = pageSize - 3

    private var pages: [[UInt8]] = []
    private var starts: [UInt32] = []
    private var slots: [UInt64] = Array(repeating: 0, count: 64)

    var count: Int { starts.count }

    /// Bytes held (page and table capacities).
    var approximateBytes: Int { pages.count * ByteTable.pageSize + starts.capacity * 4 + slots.count * 8 }

    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let m: UInt64 = 0x9E37_79B9_7F4A_7C15
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(bytes.count)
        guard let base = bytes.baseAddress else { return h }
        let raw = UnsafeRawPointer(base)
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ w) &* m
            h ^= h >> 29
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            var s: UInt64 = 0
            while i < n {
                w |= UInt64(base[i]) << s
                s += 8
                i += 1
            }
            h = (h ^ w) &* m
            h ^= h >> 29
        }
        h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        return h
    }

    func find(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        let h = ByteTable.hash(bytes)
        let tag = h >> 32
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: tag) & mask
        while true {
            let s = slots[i]
            if s == 0 { return nil }
            if s >> 32 == tag, equals(Int(s & 0xFFFF_FFFF) - 1, bytes) { return UInt32((s & 0xFFFF_FFFF) - 1) }
            i = (i + 1) & mask
        }
    }

    func find(_ bytes: [UInt8]) -> UInt32? { bytes.withUnsafeBufferPointer { find($0) } }

    /// The id of `bytes`, adding it when new; nil when a limit would be passed.
    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        let h = ByteTable.hash(bytes)
        let tag = h >> 32
        var mask = slots.count - 1
        var i = Int(truncatingIfNeeded: tag) & mask
        while true {
            let s = slots[i]
            if s == 0 { break }
            if s >> 32 == tag, equals(Int(s & 0xFFFF_FFFF) - 1, bytes) { return UInt32((s & 0xFFFF_FFFF) - 1) }
            i = (i + 1) & mask
        }
        guard bytes.count <= ByteTable.maximumItemSize, starts.count < Int(UInt32.max) - 2,
              let start = store(bytes) else { return nil }
        let id = starts.count
        starts.append(start)
        if (id + 1) * 4 > slots.count * 3 {
            grow()
            mask = slots.count - 1
            i = Int(truncatingIfNeeded: tag) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
        }
        slots[i] = tag << 32 | UInt64(id + 1)
        return UInt32(id)
    }

    mutating func intern(_ bytes: [UInt8]) -> UInt32? { bytes.withUnsafeBufferPointer { intern($0) } }

    /// Appends length prefix and bytes to the last page (or a new one); returns the global start offset.
    private mutating func store(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        let prefix = bytes.count < 0x80 ? 1 : 3
        let need = prefix + bytes.count
        if pages.isEmpty || pages[pages.count - 1].count + need > ByteTable.pageSize {
            guard pages.count < (1 << (32 - ByteTable.pageShift)) else { return nil }
            var page: [UInt8] = []
            page.reserveCapacity(ByteTable.pageSize)
            pages.append(page)
        }
        let p = pages.count - 1
        let start = UInt32(p << ByteTable.pageShift | pages[p].count)
        if prefix == 1 {
            pages[p].append(UInt8(bytes.count))
        } else {
            pages[p].append(0x80 | UInt8(bytes.count >> 16))
            pages[p].append(UInt8(truncatingIfNeeded: bytes.count >> 8))
            pages[p].append(UInt8(truncatingIfNeeded: bytes.count))
        }
        pages[p].append(contentsOf: bytes)
        return start
    }

    private mutating func grow() {
        let n = slots.count * 2
        var fresh = [UInt64](repeating: 0, count: n)
        let mask = n - 1
        // The slot position is taken from the tag (the high 32 hash bits), so no item is rehashed.
        for k in 0..<slots.count {
            let s = slots[k]
            if s == 0 { continue }
            var i = Int(truncatingIfNeeded: s >> 32) & mask
            while fresh[i] != 0 { i = (i + 1) & mask }
            fresh[i] = s
        }
        slots = fresh
    }

    @inline(__always)
    private func withItem<R>(_ id: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let start = Int(starts[id])
        let p = start >> ByteTable.pageShift
        let off = start & (ByteTable.pageSize - 1)
        return pages[p].withUnsafeBufferPointer { page in
            let b0 = page[off]
            var len = Int(b0)
            var at = off + 1
            if b0 >= 0x80 {
                len = Int(b0 & 0x7f) << 16 | Int(page[off + 1]) << 8 | Int(page[off + 2])
                at = off + 3
            }
            return body(UnsafeBufferPointer(rebasing: page[at..<(at + len)]))
        }
    }

    @inline(__always)
    private func equals(_ id: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        withItem(id) { item in
            guard item.count == bytes.count else { return false }
            guard item.count > 0 else { return true }
            return memcmpBytes(item.baseAddress!, bytes.baseAddress!, item.count)
        }
    }

    func bytes(_ id: UInt32) -> [UInt8] { withItem(Int(id)) { Array($0) } }

    func string(_ id: UInt32) -> String { withItem(Int(id)) { String(decoding: $0, as: UTF8.self) } }
}

@inline(__always)
func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
        if UnsafeRawPointer(a).loadUnaligned(fromByteOffset: i, as: UInt64.self)
            != UnsafeRawPointer(b).loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
        i += 8
    }
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

