import CaptureInput

/// Limits that bound the memory of TCP reassembly, whatever the capture holds.
public struct ReassemblyLimits: Sendable, Equatable {
    /// Connections tracked at once; when full, idle ones are expired, then the least recently active are evicted.
    public var maximumFlows = 131_072
    /// Out-of-order bytes held per direction while waiting for a hole to fill; beyond it the hole is skipped.
    public var maximumOutOfOrderBytesPerDirection = 256 << 10
    /// Out-of-order bytes held over all connections.
    public var maximumOutOfOrderBytesTotal = 64 << 20
    /// A connection with no packet for this long (capture time) is closed.
    public var idleTimeoutSeconds: Int64 = 300
    public init() {}
}

/// Why a flow ended.
public enum FlowEndReason: String, Sendable {
    case closed, reset, idle, evicted, endOfCapture = "end_of_capture"
}

/// Reassembly counters for the capture summary.
public struct ReassemblyCounters: Sendable, Equatable {
    public var flowsCreated = 0
    public var flowsEvicted = 0
    public var flowsExpired = 0
    public var segments = 0
    public var payloadBytes: Int64 = 0
    public var retransmittedSegments = 0
    public var outOfOrderSegments = 0
    /// Overlapping segments whose bytes differ from bytes already held (first arrival wins).
    public var overlapConflicts = 0
    /// Holes skipped because the missing bytes never arrived (or limits forced it).
    public var gapsSkipped = 0
    public var outOfOrderDroppedByLimit = 0
    /// Connections whose first packet was not a SYN (picked up mid-stream).
    public var midstreamPickups = 0
    /// Segments of no tracked connection carrying neither SYN nor data (the last ACK after both FINs, a keep-alive
    /// of a connection already evicted): counted, no flow is created for them.
    public var untrackedSegments = 0
    public var peakFlows = 0
    public var peakOutOfOrderBytes = 0
    public init() {}
}

/// Receives the in-order bytes of each direction of each TCP connection.
public protocol TCPStreamSink: AnyObject {
    /// In-order bytes of one direction (0 = the flow key's `low` endpoint sends, 1 = `high` sends).
    /// Called while the current packet is being processed, so the caller knows its frame and time.
    /// Returns whether the sink wants more bytes of this direction; once it says no, segments are only counted.
    /// The sink must not touch `flow.halves` from inside the call.
    func tcpData(_ flow: TCPFlow, direction: Int, bytes: UnsafeRawBufferPointer) -> Bool
    /// Bytes were lost before the next delivery in this direction. Returns whether the sink wants more bytes.
    func tcpGap(_ flow: TCPFlow, direction: Int) -> Bool
    /// The flow is about to be forgotten.
    func tcpFlowEnded(_ flow: TCPFlow, reason: FlowEndReason)
}

/// One direction of a TCP connection.
public struct TCPHalfConnection {
    /// An out-of-order segment held until the bytes before it arrive.
    struct Segment {
        var sequence: UInt32
        var bytes: [UInt8]
    }

    // The flags first, then the sequence number: 8 bytes, so that both halves' `wantsData` sit within the flow's
    // first two cache lines (see `TCPFlow`).
    public internal(set) var started = false
    public internal(set) var finished = false
    /// Whether the sink still wants this direction's bytes; once false, segments are only counted.
    public var wantsData = true
    /// The next sequence number expected (wraps modulo 2^32).
    public internal(set) var nextSequence: UInt32 = 0
    var pending: [Segment] = []
    var pendingBytes = 0
    public internal(set) var bytesDelivered: Int64 = 0
}

/// A TCP connection being reassembled.
public final class TCPFlow {
    // Stored in this order on purpose: what the count-only path (`countSegmentOfQuietFlow`) reads and writes for
    // every bulk segment (the key, the three counts, both halves' `wantsData`) lies within the object's first
    // 124 bytes, two or three cache lines, which `FlowTable.prefetchFlow` requests a packet ahead.
    public let key: FlowKey
    @exclusivity(unchecked) public internal(set) var lastSeenSeconds: Int64
    @exclusivity(unchecked) public internal(set) var packets = 0
    /// Number of the last segment seen (the reassembler's segment count then): orders flows last seen in the
    /// same second.
    @exclusivity(unchecked) var lastActivity = 0
    @exclusivity(unchecked) public internal(set) var halves = (TCPHalfConnection(), TCPHalfConnection())
    /// Creation order within the reassembler: breaks ties in time so that the order of flows ended together
    /// (idle, end of capture) never depends on the hash table.
    public let serial: Int
    /// The direction that sent the first SYN without ACK, when seen.
    @exclusivity(unchecked) public internal(set) var synDirection: Int?
    @exclusivity(unchecked) public internal(set) var firstSeenSeconds: Int64
    /// Whatever the sink attaches (its per-flow analysis state).
    @exclusivity(unchecked) public var attachment: AnyObject?

    init(key: FlowKey, serial: Int, now: Int64) {
        self.key = key
        self.serial = serial
        self.firstSeenSeconds = now
        self.lastSeenSeconds = now
    }

    /// The endpoint that sends in `direction`.
    public func sender(_ direction: Int) -> Endpoint { direction == 0 ? key.low : key.high }

    public func wantsData(_ direction: Int) -> Bool { direction == 0 ? halves.0.wantsData : halves.1.wantsData }
    public var wantsAnyData: Bool { halves.0.wantsData || halves.1.wantsData }
}

/// Reassembles TCP byte streams per direction, keyed by 5-tuple.
///
/// Policy (documented in docs/robustness.md): the first bytes received for a sequence range win; a later
/// segment that overlaps them with different content is counted in `overlapConflicts` and its differing bytes
/// are ignored. A connection without a SYN is picked up at its first segment. Holes that never fill are skipped
/// (and reported to the sink) when the out-of-order buffer of the direction is full, or when the flow ends.
/// Sequence arithmetic is modulo 2^32.
public final class TCPReassembler {
    public let limits: ReassemblyLimits
    @exclusivity(unchecked) public private(set) var counters = ReassemblyCounters()
    private let flows: FlowTable
    @exclusivity(unchecked) private var outOfOrderBytes = 0
    @exclusivity(unchecked) private var lastSweep: Int64 = .min

    public init(limits: ReassemblyLimits = .init()) {
        self.limits = limits
        // Starts small and doubles: a table sized to the flows in use keeps its slots in cache.
        flows = FlowTable(capacity: min(limits.maximumFlows, 1024))
    }

    public var activeFlows: Int { flows.count }

    /// Prefetching for packets read ahead (a hint, never needed for correctness): `prefetchSlot` for the packet
    /// after next returns a hash; `prefetchFlow` with that hash, one packet later, loads the flow its slot holds.
    /// Each step's memory latency then overlaps the work on the packets before it.
    @inline(__always)
    public func prefetchSlot(_ key: FlowKey) -> Int { flows.prefetchSlot(key) }

    @inline(__always)
    public func prefetchFlow(hash: Int) { flows.prefetchFlow(hash: hash) }

    /// Counts a segment without SYN, FIN or RST of a flow whose two directions the sink no longer wants, as
    /// `process` would count it, and returns true; returns false, having counted nothing, when the segment is of
    /// another flow (the caller then decodes it and calls `process`). `hash` is `prefetchSlot(key)`'s.
    ///
    /// For such a segment `process` only counts: the sink wants none of its bytes, and its flags change no state.
    /// Flows idle past the timeout are closed first, as `process` does (`sweepIfDue`: when `process` follows for
    /// the same packet, its sweep does nothing).
    @inline(__always)
    public func countSegmentOfQuietFlow<Sink: TCPStreamSink>(key: FlowKey, hash: Int, flags: TCPFlags, payloadCount: Int,
                                                             now: Int64, sink: Sink) -> Bool {
        guard flags.rawValue & (TCPFlags.syn.rawValue | TCPFlags.fin.rawValue | TCPFlags.rst.rawValue) == 0 else { return false }
        sweepIfDue(now: now, sink: sink)
        guard let flow = flows.find(key, hash: hash), !flow.halves.0.wantsData, !flow.halves.1.wantsData else { return false }
        counters.segments += 1
        flow.lastSeenSeconds = now
        flow.lastActivity = counters.segments
        flow.packets += 1
        counters.payloadBytes += Int64(payloadCount)
        return true
    }

    /// Processes one decoded TCP segment.
    public func process<Sink: TCPStreamSink>(_ p: borrowing DecodedPacket, now: Int64, sink: Sink) {
        counters.segments += 1
        sweepIfDue(now: now, sink: sink)
        let (key, sourceIsLow) = FlowKey.make(source: p.sourceEndpoint, destination: p.destinationEndpoint,
                                              transport: IPProtocolNumber.tcp)
        let dir = sourceIsLow ? 0 : 1
        let flags = p.tcpFlags
        // A flow the table holds is used without retaining it (two retains and releases per segment otherwise):
        // the table keeps it alive until `end`, which keeps it alive itself while it removes it.
        if let existing = flows.findUnretained(key) {
            unowned(unsafe) let flow = existing.takeUnretainedValue()
            segment(of: flow, dir: dir, p, now: now, sink: sink)
            return
        }
        if flags.contains(.rst) { return }  // nothing to track
        // Nothing to analyse either: a flow made for it would only linger until it expired.
        if p.payload.count == 0 && !flags.contains(.syn) {
            counters.untrackedSegments += 1
            return
        }
        if flows.count >= limits.maximumFlows { makeRoom(now: now, sink: sink) }
        counters.flowsCreated += 1
        let flow = TCPFlow(key: key, serial: counters.flowsCreated, now: now)
        flows.insert(flow)
        if flows.count > counters.peakFlows { counters.peakFlows = flows.count }
        if !flags.contains(.syn) { counters.midstreamPickups += 1 }
        segment(of: flow, dir: dir, p, now: now, sink: sink)
    }

    /// The rest of `process`, for the flow the segment belongs to.
    @inline(__always)
    private func segment<Sink: TCPStreamSink>(of flow: TCPFlow, dir: Int, _ p: borrowing DecodedPacket, now: Int64,
                                              sink: Sink) {
        let flags = p.tcpFlags
        flow.lastSeenSeconds = now
        flow.lastActivity = counters.segments
        flow.packets += 1
        counters.payloadBytes += Int64(p.payload.count)

        if flags.contains(.rst) {
            end(flow, reason: .reset, sink: sink)
            return
        }
        if dir == 0 {
            segment(flow, &flow.halves.0, dir, p, sink)
        } else {
            segment(flow, &flow.halves.1, dir, p, sink)
        }
        if flow.halves.0.finished && flow.halves.1.finished {
            end(flow, reason: .closed, sink: sink)
        }
    }

    @inline(__always)
    private func segment<Sink: TCPStreamSink>(_ flow: TCPFlow, _ half: inout TCPHalfConnection, _ dir: Int,
                                              _ p: borrowing DecodedPacket, _ sink: Sink) {
        let flags = p.tcpFlags
        var seq = p.tcpSequence
        if flags.contains(.syn) {
            if !flags.contains(.ack) && flow.synDirection == nil { flow.synDirection = dir }
            if !half.started || half.bytesDelivered == 0 {
                half.started = true
                half.nextSequence = seq &+ 1
            }
            seq = seq &+ 1
        }
        if flags.contains(.fin) { half.finished = true }
        let payload = p.payload
        guard payload.count > 0, half.wantsData else { return }
        if !half.started {
            half.started = true
            half.nextSequence = seq
        }
        let rel = Int32(bitPattern: seq &- half.nextSequence)
        if rel <= 0 {
            let skip = Int(-Int64(rel))
            if skip >= payload.count {
                counters.retransmittedSegments += 1
                return
            }
            // First arrival wins: bytes a held segment already has are not taken from this one.
            let end = heldBoundary(half.pending[...], from: seq, skip: skip, count: payload.count)
            if end < payload.count {
                hold(&half, seq: seq &+ UInt32(end), payload: payload.view(end, payload.count - end))
            }
            deliver(flow, &half, dir, payload.view(skip, end - skip), sink)
            drain(flow, &half, dir, sink)
        } else {
            counters.outOfOrderSegments += 1
            hold(&half, seq: seq, payload: payload)
            if half.pendingBytes > limits.maximumOutOfOrderBytesPerDirection {
                skipGap(flow, &half, dir, sink)
            }
        }
    }

    @inline(__always)
    private func deliver<Sink: TCPStreamSink>(_ flow: TCPFlow, _ half: inout TCPHalfConnection, _ dir: Int,
                                              _ bytes: UnsafeRawBufferPointer, _ sink: Sink) {
        half.nextSequence = half.nextSequence &+ UInt32(truncatingIfNeeded: bytes.count)
        half.bytesDelivered += Int64(bytes.count)
        if !sink.tcpData(flow, direction: dir, bytes: bytes) {
            half.wantsData = false
            releasePending(&half)
        }
    }

    /// Keeps a copy of an out-of-order segment (first arrival wins on overlap).
    private func hold(_ half: inout TCPHalfConnection, seq: UInt32, payload: UnsafeRawBufferPointer) {
        // Compare with segments already held at overlapping sequence ranges.
        for s in half.pending {
            let start = Int64(Int32(bitPattern: seq &- s.sequence))
            // Overlap of [start, start+count) with [0, s.bytes.count) in s's coordinates.
            let lo = max(0, start), hi = min(Int64(s.bytes.count), start + Int64(payload.count))
            if lo < hi {
                var differs = false
                for i in lo..<hi where s.bytes[Int(i)] != payload[Int(i - start)] { differs = true; break }
                if differs { counters.overlapConflicts += 1 }
                if start >= 0 && start + Int64(payload.count) <= Int64(s.bytes.count) {
                    counters.retransmittedSegments += 1
                    return  // wholly inside a held segment
                }
            }
        }
        guard outOfOrderBytes + payload.count <= limits.maximumOutOfOrderBytesTotal else {
            counters.outOfOrderDroppedByLimit += 1
            return
        }
        half.pending.append(.init(sequence: seq, bytes: Array(payload)))
        half.pendingBytes += payload.count
        outOfOrderBytes += payload.count
        if outOfOrderBytes > counters.peakOutOfOrderBytes { counters.peakOutOfOrderBytes = outOfOrderBytes }
    }

    /// Delivers held segments that have become in order.
    private func drain<Sink: TCPStreamSink>(_ flow: TCPFlow, _ half: inout TCPHalfConnection, _ dir: Int, _ sink: Sink) {
        while half.wantsData && !half.pending.isEmpty {
            // The held segment that starts earliest relative to the next expected byte.
            var best = -1
            var bestRel = Int32.max
            for (i, s) in half.pending.enumerated() {
                let rel = Int32(bitPattern: s.sequence &- half.nextSequence)
                if rel < bestRel { bestRel = rel; best = i }
            }
            guard bestRel <= 0 else { return }
            let s = half.pending.remove(at: best)
            half.pendingBytes -= s.bytes.count
            outOfOrderBytes -= s.bytes.count
            let skip = Int(-Int64(bestRel))
            // First arrival wins: stop where a segment that arrived earlier (held before it) begins; the rest
            // of this one goes back in its place and yields to it.
            let end = heldBoundary(half.pending[..<best], from: s.sequence, skip: skip, count: s.bytes.count)
            if end < s.bytes.count {
                let rest = Array(s.bytes[end...])
                half.pending.insert(.init(sequence: s.sequence &+ UInt32(end), bytes: rest), at: best)
                half.pendingBytes += rest.count
                outOfOrderBytes += rest.count
            }
            if skip < end {
                s.bytes.withUnsafeBytes { deliver(flow, &half, dir, $0.view(skip, end - skip), sink) }
            }
        }
    }

    /// Where bytes of a segment starting at `from` (`count` bytes, the first `skip` already delivered) meet the
    /// earliest of `held` that starts inside it after `skip`; `count` when none does.
    private func heldBoundary(_ held: ArraySlice<TCPHalfConnection.Segment>, from: UInt32, skip: Int, count: Int) -> Int {
        var end = count
        for e in held {
            let start = Int(Int32(bitPattern: e.sequence &- from))
            if start > skip && start < end { end = start }
        }
        return end
    }

    /// Gives up on the missing bytes before the earliest held segment.
    private func skipGap<Sink: TCPStreamSink>(_ flow: TCPFlow, _ half: inout TCPHalfConnection, _ dir: Int, _ sink: Sink) {
        guard half.wantsData, !half.pending.isEmpty else { return }
        var earliest = half.pending[0].sequence
        for s in half.pending where Int32(bitPattern: s.sequence &- earliest) < 0 { earliest = s.sequence }
        counters.gapsSkipped += 1
        half.nextSequence = earliest
        if !sink.tcpGap(flow, direction: dir) {
            half.wantsData = false
            releasePending(&half)
            return
        }
        drain(flow, &half, dir, sink)
    }

    private func releasePending(_ half: inout TCPHalfConnection) {
        outOfOrderBytes -= half.pendingBytes
        half.pendingBytes = 0
        half.pending = []
    }

    /// Delivers what can be delivered, then forgets the flow.
    private func end<Sink: TCPStreamSink>(_ flow: TCPFlow, reason: FlowEndReason, sink: Sink) {
        // The caller may hold the flow unretained (`process`): kept alive here past its removal from the table.
        let kept = Unmanaged.passRetained(flow)
        defer { kept.release() }
        while flow.halves.0.wantsData && !flow.halves.0.pending.isEmpty { skipGap(flow, &flow.halves.0, 0, sink) }
        while flow.halves.1.wantsData && !flow.halves.1.pending.isEmpty { skipGap(flow, &flow.halves.1, 1, sink) }
        releasePending(&flow.halves.0)
        releasePending(&flow.halves.1)
        flows.remove(flow.key)
        sink.tcpFlowEnded(flow, reason: reason)
    }

    /// Moves the reassembler's clock without a packet (a live capture on a quiet interface): flows idle for
    /// longer than the timeout are closed, at the same cadence as when packets arrive.
    public func advanceClock<Sink: TCPStreamSink>(now: Int64, sink: Sink) {
        if now >= lastSweep &+ 10 { sweep(now: now, sink: sink) }
    }

    /// Sweeps when ten seconds of capture time have passed since the last sweep, or the clock went back. Calling it
    /// again at the same time does nothing.
    @inline(__always)
    private func sweepIfDue<Sink: TCPStreamSink>(now: Int64, sink: Sink) {
        if now >= lastSweep &+ 10 || now < lastSweep { sweep(now: now, sink: sink) }
    }

    /// Closes flows idle for longer than the timeout.
    private func sweep<Sink: TCPStreamSink>(now: Int64, sink: Sink) {
        lastSweep = now
        let deadline = now - limits.idleTimeoutSeconds
        var idle: [TCPFlow] = []
        for flow in flows.flows where flow.lastSeenSeconds < deadline { idle.append(flow) }
        for flow in idle.sorted(by: { ($0.lastSeenSeconds, $0.lastActivity) < ($1.lastSeenSeconds, $1.lastActivity) }) {
            counters.flowsExpired += 1
            end(flow, reason: .idle, sink: sink)
        }
    }

    /// The table is full: expire idle flows, then evict the least recently active eighth.
    private func makeRoom<Sink: TCPStreamSink>(now: Int64, sink: Sink) {
        sweep(now: now, sink: sink)
        guard flows.count >= limits.maximumFlows else { return }
        // Ties (flows last seen in the same second, as in any flood) are broken by packet order: broken by the
        // table's own order instead, eviction would empty one end of the hash table again and again while
        // inserts land everywhere, and the lookups' probe sequences would grow until every packet costs a scan.
        // Sorted as plain values (a comparator reading class properties costs seconds per round on a full table).
        let all = flows.flows
        var keys: [(seconds: Int64, activity: Int, index: Int)] = []
        keys.reserveCapacity(all.count)
        for (i, flow) in all.enumerated() { keys.append((flow.lastSeenSeconds, flow.lastActivity, i)) }
        keys.sort { ($0.seconds, $0.activity) < ($1.seconds, $1.activity) }
        for key in keys.prefix(max(1, limits.maximumFlows / 8)) {
            let flow = all[key.index]
            counters.flowsEvicted += 1
            end(flow, reason: .evicted, sink: sink)
        }
    }

    /// Ends every remaining flow (end of the capture).
    public func finish<Sink: TCPStreamSink>(sink: Sink) {
        let remaining = flows.flows.sorted {
            ($0.firstSeenSeconds, $0.lastSeenSeconds, $0.serial) < ($1.firstSeenSeconds, $1.lastSeenSeconds, $1.serial)
        }
        for flow in remaining { end(flow, reason: .endOfCapture, sink: sink) }
    }
}
