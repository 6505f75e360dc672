// Classic pcap reader: global header, records, lying incl_len/orig_len, snap lengths, truncation.
//
// The same bytes are read twice, from memory (as a mapped file is read) and streamed through a pipe-like
// descriptor (as standard input is read, with the stream buffer's refills): both must yield the same packets
// and counters, or the harness traps.
import CaptureInput
import FuzzSupport
#if canImport(Glibc)
import Glibc
#endif

struct Reading: Equatable {
    var packets: [[UInt8]] = []
    var meta: [String] = []
    var counters = CaptureCounters()
    var stoppedEarly = false
    var error: String?
}

func readAll(_ makeSource: () -> ByteSource?) -> Reading {
    var r = Reading()
    guard let source = makeSource() else { r.error = "no source"; return r }
    do {
        let reader = try CaptureReader(source: source)
        while let p = reader.next() {
            // Touch every byte (ASan checks the view), keep a bounded record for the comparison.
            if r.packets.count < 64 { r.packets.append(Array(p.data)) } else { _ = p.data.reduce(0, &+) }
            if r.meta.count < 64 { r.meta.append("\(p.frameNumber) \(p.seconds) \(p.nanoseconds) \(p.linkType.rawValue) \(p.originalLength) \(p.truncatedRecord)") }
        }
        r.counters = reader.counters
        r.stoppedEarly = reader.stoppedEarly
    } catch {
        r.error = error.description
    }
    return r
}

/// A descriptor that reads `bytes` sequentially (an unlinked temporary file, read with read(2) like a pipe).
func streamDescriptor(_ bytes: [UInt8]) -> Int32? {
    var template = Array((access("/dev/shm", W_OK) == 0 ? "/dev/shm/fuzz-XXXXXX" : "/tmp/fuzz-XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { return nil }
    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, bytes.count - off) }
        guard n > 0 else { close(fd); return nil }
        off += n
    }
    lseek(fd, 0, SEEK_SET)
    return fd
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    // Classic pcap: the first byte picks one of the four magics (byte order × resolution); the rest is the file
    // after the magic, so every mutation lands on the header, the records and their lengths.
    let magics: [[UInt8]] = [[0xd4, 0xc3, 0xb2, 0xa1], [0xa1, 0xb2, 0xc3, 0xd4], [0x4d, 0x3c, 0xb2, 0xa1], [0xa1, 0xb2, 0x3c, 0x4d]]
    var file = magics[Int(input.u8() & 3)]
    file += input.rest()
    let inMemory = readAll { ByteSource(.bytes(file)) }
    guard let fd = streamDescriptor(file) else { return 0 }
    defer { close(fd) }
    let streamed = readAll { ByteSource(.stream(fd: fd)) }
    if inMemory != streamed {
        print("in-memory and streamed readings differ:\n  \(inMemory)\n  \(streamed)")
        abort()
    }
    return 0
}

@_cdecl("FuzzPcap_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzz)
}
