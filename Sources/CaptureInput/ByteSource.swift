#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CPrefetch

/// Where capture bytes come from: a memory-mapped file, or a stream (standard input, a pipe) read in chunks.
///
/// `peek(n)` returns a view of the next `n` bytes, valid until the next `peek`/`advance`; for a mapped file it
/// points into the mapping (no copy), for a stream into a reusable buffer that grows only to the largest record,
/// for in-memory bytes (tests, fuzzing) into a private copy made once.
public final class ByteSource {
    public enum Backing {
        case mapped(MappedFile)
        case stream(fd: Int32)
        /// A whole capture already in memory; copied once, then read like a mapped file.
        case bytes([UInt8])
    }

    /// Largest single record or block a stream may ask for; anything larger is treated as a corrupt length.
    public static let maximumRecordSize = 64 << 20

    private let mapped: MappedFile?
    /// All bytes are present from the start (mapped file or in-memory bytes): nothing to read later.
    private let complete: Bool
    private let fd: Int32
    @exclusivity(unchecked) private var base: UnsafeRawPointer?
    @exclusivity(unchecked) private var count: Int
    /// Offset of the read position: in the mapping, or in the stream buffer.
    @exclusivity(unchecked) private var cursor: Int = 0
    /// Stream mode: the buffer and how many bytes it holds.
    @exclusivity(unchecked) private var buffer: UnsafeMutableRawPointer?
    @exclusivity(unchecked) private var capacity: Int = 0
    @exclusivity(unchecked) private var streamEOF = false
    /// Bytes consumed before the current buffer start (stream mode).
    @exclusivity(unchecked) private var consumedBefore: Int64 = 0
    /// Offset up to which `prefetchStream` has asked for every cache line (mapped and in-memory bytes).
    @exclusivity(unchecked) private var prefetched: Int = 0
    public private(set) var readError: String?

    /// All bytes are in memory for the whole reading (mapped file, in-memory bytes): a packet handed out stays valid
    /// while the next ones are read. Not so for a stream, whose buffer is reused.
    public var isComplete: Bool { complete }

    /// The mapping behind a mapped file (nil for streams and in-memory bytes).
    public var mappedFile: MappedFile? { mapped }

    public init(_ backing: Backing) {
        switch backing {
        case .mapped(let file):
            mapped = file
            fd = -1
            base = file.bytes.baseAddress.map { UnsafeRawPointer($0) }
            count = file.bytes.count
            complete = true
        case .stream(let fd):
            mapped = nil
            self.fd = fd
            base = nil
            count = 0
            complete = false
        case .bytes(let bytes):
            mapped = nil
            fd = -1
            let copy = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
            bytes.withUnsafeBytes { if let b = $0.baseAddress { copy.copyMemory(from: b, byteCount: bytes.count) } }
            buffer = copy
            base = UnsafeRawPointer(copy)
            count = bytes.count
            complete = true
        }
    }

    deinit { buffer?.deallocate() }

    /// Absolute offset of the read position from the start of the capture.
    public var position: Int64 { consumedBefore + Int64(cursor) }

    /// Total size when known (mapped file).
    public var totalSize: Int64? { complete ? Int64(count) : nil }

    /// Bytes available right now at the read position without further reading.
    public var buffered: Int { count - cursor }

    /// A view of the next `n` bytes, or `nil` when the capture ends first (then `buffered` tells how many remain).
    @inline(__always)
    public func peek(_ n: Int) -> UnsafeRawBufferPointer? {
        if count - cursor >= n {
            return UnsafeRawBufferPointer(start: base! + cursor, count: n)
        }
        if complete { return nil }
        return refill(n)
    }

    /// Everything left up to `n` bytes (used for a truncated last record).
    public func peekAvailable(upTo n: Int) -> UnsafeRawBufferPointer {
        if count - cursor < n, !complete { _ = refill(n) }
        let avail = min(n, count - cursor)
        guard avail > 0, let base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + cursor, count: avail)
    }

    /// How far ahead of the read position `prefetchStream` keeps every cache line requested.
    public static let streamPrefetchDistance = 4096

    /// Asks for every cache line up to `streamPrefetchDistance` bytes past the read position that was not asked for
    /// yet. Reading record after record is a chain of dependent loads (each header gives the next offset), each a
    /// miss in a file larger than the cache; requesting the lines ahead turns that chain into a sequential stream.
    /// Only where all bytes are in memory (a stream's buffer was just written by `read` and is in the cache).
    @inline(__always)
    public func prefetchStream() {
        guard complete, let base else { return }
        let limit = min(cursor + ByteSource.streamPrefetchDistance, count)
        var p = max(prefetched, cursor)
        // Four lines per step (a prefetch never faults, so up to three lines past the end are harmless). Non-temporal:
        // each line is read once, and the capture passing through should not evict what the analysis reads again.
        while p < limit {
            hs_prefetch_nta(base + p)
            hs_prefetch_nta(base + p + 64)
            hs_prefetch_nta(base + p + 128)
            hs_prefetch_nta(base + p + 192)
            p += 256
        }
        prefetched = p
    }

    @inline(__always)
    public func advance(_ n: Int) {
        cursor += min(n, count - cursor)
    }

    private func refill(_ n: Int) -> UnsafeRawBufferPointer? {
        guard n <= ByteSource.maximumRecordSize else { return nil }
        // Move the unread tail to the front.
        let unread = count - cursor
        if let buffer, cursor > 0 {
            if unread > 0 { memmove(buffer, buffer + cursor, unread) }
            consumedBefore += Int64(cursor)
            cursor = 0
            count = unread
        }
        if capacity < n {
            let newCapacity = max(n, max(capacity * 2, 1 << 20))
            let nb = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
            if let buffer, unread > 0 { nb.copyMemory(from: buffer + cursor, byteCount: unread) }
            buffer?.deallocate()
            buffer = nb
            capacity = newCapacity
            if cursor > 0 { consumedBefore += Int64(cursor); cursor = 0; count = unread }
        }
        base = UnsafeRawPointer(buffer!)
        while count - cursor < n && !streamEOF {
            let r = read(fd, buffer! + count, capacity - count)
            if r > 0 {
                count += r
            } else if r == 0 {
                streamEOF = true
            } else if errno == EINTR {
                continue
            } else {
                readError = String(cString: strerror(errno))
                streamEOF = true
            }
        }
        guard count - cursor >= n else { return nil }
        return UnsafeRawBufferPointer(start: base! + cursor, count: n)
    }
}
