import CPrefetch

/// The TCP flows being tracked, by key: an open-addressing hash table (linear probing, backward-shift deletion).
///
/// One lookup per packet: a slot holds the key's hash and the flow, 16 bytes, so a lookup touches one slot and
/// then the flow it needs anyway (a `Dictionary` keeps keys, values and occupancy in three separate arrays).
/// The hash is keyed with random words drawn per table (`FlowKey.tableHash`), so crafted addresses cannot be chosen
/// to collide. At most 3/4 full. Nothing that is written out depends on the table's order.
final class FlowTable {
    private struct Slot {
        var hash: Int
        var flow: TCPFlow?
    }

    /// `mask + 1` initialised slots, owned by the table: reading one is a load, with no array header to retain.
    @exclusivity(unchecked) private var slots: UnsafeMutablePointer<Slot>
    @exclusivity(unchecked) private(set) var mask: Int
    @exclusivity(unchecked) private(set) var count = 0
    private let keys: (UInt64, UInt64, UInt64)

    /// A table that holds `capacity` flows before it grows.
    init(capacity: Int) {
        var buckets = 16
        while buckets / 4 * 3 < capacity { buckets *= 2 }
        slots = FlowTable.allocate(buckets)
        mask = buckets - 1
        var random = SystemRandomNumberGenerator()
        keys = (random.next(), random.next(), random.next())
    }

    deinit {
        slots.deinitialize(count: mask + 1)
        slots.deallocate()
    }

    private static func allocate(_ buckets: Int) -> UnsafeMutablePointer<Slot> {
        let p = UnsafeMutablePointer<Slot>.allocate(capacity: buckets)
        p.initialize(repeating: Slot(hash: 0, flow: nil), count: buckets)
        return p
    }

    @inline(__always)
    func hash(_ key: FlowKey) -> Int { key.tableHash(keys: keys) }

    /// The reference held in slot `i`, not retained (nil for an empty slot).
    @inline(__always)
    private func reference(_ i: Int) -> UnsafeRawPointer? {
        UnsafeRawPointer(slots + i).load(fromByteOffset: MemoryLayout<Slot>.offset(of: \Slot.flow)!, as: UnsafeRawPointer?.self)
    }

    /// The slot holding the flow with `key`, nil when there is none.
    @inline(__always)
    private func slotIndex(_ key: FlowKey) -> Int? { slotIndex(key, hash: hash(key)) }

    /// The slot holding the flow with `key`, whose `hash` is given.
    @inline(__always)
    private func slotIndex(_ key: FlowKey, hash h: Int) -> Int? {
        var i = h & mask
        while let ref = reference(i) {
            if slots[i].hash == h && Unmanaged<TCPFlow>.fromOpaque(ref)._withUnsafeGuaranteedRef({ $0.key == key }) { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    @inline(__always)
    func find(_ key: FlowKey) -> TCPFlow? {
        findUnretained(key)?.takeUnretainedValue()
    }

    /// The flow with `key`, not retained: the table keeps it alive until `remove` (nil when there is none).
    @inline(__always)
    func findUnretained(_ key: FlowKey) -> Unmanaged<TCPFlow>? {
        guard let i = slotIndex(key), let ref = reference(i) else { return nil }
        return Unmanaged<TCPFlow>.fromOpaque(ref)
    }

    /// `find` for a key whose hash (`hash(key)`, e.g. from `prefetchSlot`) is known.
    @inline(__always)
    func find(_ key: FlowKey, hash h: Int) -> TCPFlow? {
        slotIndex(key, hash: h).flatMap { slots[$0].flow }
    }

    /// Adds a flow whose key is not in the table.
    func insert(_ flow: TCPFlow) {
        if count + 1 > (mask + 1) / 4 * 3 { resize(buckets: (mask + 1) * 2) }
        place(Slot(hash: hash(flow.key), flow: flow))
        count += 1
    }

    private func place(_ slot: Slot) {
        var i = slot.hash & mask
        while reference(i) != nil { i = (i + 1) & mask }
        slots[i] = slot
    }

    private func resize(buckets: Int) {
        let old = slots
        let oldCount = mask + 1
        slots = FlowTable.allocate(buckets)
        mask = buckets - 1
        for k in 0..<oldCount where old[k].flow != nil { place(old[k]) }
        old.deinitialize(count: oldCount)
        old.deallocate()
    }

    /// Removes the flow with `key`, if there is one.
    func remove(_ key: FlowKey) {
        guard let i = slotIndex(key) else { return }
        // Backward shift: move later entries of the probe run into the hole when that keeps them reachable.
        var hole = i
        var j = (i + 1) & mask
        while reference(j) != nil {
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
        hs_prefetch(slots + index)
    }

    /// The object address of the first flow with hash `h` among the four slots from `h`'s home slot on (nil when
    /// an empty slot or the fourth comes first), without retaining it. A flow further along its probe run, or one
    /// whose hash only collides, is merely not prefetched or prefetched for nothing: `find` decides.
    @inline(__always)
    func probeReference(hash h: Int) -> UnsafeRawPointer? {
        var i = h & mask
        for _ in 0..<4 {
            guard let ref = reference(i) else { return nil }
            if slots[i].hash == h { return ref }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Every flow, in table order.
    var flows: [TCPFlow] {
        var all: [TCPFlow] = []
        all.reserveCapacity(count)
        for k in 0...mask { if let flow = slots[k].flow { all.append(flow) } }
        return all
    }
}
