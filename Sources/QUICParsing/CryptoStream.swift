// Reassembly of one direction's Initial CRYPTO stream by offset (RFC 9000 §19.6), bounded.

/// Bytes of a CRYPTO stream placed by offset; frames may arrive out of order, overlap or repeat.
///
/// Only offsets below `capacity` are kept (default 64 KiB); bytes beyond are dropped and counted.
/// Complete TLS handshake messages (type, 24-bit length, body) are taken from the contiguous prefix in order;
/// once every buffered byte has been consumed the storage is released, so a finished stream costs nothing.
public struct QUICCryptoStream: Sendable {
    public static let defaultCapacity = 64 * 1024

    public let capacity: Int
    /// Stream offset of `storage[0]`: everything below was consumed as complete messages.
    private var base: Int = 0
    private var storage: [UInt8] = []
    /// Received byte ranges (absolute stream offsets), sorted and merged.
    private var ranges: [Range<Int>] = []
    /// Stream offset up to which complete handshake messages have been returned.
    public private(set) var consumed: Int = 0
    /// Bytes refused because their offset was at or beyond `capacity`.
    public private(set) var droppedBytes: Int = 0

    public init(capacity: Int = QUICCryptoStream.defaultCapacity) {
        self.capacity = capacity
    }

    /// End of the data received contiguously from offset 0.
    public var contiguousEnd: Int {
        guard let first = ranges.first, first.lowerBound == 0 else { return 0 }
        return first.upperBound
    }

    /// The contiguous prefix not yet returned as complete messages (starts at `consumed`).
    public var pendingPrefix: [UInt8] {
        let end = contiguousEnd
        guard end > consumed else { return [] }
        return Array(storage[(consumed - base)..<(end - base)])
    }

    /// Bytes of storage currently held.
    public var bufferedBytes: Int { storage.count }

    /// Whether nothing has been received.
    public var isEmpty: Bool { ranges.isEmpty }

    /// Inserts `data` at stream `offset`. Returns the number of bytes dropped by the capacity bound.
    @discardableResult
    public mutating func insert(offset: UInt64, data: UnsafeRawBufferPointer) -> Int {
        let length = data.count
        guard length > 0 else { return 0 }
        guard offset < UInt64(capacity) else {
            droppedBytes += length
            return length
        }
        let start = Int(offset)
        let end = min(start + length, capacity)
        let dropped = length - (end - start)
        droppedBytes += dropped
        // Bytes below `base` were already consumed; keep only what is new to storage.
        let keepStart = max(start, base)
        if keepStart < end {
            if storage.count < end - base {
                storage.append(contentsOf: repeatElement(0, count: end - base - storage.count))
            }
            storage.withUnsafeMutableBytes { dst in
                let src = data.baseAddress!.advanced(by: keepStart - start)
                dst.baseAddress!.advanced(by: keepStart - base).copyMemory(from: src, byteCount: end - keepStart)
            }
        }
        addRange(start..<end)
        return dropped
    }

    private mutating func addRange(_ r: Range<Int>) {
        var merged = r
        var result: [Range<Int>] = []
        result.reserveCapacity(ranges.count + 1)
        var placed = false
        for existing in ranges {
            if existing.upperBound < merged.lowerBound {
                result.append(existing)
            } else if existing.lowerBound > merged.upperBound {
                if !placed {
                    result.append(merged)
                    placed = true
                }
                result.append(existing)
            } else {
                merged = min(existing.lowerBound, merged.lowerBound)..<max(existing.upperBound, merged.upperBound)
            }
        }
        if !placed { result.append(merged) }
        ranges = result
    }

    /// The next complete handshake message in TLS framing (`type LL LL LL body`), or nil if the contiguous
    /// prefix does not yet hold one. Each message is returned once.
    public mutating func nextCompleteMessage() -> [UInt8]? {
        let end = contiguousEnd
        guard end - consumed >= 4 else { return nil }
        let h = consumed - base
        let bodyLength = Int(storage[h + 1]) << 16 | Int(storage[h + 2]) << 8 | Int(storage[h + 3])
        guard end - consumed >= 4 + bodyLength else { return nil }
        let message = Array(storage[h..<(h + 4 + bodyLength)])
        consumed += 4 + bodyLength
        if consumed == end, ranges.count == 1 {
            // Everything buffered has been handed out: release the storage.
            base = consumed
            storage = []
        }
        return message
    }

    /// Whether received bytes are waiting: an incomplete message at the head, or data beyond a gap.
    public var hasPendingData: Bool {
        contiguousEnd > consumed || ranges.count > 1 || (ranges.count == 1 && ranges[0].lowerBound > 0)
    }
}
