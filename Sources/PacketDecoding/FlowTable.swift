import CPrefetch

/// The TCP flows being tracked, by key: an open-addressing hash table (linear probing, backward-shift deletion).
///
/// One lookup per packet: a slot holds the key's hash and the flow, 16 bytes, so a lookup touches one slot and
/// then the flow it needs anyway (a `Dictionary` keeps keys, values and occupancy in three separate arrays).
/// The hash is keyed with random words drawn per table (`FlowKey.tableHash`), so crafted addresses cannot be chosen
/// to collide. At most 3/4 full. Nothing that is written out depends on the table's order.
struct FlowTable {
    private struct Slot {
        var hash: Int
        var flow: TCPFlow?
    }

    private var slots: [Slot]
    private(set) var mask: Int
    private(set) var count = 0
    private let keys: (UInt64, UInt64, UInt64)

    /// A table that holds `capacity` flows before it grows.
    init(capacity: Int) {
        var buckets = 16
        while buckets / 4 * 3 < capacity { buckets *= 2 }
        slots = Array(repeating: Slot(hash: 0, flow: nil), count: buckets)
        mask = buckets - 1
        var random = SystemRandomNumberGenerator()
        keys = (random.next(), random.next(), random.next())
    }

    @inline(__always)
    func hash(_ key: FlowKey) -> Int { key.tableHash(keys: keys) }

    @inline(__always)
    func find(_ key: FlowKey) -> TCPFlow? {
        let h = hash(key)
        var i = h & mask
        while let flow = slots[i].flow {
            if slots[i].hash == h && flow.key == key { return flow }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Adds a flow whose key is not in the table.
    mutating func insert(_ flow: TCPFlow) {
        if count + 1 > (mask + 1) / 4 * 3 { resize(buckets: (mask + 1) * 2) }
        place(Slot(hash: hash(flow.key), flow: flow))
        count += 1
    }

    private mutating func place(_ slot: Slot) {
        var i = slot.hash & mask
        while slots[i].flow != nil { i = (i + 1) & mask }
        slots[i] = slot
    }

    private mutating func resize(buckets: Int) {
        let old = slots
        slots = Array(repeating: Slot(hash: 0, flow: nil), count: buckets)
        mask = buckets - 1
        for slot in old where slot.flow != nil { place(slot) }
    }

    /// Removes the flow with `key`, if there is one.
    mutating func remove(_ key: FlowKey) {
        let h = hash(key)
        var i = h & mask
        while true {
            guard let flow = slots[i].flow else { return }
            if slots[i].hash == h && flow.key == key { break }
            i = (i + 1) & mask
        }
        // Backward shift: move later entries of the probe run into the hole when that keeps them reachable.
        var hole = i
        var j = (i + 1) & mask
        while slots[j].flow != nil {
            let home = slots[j].hash & mask
            if (j &- home) & mask >= (j &- hole) & mask {
                slots[hole] = slots[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        slots[hole] = Slot(hash: 0, flow: nil)
        count -= 1
    }

    @inline(__always)
    func prefetchSlot(index: Int) {
        slots.withUnsafeBufferPointer { hs_prefetch($0.baseAddress! + index) }
    }

    /// The object address held in slot `index` when its hash is `h` (nil otherwise), without retaining it.
    @inline(__always)
    func slotReference(index: Int, hash h: Int) -> UnsafeRawPointer? {
        slots.withUnsafeBufferPointer { buffer in
            let slot = UnsafeRawPointer(buffer.baseAddress! + index)
            guard slot.load(as: Int.self) == h else { return nil }
            return slot.load(fromByteOffset: MemoryLayout<Slot>.offset(of: \Slot.flow)!, as: UnsafeRawPointer?.self)
        }
    }

    /// Every flow, in table order.
    var flows: [TCPFlow] {
        var all: [TCPFlow] = []
        all.reserveCapacity(count)
        for slot in slots { if let flow = slot.flow { all.append(flow) } }
        return all
    }
}
