import CaptureInput

/// Reassembles fragmented IPv4 (RFC 791) and IPv6 (RFC 8200 §4.5) datagrams, within fixed limits.
///
/// Overlapping fragments: the bytes that arrived first are kept (the same policy as TCP reassembly).
/// Memory is bounded by `Limits`: datagrams in progress, bytes per datagram and in total; the oldest datagram is
/// dropped when a limit is reached, and a datagram not completed within `timeoutSeconds` is dropped.
public struct IPFragmentReassembler {
    public struct Limits: Sendable, Equatable {
        public var maximumDatagrams = 1024
        public var maximumDatagramSize = 65_535 + 40
        public var maximumTotalBytes = 8 << 20
        public var timeoutSeconds: Int64 = 30
        public init() {}
    }

    public struct Key: Hashable {
        public var source: IPAddress
        public var destination: IPAddress
        public var identification: UInt32
        public var protocolNumber: UInt8
        public init(source: IPAddress, destination: IPAddress, identification: UInt32, protocolNumber: UInt8) {
            self.source = source
            self.destination = destination
            self.identification = identification
            self.protocolNumber = protocolNumber
        }
    }

    public enum Result {
        case pending
        case dropped
        /// The whole datagram payload; valid until the next call.
        case complete(UnsafeRawBufferPointer)
    }

    private struct Pending {
        var bytes: [UInt8]
        /// Received byte ranges, merged and sorted.
        var ranges: [Range<Int>]
        var totalLength: Int?
        var firstSeen: Int64
    }

    public let limits: Limits
    private var pending: [Key: Pending] = [:]
    private var totalBytes = 0
    private var completed: [UInt8] = []
    /// Datagrams dropped because a limit or the timeout was reached.
    public private(set) var evicted = 0

    public init(limits: Limits) { self.limits = limits }

    public var inProgress: Int { pending.count }

    public mutating func add(key: Key, offset: Int, more: Bool, data: UnsafeRawBufferPointer, timeSeconds: Int64) -> Result {
        let end = offset + data.count
        guard end <= limits.maximumDatagramSize, (more ? data.count > 0 : true) else { return .dropped }
        expire(now: timeSeconds)
        var entry = pending.removeValue(forKey: key) ?? Pending(bytes: [], ranges: [], totalLength: nil, firstSeen: timeSeconds)
        totalBytes -= entry.bytes.count
        if !more {
            if let t = entry.totalLength, t != end { totalBytes += entry.bytes.count; return .dropped }
            entry.totalLength = end
        }
        if entry.bytes.count < end { entry.bytes.append(contentsOf: repeatElement(0, count: end - entry.bytes.count)) }
        // Copy only the bytes not already received (first arrival wins).
        var cursor = offset
        for r in entry.ranges where r.upperBound > cursor && r.lowerBound < end {
            if r.lowerBound > cursor { copy(data, from: cursor - offset, to: &entry.bytes, at: cursor, count: r.lowerBound - cursor) }
            cursor = max(cursor, r.upperBound)
        }
        if cursor < end { copy(data, from: cursor - offset, to: &entry.bytes, at: cursor, count: end - cursor) }
        insert(offset..<end, into: &entry.ranges)
        if let total = entry.totalLength, entry.ranges.count == 1, entry.ranges[0] == 0..<total {
            completed = entry.bytes
            completed.removeSubrange(total...)
            return completed.withUnsafeBytes { .complete($0) }
        }
        totalBytes += entry.bytes.count
        pending[key] = entry
        while pending.count > limits.maximumDatagrams || totalBytes > limits.maximumTotalBytes {
            guard let oldest = pending.min(by: { $0.value.firstSeen < $1.value.firstSeen }) else { break }
            totalBytes -= oldest.value.bytes.count
            pending.removeValue(forKey: oldest.key)
            evicted += 1
            if oldest.key == key { return .dropped }
        }
        return .pending
    }

    private func copy(_ src: UnsafeRawBufferPointer, from: Int, to dst: inout [UInt8], at: Int, count: Int) {
        guard count > 0 else { return }
        dst.withUnsafeMutableBytes { d in
            d.baseAddress!.advanced(by: at).copyMemory(from: src.baseAddress!.advanced(by: from), byteCount: count)
        }
    }

    private func insert(_ r: Range<Int>, into ranges: inout [Range<Int>]) {
        guard !r.isEmpty else { return }
        var merged = r
        var out: [Range<Int>] = []
        for x in ranges {
            if x.upperBound < merged.lowerBound || x.lowerBound > merged.upperBound {
                out.append(x)
            } else {
                merged = min(x.lowerBound, merged.lowerBound)..<max(x.upperBound, merged.upperBound)
            }
        }
        out.append(merged)
        out.sort { $0.lowerBound < $1.lowerBound }
        ranges = out
    }

    private var lastExpiry: Int64 = .min
    private mutating func expire(now: Int64) {
        guard now != lastExpiry, !pending.isEmpty else { return }
        lastExpiry = now
        let old = pending.filter { now - $0.value.firstSeen > limits.timeoutSeconds }
        for (k, v) in old {
            totalBytes -= v.bytes.count
            pending.removeValue(forKey: k)
            evicted += 1
        }
    }
}
