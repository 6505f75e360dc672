import Testing
import Foundation
import CaptureInput
import Pipeline
import TestSupport

/// A capture file is mapped and analysed with packets read ahead (the flows of the next packets prefetched); a
/// stream (standard input, a pipe) is read packet by packet through a reused buffer. Both must give the same
/// events, summary counters included, byte for byte (only the file size is unknown to a stream): on every lab
/// capture and reference corpus capture, and on the lab captures with records cut short and header bytes replaced.
@Suite struct StreamReading {
    static func lines(_ reader: CaptureReader, name: String) -> [[UInt8]] {
        let sink = EventCollector()
        CaptureAnalyzer.analyze(reader: reader, name: name, sink: sink)
        return sink.events.map { event in
            var w = JSONWriter()
            if case .captureSummary(var summary) = event {
                // A stream has no file size; everything else must agree.
                summary.fileSize = nil
                Event.captureSummary(summary).write(to: &w)
            } else {
                event.write(to: &w)
            }
            return w.bytes
        }
    }

    static func compare(_ path: String) throws -> Int {
        let mapped = try lines(CaptureReader(path: path), name: "capture")
        let fd = open(path, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let source = ByteSource(.stream(fd: fd))
        #expect(!source.isComplete)
        let streamed = try lines(CaptureReader(source: source), name: "capture")
        #expect(mapped.count == streamed.count, "\(path)")
        for (i, (a, b)) in zip(mapped, streamed).enumerated() where a != b {
            Issue.record("\(path) event \(i): mapped \(String(decoding: a, as: UTF8.self)) streamed \(String(decoding: b, as: UTF8.self))")
            break
        }
        return mapped.count
    }

    @Test func fileAndStreamGiveTheSameEvents() throws {
        var paths = Paths.files(under: Paths.packageRoot + "/captures/lab", suffixes: [".pcap"])
        if let corpus = Paths.corpus { paths += Paths.files(under: corpus, suffixes: [".pcap", ".pcapng"]) }
        var events = 0
        for path in paths { events += try Self.compare(path) }
        #expect(paths.count >= 10 && events > 100, "\(paths.count) captures, \(events) events")
    }

    /// The lab captures with packets cut short (the record's original length says so) and header bytes replaced,
    /// seeded.
    @Test func damagedCapturesGiveTheSameEvents() throws {
        let lab = Paths.files(under: Paths.packageRoot + "/captures/lab", suffixes: [".pcap"])
        var rng = SeededGenerator(seed: 11)
        var damaged = 0
        for source in lab {
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: source)))
            // Classic pcap, little-endian, with a 24-byte file header: walk the records.
            guard bytes.count > 24, bytes[0] == 0xd4, bytes[1] == 0xc3 else { continue }
            var o = 24
            while o + 16 <= bytes.count {
                let incl = Int(bytes[o + 8]) | Int(bytes[o + 9]) << 8 | Int(bytes[o + 10]) << 16 | Int(bytes[o + 11]) << 24
                guard o + 16 + incl <= bytes.count else { break }
                switch rng.next() % 6 {
                case 0 where incl > 60:
                    // Claim a longer original length: the packet is now truncated.
                    bytes[o + 12] &+= 7
                    damaged += 1
                case 1 where incl > 60:
                    let i = o + 16 + Int(rng.next() % 60)
                    bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                    damaged += 1
                default:
                    break
                }
                o += 16 + incl
            }
            let path = Paths.temporaryPath("readahead-\(damaged).pcap")
            Paths.writeFile(path, bytes)
            defer { unlink(path) }
            _ = try Self.compare(path)
        }
        #expect(damaged > 150, "\(damaged) records damaged")
    }
}
