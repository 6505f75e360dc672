import CPcap

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pcap file written with `pcap_dump_open` / `pcap_dump`, with the link type and snapshot length of a live capture.
public final class PcapDumpFile {
    private let dumper: OpaquePointer
    public let path: String
    private var closed = false

    /// Creates (truncates) `path` for the packets of `capture`.
    public init(path: String, for capture: LiveCapture) throws(LiveCaptureError) {
        guard let d = pcap_dump_open(capture.handle, path) else {
            throw .pcap(call: "pcap_dump_open", detail: String(cString: pcap_geterr(capture.handle)))
        }
        dumper = d
        self.path = path
    }

    /// Creates `path` for packets of `linkType` without a live handle (`pcap_open_dead`; tests).
    public init(path: String, linkType: Int32, snapshotLength: Int32) throws(LiveCaptureError) {
        guard let dead = pcap_open_dead(linkType, snapshotLength) else {
            throw .pcap(call: "pcap_open_dead", detail: "failed")
        }
        defer { pcap_close(dead) }
        guard let d = pcap_dump_open(dead, path) else {
            throw .pcap(call: "pcap_dump_open", detail: String(cString: pcap_geterr(dead)))
        }
        dumper = d
        self.path = path
    }

    deinit { close() }

    /// Appends one packet record.
    public func write(seconds: Int64, microseconds: UInt32, originalLength: Int, bytes: UnsafeRawBufferPointer) {
        guard !closed, let base = bytes.baseAddress else { return }
        var header = pcap_pkthdr()
        header.ts.tv_sec = time_t(seconds)
        header.ts.tv_usec = suseconds_t(microseconds)
        header.caplen = UInt32(bytes.count)
        header.len = UInt32(max(originalLength, bytes.count))
        pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), &header,
                  base.assumingMemoryBound(to: UInt8.self))
    }

    /// Pushes buffered records to the file.
    public func flush() {
        guard !closed else { return }
        pcap_dump_flush(dumper)
    }

    public func close() {
        guard !closed else { return }
        closed = true
        pcap_dump_close(dumper)
    }
}
