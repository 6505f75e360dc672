import CaptureInput

/// Keeps the last packets of each flow in a small bounded ring, so that when a flow turns out to be interesting
/// (it produced an event, which happens after its first packets) those packets can still be saved; from then on
/// the flow's packets are saved as they arrive, up to a per-flow byte cap.
///
/// Every bound is fixed by `Limits` (documented in docs/live.md); what a bound dropped is counted.
/// Flows are forgotten oldest first (by when they were first buffered or first saved), not by activity: cheap,
/// and the flows that matter (handshakes) produce their events within their first packets.
public final class FlowPacketRecorder<Key: Hashable> {
    public struct Limits: Sendable, Equatable {
        /// Packets kept per not-yet-interesting flow (older ones are dropped from the ring).
        public var packetsPerFlow = 32
        /// Bytes kept per not-yet-interesting flow.
        public var bytesPerFlow = 64 << 10
        /// Not-yet-interesting flows buffered at once.
        public var bufferedFlows = 8192
        /// Bytes buffered over all not-yet-interesting flows.
        public var bufferedBytesTotal = 32 << 20
        /// Interesting flows remembered at once (their later packets are saved).
        public var savedFlows = 65_536
        /// Bytes saved per interesting flow (ring included); later packets of the flow are not saved.
        public var bytesPerSavedFlow = 1 << 20
        public init() {}
    }

    public struct Counters: Sendable, Equatable {
        public var packetsWritten = 0
        public var bytesWritten = 0
        public var flowsSaved = 0
        /// Packets dropped from a flow's ring before the flow was known to be interesting.
        public var ringPacketsDropped = 0
        /// Buffered flows forgotten to stay within `bufferedFlows` / `bufferedBytesTotal`.
        public var bufferedFlowsEvicted = 0
        /// Interesting flows forgotten to stay within `savedFlows` (their later packets are not saved).
        public var savedFlowsEvicted = 0
        /// Packets of interesting flows not saved because the flow reached `bytesPerSavedFlow`.
        public var packetsOverFlowCap = 0
        public init() {}
    }

    /// A copy of one packet: timestamp (microseconds), length on the wire, captured bytes.
    public struct Packet {
        public var seconds: Int64
        public var microseconds: UInt32
        public var originalLength: Int
        public var bytes: [UInt8]
    }

    private final class Ring {
        var packets: [Packet] = []
        var bytes = 0
        let generation: Int
        init(generation: Int) { self.generation = generation }
    }

    public let limits: Limits
    public private(set) var counters = Counters()
    /// Receives the packets to save (the ring of a flow when it becomes interesting, then its packets one by one).
    private let output: (_ seconds: Int64, _ microseconds: UInt32, _ originalLength: Int, _ bytes: UnsafeRawBufferPointer) -> Void
    private var buffered: [Key: Ring] = [:]
    private var bufferedOrder: [(Key, Int)] = []
    private var bufferedOrderHead = 0
    private var bufferedBytes = 0
    private var saved: [Key: Int] = [:]  // bytes written per interesting flow
    private var savedOrder: [Key] = []
    private var savedOrderHead = 0
    private var generation = 0

    public init(limits: Limits = .init(),
                output: @escaping (_ seconds: Int64, _ microseconds: UInt32, _ originalLength: Int, _ bytes: UnsafeRawBufferPointer) -> Void) {
        self.limits = limits
        self.output = output
    }

    public var bufferedFlowCount: Int { buffered.count }
    public var bufferedByteCount: Int { bufferedBytes }
    public var savedFlowCount: Int { saved.count }

    /// Records one packet of `key`'s flow: saved at once if the flow is interesting, otherwise kept in its ring.
    public func record(_ key: Key, _ packet: CapturedPacket) {
        let usec = packet.nanoseconds / 1000
        if let written = saved[key] {
            if written + packet.data.count > limits.bytesPerSavedFlow {
                counters.packetsOverFlowCap += 1
                return
            }
            saved[key] = written + packet.data.count
            emit(packet.seconds, usec, packet.originalLength, packet.data)
            return
        }
        guard limits.packetsPerFlow > 0, packet.data.count <= limits.bytesPerFlow else {
            counters.ringPacketsDropped += 1
            return
        }
        let ring: Ring
        if let r = buffered[key] {
            ring = r
        } else {
            while buffered.count >= limits.bufferedFlows, evictOldestBuffered() {}
            generation += 1
            ring = Ring(generation: generation)
            buffered[key] = ring
            bufferedOrder.append((key, generation))
            compactOrders()
        }
        ring.packets.append(Packet(seconds: packet.seconds, microseconds: usec, originalLength: packet.originalLength,
                                   bytes: Array(packet.data)))
        ring.bytes += packet.data.count
        bufferedBytes += packet.data.count
        while ring.packets.count > limits.packetsPerFlow || ring.bytes > limits.bytesPerFlow {
            let old = ring.packets.removeFirst()
            ring.bytes -= old.bytes.count
            bufferedBytes -= old.bytes.count
            counters.ringPacketsDropped += 1
        }
        while bufferedBytes > limits.bufferedBytesTotal, evictOldestBuffered() {}
    }

    /// The flow produced an event: save its ring, and its later packets as they come. Idempotent.
    public func flowIsInteresting(_ key: Key) {
        guard saved[key] == nil else { return }
        while saved.count >= limits.savedFlows, evictOldestSaved() {}
        var written = 0
        if let ring = buffered.removeValue(forKey: key) {
            bufferedBytes -= ring.bytes
            for p in ring.packets {
                if written + p.bytes.count > limits.bytesPerSavedFlow {
                    counters.packetsOverFlowCap += 1
                    continue
                }
                written += p.bytes.count
                p.bytes.withUnsafeBytes { emit(p.seconds, p.microseconds, p.originalLength, $0) }
            }
        }
        saved[key] = written
        savedOrder.append(key)
        counters.flowsSaved += 1
        compactOrders()
    }

    private func emit(_ s: Int64, _ us: UInt32, _ len: Int, _ bytes: UnsafeRawBufferPointer) {
        counters.packetsWritten += 1
        counters.bytesWritten += bytes.count
        output(s, us, len, bytes)
    }

    /// Forgets the oldest buffered flow; false when none is left.
    private func evictOldestBuffered() -> Bool {
        while bufferedOrderHead < bufferedOrder.count {
            let (key, gen) = bufferedOrder[bufferedOrderHead]
            bufferedOrderHead += 1
            // Stale entries: the flow became interesting, or was evicted and buffered again later.
            guard let ring = buffered[key], ring.generation == gen else { continue }
            buffered.removeValue(forKey: key)
            bufferedBytes -= ring.bytes
            counters.bufferedFlowsEvicted += 1
            compactOrders()
            return true
        }
        return false
    }

    private func evictOldestSaved() -> Bool {
        while savedOrderHead < savedOrder.count {
            let key = savedOrder[savedOrderHead]
            savedOrderHead += 1
            guard saved.removeValue(forKey: key) != nil else { continue }
            counters.savedFlowsEvicted += 1
            return true
        }
        return false
    }

    /// Drops consumed queue entries once they are the larger part of a queue (amortised O(1)).
    private func compactOrders() {
        // Entries left behind by flows that became interesting.
        if bufferedOrder.count - bufferedOrderHead > 2 * buffered.count + 1024 {
            bufferedOrder = bufferedOrder[bufferedOrderHead...].filter { buffered[$0.0]?.generation == $0.1 }
            bufferedOrderHead = 0
        }
        if bufferedOrderHead > 1024 && bufferedOrderHead * 2 > bufferedOrder.count {
            bufferedOrder.removeFirst(bufferedOrderHead)
            bufferedOrderHead = 0
        }
        if savedOrderHead > 1024 && savedOrderHead * 2 > savedOrder.count {
            savedOrder.removeFirst(savedOrderHead)
            savedOrderHead = 0
        }
    }
}
