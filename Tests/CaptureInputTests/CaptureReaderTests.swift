import Testing
import CaptureInput
import TestSupport
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads `bytes` through a temporary file.
func withCapture<T>(_ bytes: [UInt8], _ body: (CaptureReader) throws -> T) throws -> T {
    let path = Paths.temporaryPath("cap-\(bytes.count)-\(UInt32.random(in: 0...UInt32.max))")
    Paths.writeFile(path, bytes)
    defer { unlink(path) }
    let reader = try CaptureReader(path: path)
    return try body(reader)
}

/// Reads `bytes` through a pipe (the streaming reader), written by another thread `chunk` bytes at a time.
func withPipe<T>(_ bytes: [UInt8], chunk: Int, _ body: (CaptureReader) throws -> T) throws -> T {
    var fds: [Int32] = [0, 0]
    try #require(pipe(&fds) == 0)
    let writeEnd = fds[1]
    let writer = Thread {
        bytes.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(writeEnd, raw.baseAddress! + off, min(chunk, raw.count - off))
                if n <= 0 { break }
                off += n
            }
        }
        close(writeEnd)
    }
    writer.start()
    defer { close(fds[0]) }
    return try body(try CaptureReader(source: ByteSource(.stream(fd: fds[0]))))
}

func readAll(_ reader: CaptureReader) -> [(frame: Int, seconds: Int64, nanos: UInt32, link: UInt32, data: [UInt8], truncated: Bool)] {
    var out: [(Int, Int64, UInt32, UInt32, [UInt8], Bool)] = []
    while let p = reader.next() {
        out.append((p.frameNumber, p.seconds, p.nanoseconds, p.linkType.rawValue, Array(p.data), p.truncatedRecord))
    }
    return out
}

@Suite struct ClassicPcap {
    @Test(arguments: [(false, PcapBuilder.Resolution.micro), (true, .micro), (false, .nano), (true, .nano)])
    func byteOrdersAndResolutions(bigEndian: Bool, resolution: PcapBuilder.Resolution) throws {
        var b = PcapBuilder(bigEndian: bigEndian, resolution: resolution, linkType: 1)
        b.add([1, 2, 3, 4], seconds: 1_700_000_000, fraction: 123_456)
        b.add([5, 6], seconds: 1_700_000_001, fraction: 7)
        let packets = try withCapture(b.bytes) { readAll($0) }
        #expect(packets.count == 2)
        #expect(packets[0].frame == 1 && packets[1].frame == 2)
        #expect(packets[0].data == [1, 2, 3, 4])
        #expect(packets[1].data == [5, 6])
        #expect(packets[0].seconds == 1_700_000_000)
        #expect(packets[0].nanos == (resolution == .micro ? 123_456_000 : 123_456))
        #expect(packets[1].link == 1)
    }

    @Test func truncatedLastRecordIsAnalysedAndReported() throws {
        var b = PcapBuilder()
        b.add([1, 2, 3, 4])
        b.add([9, 9, 9, 9, 9, 9, 9, 9])
        let cut = Array(b.bytes.dropLast(3))
        try withCapture(cut) { reader in
            let packets = readAll(reader)
            #expect(packets.count == 2)
            #expect(packets[1].data == [9, 9, 9, 9, 9])
            #expect(packets[1].truncated)
            #expect(reader.counters.truncatedRecords == 1)
        }
    }

    @Test func partialRecordHeaderIsCountedAsTrailingBytes() throws {
        var b = PcapBuilder()
        b.add([1, 2, 3, 4])
        let cut = b.bytes + [0, 1, 2, 3, 4]
        try withCapture(cut) { reader in
            #expect(readAll(reader).count == 1)
            #expect(reader.counters.trailingBytes == 5)
        }
    }

    @Test func absurdRecordLengthStopsReadingWithoutCrash() throws {
        var b = PcapBuilder()
        b.add([1, 2, 3, 4])
        var bytes = b.bytes
        bytes += [0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f]
        try withCapture(bytes) { reader in
            #expect(readAll(reader).count == 1)
            #expect(reader.counters.oversizedRecords == 1)
            #expect(reader.stoppedEarly)
        }
    }
}

@Suite struct PcapNG {
    @Test func blocksOfEveryKindAndSeveralSections() throws {
        var b = PcapNGBuilder(bigEndian: false)
        b.interface(linkType: 1, tsresol: 9)  // nanoseconds
        b.enhancedPacket(timestamp: 1_700_000_000_123_456_789, [1, 2, 3])
        b.block(type: 0x0000_0bad, body: [1, 2, 3, 4, 5, 6, 7, 8])  // unknown, skipped
        b.simplePacket([4, 5, 6, 7, 8])
        b.obsoletePacket(timestamp: 1_700_000_000_000_000_000, [9])
        var second = PcapNGBuilder(bigEndian: true)
        second.interface(linkType: 101)  // microseconds by default
        second.enhancedPacket(timestamp: 1_700_000_001_000_002, [0x45])
        let packets = try withCapture(b.bytes + second.bytes) { reader in
            let p = readAll(reader)
            #expect(reader.counters.sections == 2)
            #expect(reader.counters.skippedBlocks == 1)
            #expect(reader.counters.malformedBlocks == 0)
            return p
        }
        #expect(packets.count == 4)
        #expect(packets[0].data == [1, 2, 3])
        #expect(packets[0].seconds == 1_700_000_000 && packets[0].nanos == 123_456_789)
        #expect(packets[1].data == [4, 5, 6, 7, 8])
        #expect(packets[2].data == [9])
        #expect(packets[3].link == 101 && packets[3].seconds == 1_700_000_001 && packets[3].nanos == 2000)
    }

    @Test func powerOfTwoResolution() throws {
        var b = PcapNGBuilder()
        b.interface(linkType: 1, tsresol: 0x80 | 10)  // 2^-10 s
        b.enhancedPacket(timestamp: 1024 * 5 + 512, [1])
        let packets = try withCapture(b.bytes) { readAll($0) }
        #expect(packets[0].seconds == 5 && packets[0].nanos == 500_000_000)
    }

    @Test func packetBlockForUnknownInterfaceIsCounted() throws {
        var b = PcapNGBuilder()
        b.enhancedPacket(interface: 3, timestamp: 0, [1])
        try withCapture(b.bytes) { reader in
            #expect(readAll(reader).isEmpty)
            #expect(reader.counters.unknownInterface == 1)
        }
    }

    @Test func badBlockLengthStops() throws {
        var b = PcapNGBuilder()
        b.interface()
        var bytes = b.bytes
        bytes += [6, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 0]  // length not a multiple of 4
        try withCapture(bytes) { reader in
            #expect(readAll(reader).isEmpty)
            #expect(reader.counters.malformedBlocks == 1)
        }
    }
}

/// A block whose trailing length differs from its leading one is counted as malformed and the capture read on: the
/// same count from a mapped file (which checks a block's trailer when it reads the next block) as from a stream
/// (which checks it at once), wherever the block sits: between packets, last in the file, or before a new section.
@Suite struct PcapNGTrailers {
    /// Byte offsets where each block of `bytes` ends (pcapng, little-endian, lengths as written).
    static func blockEnds(_ bytes: [UInt8]) -> [Int] {
        var ends: [Int] = []
        var o = 0
        while o + 8 <= bytes.count {
            let length = Int(bytes[o + 4]) | Int(bytes[o + 5]) << 8 | Int(bytes[o + 6]) << 16 | Int(bytes[o + 7]) << 24
            o += length
            ends.append(o)
        }
        return ends
    }

    static func streamed(_ bytes: [UInt8]) throws -> (packets: Int, counters: CaptureCounters) {
        try withPipe(bytes, chunk: 64) { reader in (readAll(reader).count, reader.counters) }
    }

    /// Blocks: 0 section header, 1 interface, 2–5 packets; a second section: 6 header, 7 interface, 8 packet.
    @Test(arguments: [[2], [5], [6], [8], [2, 3, 4], [0, 7]])
    func mismatchesAreCountedWhereverTheyAre(corrupt blocks: [Int]) throws {
        var b = PcapNGBuilder()
        b.interface(linkType: 1)
        for i in 0..<4 { b.enhancedPacket(timestamp: UInt64(1_700_000_000_000_000 + i), [UInt8](repeating: UInt8(i), count: 60 + i)) }
        var second = PcapNGBuilder()
        second.interface(linkType: 1)
        second.enhancedPacket(timestamp: 1_700_000_001_000_000, [9, 9, 9])
        var bytes = b.bytes + second.bytes
        let ends = Self.blockEnds(bytes)
        #expect(ends.count == 9 && ends.last == bytes.count)
        for i in blocks { bytes[ends[i] - 4] ^= 0x40 }
        let mapped = try withCapture(bytes) { reader in (readAll(reader).count, reader.counters) }
        let streamed = try Self.streamed(bytes)
        #expect(mapped.0 == 5 && streamed.packets == 5)
        #expect(mapped.1.malformedBlocks == blocks.count, "mapped")
        #expect(streamed.counters.malformedBlocks == blocks.count, "streamed")
        #expect(mapped.1 == streamed.counters)
    }

    /// The counters include the block of the packet just handed out, before the next read.
    @Test func countersIncludeTheBlockJustRead() throws {
        var b = PcapNGBuilder()
        b.interface(linkType: 1)
        b.enhancedPacket(timestamp: 1_700_000_000_000_000, [1, 2, 3, 4])
        var bytes = b.bytes
        bytes[bytes.count - 4] ^= 0x10
        try withCapture(bytes) { reader in
            #expect(reader.next() != nil)
            #expect(reader.counters.malformedBlocks == 1)
            #expect(reader.next() == nil)
            #expect(reader.counters.malformedBlocks == 1)
        }
    }
}

@Suite struct NotACapture {
    @Test func emptyFile() {
        #expect(throws: CaptureError.empty) { try withCapture([]) { _ in } }
    }

    @Test func textFile() {
        #expect(throws: CaptureError.notACapture(detail: "unrecognised magic 0x68656c6c")) {
            try withCapture(Array("hello, this is text\n".utf8)) { _ in }
        }
    }

    @Test func gzipIsNamedWithAHint() throws {
        do {
            try withCapture([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]) { _ in }
            Issue.record("gzip accepted")
        } catch let e as CaptureError {
            #expect(e == .compressed(format: "gzip"))
            #expect(e.description.contains("gzip -dc"))
        }
    }

    @Test func missingFile() {
        #expect(throws: CaptureError.self) { try CaptureReader(path: "/nonexistent/helloscope.pcap") }
    }
}

@Suite struct StreamInput {
    /// The same capture through a pipe (streaming reader) gives the same packets as through the mapping.
    @Test func pipeEqualsMappedFile() throws {
        var b = PcapBuilder()
        for i in 0..<2000 { b.add([UInt8](repeating: UInt8(i & 0xff), count: 700 + i % 300)) }
        let mapped = try withCapture(b.bytes) { readAll($0).map(\.data) }
        let streamed = try withPipe(b.bytes, chunk: 4096) { readAll($0).map(\.data) }
        #expect(streamed.count == mapped.count)
        #expect(streamed == mapped)
    }
}

@Suite struct InMemorySource {
    @Test func bytesReadLikeAFile() throws {
        var b = PcapNGBuilder()
        b.interface(linkType: 1)
        b.enhancedPacket(timestamp: 1_700_000_000_000_000, [1, 2, 3])
        b.enhancedPacket(timestamp: 1_700_000_001_000_000, [4, 5, 6, 7, 8])
        let fromFile = try withCapture(b.bytes) { readAll($0) }.map(\.data)
        let source = ByteSource(.bytes(b.bytes))
        #expect(source.totalSize == Int64(b.bytes.count))
        let reader = try CaptureReader(source: source)
        #expect(readAll(reader).map(\.data) == fromFile)
        // A truncated tail is counted, as for a mapped file.
        let cut = try CaptureReader(source: ByteSource(.bytes(Array(b.bytes.dropLast(3)))))
        _ = readAll(cut)
        #expect(cut.counters.truncatedRecords + cut.counters.malformedBlocks == 1)
        #expect(throws: CaptureError.empty) { try CaptureReader(source: ByteSource(.bytes([]))) }
    }
}

@Suite struct PathNames {
    @Test func lastComponent() {
        #expect(lastPathComponent("captures/lab/curl-ocsp.pcap") == "curl-ocsp.pcap")
        #expect(lastPathComponent("/tmp/x.pcapng") == "x.pcapng")
        #expect(lastPathComponent("x.pcap") == "x.pcap")
        #expect(lastPathComponent("dir/sub/") == "sub")
        #expect(lastPathComponent("/") == "/")
        #expect(lastPathComponent("//") == "/")
        #expect(lastPathComponent("-") == "-")
        #expect(lastPathComponent("") == "")
    }
}
