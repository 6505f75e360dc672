// Reading a capture twice, from memory and streamed through a descriptor, for the capture-reader fuzz targets.
import CaptureInput
#if canImport(Glibc)
import Glibc
#endif

/// What one reading of a capture yielded (bounded, for comparing two readings).
public struct Reading: Equatable {
    public var packets: [[UInt8]] = []
    public var meta: [String] = []
    public var counters = CaptureCounters()
    public var stoppedEarly = false
    public var error: String?
    public init() {}
}

public func readAll(_ makeSource: () -> ByteSource?) -> Reading {
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
public func streamDescriptor(_ bytes: [UInt8]) -> Int32? {
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


/// Reads `file` from memory and streamed through a descriptor; traps when the two readings differ.
public func readBothWaysAndCompare(_ file: [UInt8]) {
    let inMemory = readAll { ByteSource(.bytes(file)) }
    guard let fd = streamDescriptor(file) else { return }
    defer { close(fd) }
    let streamed = readAll { ByteSource(.stream(fd: fd)) }
    if inMemory != streamed {
        print("in-memory and streamed readings differ:\n  \(inMemory)\n  \(streamed)")
        abort()
    }
}
