#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads packets from a classic pcap or a pcapng capture, from a mapped file or a stream.
///
/// The format is detected from the first bytes, never from the file name.
///
/// Classic pcap (`pcap-savefile(5)`): a 24-byte global header whose magic `a1b2c3d4` (microseconds) or
/// `a1b23c4d` (nanoseconds) also gives the byte order, then records of
/// `ts_sec(4) ts_frac(4) incl_len(4) orig_len(4) data(incl_len)`.
///
/// pcapng (draft-ietf-opsawg-pcapng): blocks of `type(4) total_length(4) body total_length(4)`; a Section Header
/// Block (`0a0d0d0a`, byte-order magic `1a2b3c4d`) starts each section and fixes its byte order; Interface
/// Description Blocks (type 1) give each interface's link type and `if_tsresol`; packets come in Enhanced (6),
/// Simple (3) and obsolete Packet (2) blocks. Other blocks are skipped by their length.
public final class CaptureReader {
    public let format: CaptureFormat
    /// What the reader counted so far: skipped, malformed and truncated records (final once `next()` returned nil).
    public var counters: CaptureCounters {
        checkPendingTrailer()
        return tally
    }
    @exclusivity(unchecked) private var tally = CaptureCounters()
    /// Packets handed out so far.
    @exclusivity(unchecked) public private(set) var packetCount = 0
    /// True once the reader met bytes it could not walk past (the rest of the file is not read).
    @exclusivity(unchecked) public private(set) var stoppedEarly = false
    public let source: ByteSource

    // Classic pcap state.
    @exclusivity(unchecked) private var bigEndian = false
    @exclusivity(unchecked) private var nanosecondResolution = false
    @exclusivity(unchecked) private var snapLength: UInt32 = 0
    @exclusivity(unchecked) private var pcapLinkType = LinkType.ethernet

    // pcapng state: per-section interface table.
    private struct Interface {
        var linkType: LinkType
        var snapLength: UInt32
        /// Ticks per second, and an offset in seconds.
        var ticksPerSecond: UInt64
        var offsetSeconds: Int64
    }
    @exclusivity(unchecked) private var interfaces: [Interface] = []
    /// Where the trailing length of the last pcapng block read lies, its expected value and byte order: checked at the
    /// next read, not at once. It is the block's last word, next to the following block's header, so checking it at
    /// once waits for that cache line (a miss per packet in a large capture) before the packet can be analysed;
    /// checked later, it is loaded with the next header, which the reader has asked for ahead of time. Only in complete
    /// sources (a mapping stays put; a stream's buffer moves).
    @exclusivity(unchecked) private var pendingTrailer: (at: UnsafeRawPointer, length: Int, bigEndian: Bool)?

    /// Opens a capture file (mapped), or standard input / a pipe when `path` is `-` or a FIFO.
    public convenience init(path: String) throws(CaptureError) {
        if MappedFile.isStream(path: path) {
            let fd: Int32 = path == "-" ? 0 : open(path, O_RDONLY)
            guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
            try self.init(source: ByteSource(.stream(fd: fd)))
        } else {
            try self.init(source: ByteSource(.mapped(try MappedFile(path: path))))
        }
    }

    public init(source: ByteSource) throws(CaptureError) {
        self.source = source
        guard let magic = source.peek(4) else {
            if let error = source.readError { throw .readFailed(reason: error) }
            if source.buffered == 0 { throw .empty }
            throw .notACapture(detail: "only \(source.buffered) bytes")
        }
        let le = magic.le32(0)
        switch le {
        case 0xa1b2_c3d4, 0xa1b2_3c4d, 0xd4c3_b2a1, 0x4d3c_b2a1:
            format = .pcap
            try readPcapHeader()
        case 0x0a0d_0d0a:
            format = .pcapng
            // The first section header is read by next().
        default:
            if magic[0] == 0x1f && magic[1] == 0x8b { throw .compressed(format: "gzip") }
            if magic[0] == 0xfd && magic[1] == 0x37 && magic[2] == 0x7a && magic[3] == 0x58 { throw .compressed(format: "xz") }
            if le == 0xfd2f_b528 { throw .compressed(format: "zstd") }
            if magic[0] == 0x42 && magic[1] == 0x5a && magic[2] == 0x68 { throw .compressed(format: "bzip2") }
            let hex = (0..<4).map { b -> String in
                let s = String(magic[b], radix: 16)
                return s.count == 1 ? "0" + s : s
            }.joined()
            throw .notACapture(detail: "unrecognised magic 0x\(hex)")
        }
    }

    private func readPcapHeader() throws(CaptureError) {
        guard let h = source.peek(24) else { throw .notACapture(detail: "pcap global header truncated") }
        let magic = h.le32(0)
        bigEndian = magic == 0xd4c3_b2a1 || magic == 0x4d3c_b2a1
        nanosecondResolution = magic == 0xa1b2_3c4d || magic == 0x4d3c_b2a1
        snapLength = bigEndian ? h.be32(16) : h.le32(16)
        let link = bigEndian ? h.be32(20) : h.le32(20)
        // The upper bits carry an FCS length and flags (pcap-savefile(5)); the link type is the low 16 bits.
        pcapLinkType = LinkType(rawValue: link & 0xffff)
        source.advance(24)
    }

    /// The next packet, or `nil` at the end of the capture.
    @inline(__always)
    public func next() -> CapturedPacket? {
        var packet = CapturedPacket.empty
        return next(into: &packet) ? packet : nil
    }

    /// `next()` writing the packet where the caller keeps it (false at the end of the capture, `packet` then
    /// unspecified): the analysis loop reads packets ahead into a ring, and a packet is not moved out of an optional
    /// and into the ring once per packet.
    @inline(__always)
    public func next(into packet: inout CapturedPacket) -> Bool {
        switch format {
        case .pcap:
            return nextPcap(into: &packet)
        case .pcapng:
            guard let p = nextPcapNG() else { return false }
            packet = p
            return true
        }
    }

    // MARK: - Classic pcap

    private func nextPcap(into packet: inout CapturedPacket) -> Bool {
        guard !stoppedEarly else { return false }
        guard let h = source.peek(16) else {
            let left = source.peekAvailable(upTo: 16).count
            if left > 0 { tally.truncatedRecords += 1; tally.trailingBytes += Int64(left) }
            return false
        }
        let sec = bigEndian ? h.be32(0) : h.le32(0)
        let frac = bigEndian ? h.be32(4) : h.le32(4)
        let incl = Int(bigEndian ? h.be32(8) : h.le32(8))
        let orig = Int(bigEndian ? h.be32(12) : h.le32(12))
        // A record longer than any sane packet means the file is corrupt from here: stop rather than guess.
        let limit = max(Int(snapLength), 262_144)
        if incl > limit || incl > ByteSource.maximumRecordSize {
            tally.oversizedRecords += 1
            stoppedEarly = true
            return false
        }
        source.advance(16)
        packetCount += 1
        let nanos = nanosecondResolution ? frac : frac &* 1000
        packet.frameNumber = packetCount
        packet.seconds = Int64(sec)
        packet.nanoseconds = min(nanos, 999_999_999)
        packet.linkType = pcapLinkType
        packet.originalLength = max(orig, incl)
        if let data = source.peek(incl) {
            packet.data = data
            packet.truncatedRecord = false
            source.advance(incl)
            // The records ahead (the next header would otherwise be a cache miss in a file larger than the cache).
            source.prefetchStream()
        } else {
            // Truncated last record: analyse what is there.
            let data = source.peekAvailable(upTo: incl)
            packet.data = data
            packet.truncatedRecord = true
            tally.truncatedRecords += 1
            source.advance(data.count)
            stoppedEarly = true
        }
        return true
    }

    // MARK: - pcapng

    /// Counts the last block read as malformed if its trailing length differs from its leading one.
    @inline(__always)
    private func checkPendingTrailer() {
        guard let t = pendingTrailer else { return }
        pendingTrailer = nil
        let raw = t.at.loadUnaligned(as: UInt32.self)
        let trailer = t.bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)
        if Int(trailer) != t.length { tally.malformedBlocks += 1 }
    }

    private func nextPcapNG() -> CapturedPacket? {
        while !stoppedEarly {
            checkPendingTrailer()
            guard let head = source.peek(8) else {
                let left = source.peekAvailable(upTo: 8).count
                if left > 0 { tally.truncatedRecords += 1; tally.trailingBytes += Int64(left) }
                return nil
            }
            let rawType = head.le32(0)
            if rawType == 0x0a0d_0d0a {
                // Section header: the byte-order magic decides the byte order of this section.
                guard let shb = source.peek(12) else { tally.truncatedRecords += 1; stoppedEarly = true; return nil }
                let bom = shb.le32(8)
                if bom == 0x1a2b_3c4d { bigEndian = false } else if bom == 0x4d3c_2b1a { bigEndian = true } else {
                    tally.malformedBlocks += 1; stoppedEarly = true; return nil
                }
                interfaces.removeAll(keepingCapacity: true)
                tally.sections += 1
            }
            let type = bigEndian ? head.be32(0) : head.le32(0)
            let length = Int(bigEndian ? head.be32(4) : head.le32(4))
            guard length >= 12, length % 4 == 0, length <= ByteSource.maximumRecordSize else {
                tally.malformedBlocks += 1
                stoppedEarly = true
                return nil
            }
            guard let block = source.peek(length) else {
                tally.truncatedRecords += 1
                // Analyse a truncated last packet block if its header is there.
                let avail = source.peekAvailable(upTo: length)
                stoppedEarly = true
                if type == 6, avail.count >= 28, let packet = enhancedPacket(avail, declaredLength: length, truncated: true) {
                    return packet
                }
                tally.trailingBytes += Int64(avail.count)
                return nil
            }
            if source.isComplete, let base = block.baseAddress {
                pendingTrailer = (base + (length - 4), length, bigEndian)
            } else {
                let trailer = bigEndian ? block.be32(length - 4) : block.le32(length - 4)
                if Int(trailer) != length { tally.malformedBlocks += 1 }
            }
            defer {
                source.advance(length)
                source.prefetchStream()
            }
            switch type {
            case 0x0a0d_0d0a:
                continue
            case 1:
                readInterfaceDescription(block)
            case 6:
                if let packet = enhancedPacket(block, declaredLength: length, truncated: false) { return packet }
            case 3:
                if let packet = simplePacket(block) { return packet }
            case 2:
                if let packet = obsoletePacket(block) { return packet }
            default:
                tally.skippedBlocks += 1
            }
        }
        return nil
    }

    @inline(__always) private func u16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 { bigEndian ? b.be16(o) : b.le16(o) }
    @inline(__always) private func u32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 { bigEndian ? b.be32(o) : b.le32(o) }

    private func readInterfaceDescription(_ block: UnsafeRawBufferPointer) {
        guard block.count >= 20 else { tally.malformedBlocks += 1; return }
        var iface = Interface(linkType: LinkType(rawValue: UInt32(u16(block, 8))), snapLength: u32(block, 12),
                              ticksPerSecond: 1_000_000, offsetSeconds: 0)
        // Options: code(2) length(2) value padded to 4.
        var o = 16
        let end = block.count - 4
        while o + 4 <= end {
            let code = u16(block, o)
            let len = Int(u16(block, o + 2))
            if code == 0 { break }
            guard o + 4 + len <= end else { tally.malformedBlocks += 1; break }
            if code == 9, len >= 1 {
                let v = block[o + 4]
                let exponent = Int(v & 0x7f)
                if v & 0x80 == 0 {
                    iface.ticksPerSecond = exponent <= 19 ? (0..<exponent).reduce(UInt64(1)) { acc, _ in acc * 10 } : 1_000_000
                } else {
                    iface.ticksPerSecond = exponent < 64 ? UInt64(1) << UInt64(exponent) : 1_000_000
                }
                if iface.ticksPerSecond == 0 { iface.ticksPerSecond = 1_000_000 }
            } else if code == 14, len >= 8 {
                iface.offsetSeconds = Int64(bitPattern: UInt64(u32(block, o + 4)) << 32 | UInt64(u32(block, o + 8)))
                if !bigEndian {
                    iface.offsetSeconds = Int64(bitPattern: UInt64(u32(block, o + 8)) << 32 | UInt64(u32(block, o + 4)))
                }
            }
            o += 4 + ((len + 3) & ~3)
        }
        interfaces.append(iface)
    }

    private func timestamp(_ ticks: UInt64, _ iface: Interface) -> (Int64, UInt32) {
        let tps = iface.ticksPerSecond
        let secs = ticks / tps
        let rem = ticks % tps
        let nanos: UInt64
        if tps <= 1_000_000_000 {
            nanos = rem * (1_000_000_000 / tps) + (1_000_000_000 % tps == 0 ? 0 : (rem * (1_000_000_000 % tps)) / tps)
        } else {
            nanos = rem / (tps / 1_000_000_000)
        }
        return (Int64(clamping: secs) &+ iface.offsetSeconds, UInt32(min(nanos, 999_999_999)))
    }

    /// Enhanced Packet Block: interface(4) ts_high(4) ts_low(4) caplen(4) origlen(4) data options.
    private func enhancedPacket(_ block: UnsafeRawBufferPointer, declaredLength: Int, truncated: Bool) -> CapturedPacket? {
        guard block.count >= 32 || (truncated && block.count >= 28) else { tally.malformedBlocks += 1; return nil }
        let ifIndex = Int(u32(block, 8))
        guard ifIndex < interfaces.count else { tally.unknownInterface += 1; return nil }
        let iface = interfaces[ifIndex]
        let ticks = UInt64(u32(block, 12)) << 32 | UInt64(u32(block, 16))
        var caplen = Int(u32(block, 20))
        let origlen = Int(u32(block, 24))
        let room = truncated ? block.count - 28 : declaredLength - 32
        var cut = truncated
        if caplen > room {
            if !truncated { tally.malformedBlocks += 1 }
            caplen = max(0, room)
            cut = true
        }
        let (s, ns) = timestamp(ticks, iface)
        packetCount += 1
        return CapturedPacket(frameNumber: packetCount, seconds: s, nanoseconds: ns, linkType: iface.linkType,
                              originalLength: max(origlen, caplen), truncatedRecord: cut, data: block.view(28, caplen))
    }

    /// Simple Packet Block: origlen(4) data — captured length is what the block holds, at most the snap length.
    private func simplePacket(_ block: UnsafeRawBufferPointer) -> CapturedPacket? {
        guard block.count >= 16, let iface = interfaces.first else {
            if interfaces.isEmpty { tally.unknownInterface += 1 } else { tally.malformedBlocks += 1 }
            return nil
        }
        let origlen = Int(u32(block, 8))
        var caplen = min(origlen, block.count - 16)
        if iface.snapLength > 0 { caplen = min(caplen, Int(iface.snapLength)) }
        packetCount += 1
        return CapturedPacket(frameNumber: packetCount, seconds: 0, nanoseconds: 0, linkType: iface.linkType,
                              originalLength: origlen, data: block.view(12, caplen))
    }

    /// Obsolete Packet Block: interface(2) drops(2) ts_high(4) ts_low(4) caplen(4) len(4) data options.
    private func obsoletePacket(_ block: UnsafeRawBufferPointer) -> CapturedPacket? {
        guard block.count >= 32 else { tally.malformedBlocks += 1; return nil }
        let ifIndex = Int(u16(block, 8))
        guard ifIndex < interfaces.count else { tally.unknownInterface += 1; return nil }
        let iface = interfaces[ifIndex]
        let ticks = UInt64(u32(block, 12)) << 32 | UInt64(u32(block, 16))
        var caplen = Int(u32(block, 20))
        let origlen = Int(u32(block, 24))
        if caplen > block.count - 32 { tally.malformedBlocks += 1; caplen = block.count - 32 }
        let (s, ns) = timestamp(ticks, iface)
        packetCount += 1
        return CapturedPacket(frameNumber: packetCount, seconds: s, nanoseconds: ns, linkType: iface.linkType,
                              originalLength: max(origlen, caplen), data: block.view(28, caplen))
    }
}
