import CaptureInput
import PacketDecoding

/// The limits in force for an analysis (all documented in docs/robustness.md).
public struct AnalysisLimits: Sendable, Equatable {
    public var reassembly = ReassemblyLimits()
    public var fragments = IPFragmentReassembler.Limits()
    /// Plaintext bytes a direction may carry before TLS starts (STARTTLS, HTTP CONNECT) before it is given up.
    public var maximumPlaintextBeforeTLS = 64 << 10
    /// Segments a direction may carry before TLS starts.
    public var maximumSegmentsBeforeTLS = 64
    /// Bytes of TLS a direction is read for once its hellos are seen (alerts, a second ClientHello).
    public var maximumTLSBytesPerDirection = 512 << 10
    public init() {}
}

/// The end-of-capture summary: what was read, decoded, analysed, and everything that was malformed or limited.
public struct CaptureSummary: Sendable {
    public var capture: String
    public var format: String
    public var fileSize: Int64?
    public var firstSeconds: Int64?
    public var firstNanoseconds: UInt32 = 0
    public var lastSeconds: Int64 = 0
    public var lastNanoseconds: UInt32 = 0
    public var packets = 0
    public var bytes: Int64 = 0
    public var linkTypes: [String: Int] = [:]
    public var tcpPackets = 0
    public var udpPackets = 0
    public var flows = 0
    public var clientHellos = 0
    public var serverHellos = 0
    public var truncated = false
    /// Every counter, by name (snake_case); zero counters are written too so consumers see every key.
    public var counters: [String: Int] = [:]
    public var limits = AnalysisLimits()

    public func write(to w: inout JSONWriter) {
        w.beginObject()
        w.field("type", "capture_summary")
        w.field("ts", rfc3339(seconds: lastSeconds, nanoseconds: lastNanoseconds))
        w.field("capture", capture)
        w.field("frame", packets)
        w.field("format", format)
        w.field("file_size", fileSize)
        w.key("first_ts")
        if let firstSeconds { w.string(rfc3339(seconds: firstSeconds, nanoseconds: firstNanoseconds)) } else { w.null() }
        w.field("last_ts", packets > 0 ? rfc3339(seconds: lastSeconds, nanoseconds: lastNanoseconds) : nil)
        w.field("packets", packets)
        w.field("bytes", bytes)
        w.key("link_types")
        w.beginObject()
        for (k, v) in linkTypes.sorted(by: { $0.key < $1.key }) { w.key(text: k); w.int(v) }
        w.endObject()
        w.field("tcp_packets", tcpPackets)
        w.field("udp_packets", udpPackets)
        w.field("flows", flows)
        w.field("client_hellos", clientHellos)
        w.field("server_hellos", serverHellos)
        w.field("truncated", truncated)
        w.key("counters")
        w.beginObject()
        for (k, v) in counters.sorted(by: { $0.key < $1.key }) { w.key(text: k); w.int(v) }
        w.endObject()
        w.key("limits")
        w.beginObject()
        w.field("max_flows", limits.reassembly.maximumFlows)
        w.field("max_out_of_order_bytes_per_direction", limits.reassembly.maximumOutOfOrderBytesPerDirection)
        w.field("max_out_of_order_bytes_total", limits.reassembly.maximumOutOfOrderBytesTotal)
        w.field("idle_timeout_seconds", limits.reassembly.idleTimeoutSeconds)
        w.field("max_fragmented_datagrams", limits.fragments.maximumDatagrams)
        w.field("max_fragment_bytes_total", limits.fragments.maximumTotalBytes)
        w.field("max_plaintext_before_tls", limits.maximumPlaintextBeforeTLS)
        w.field("max_tls_bytes_per_direction", limits.maximumTLSBytesPerDirection)
        w.endObject()
        w.endObject()
    }
}
