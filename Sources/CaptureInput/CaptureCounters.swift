/// What the capture reader met that was not a clean packet. Reported in the capture summary.
public struct CaptureCounters: Sendable, Equatable {
    /// A record or block whose length runs past the end of the file (the last one, usually).
    public var truncatedRecords = 0
    /// Classic pcap records whose captured length is larger than the original length or the snapshot length.
    public var oversizedRecords = 0
    /// pcapng blocks whose length is invalid (not a multiple of 4, too short, trailer mismatch).
    public var malformedBlocks = 0
    /// pcapng blocks skipped because their type is not a packet block helloscope reads.
    public var skippedBlocks = 0
    /// Packet blocks that name an interface no IDB described.
    public var unknownInterface = 0
    /// pcapng sections (SHBs) seen.
    public var sections = 0
    /// Bytes at the end of the file that could not be read as a record.
    public var trailingBytes: Int64 = 0
    public init() {}
}

/// The container format of a capture.
public enum CaptureFormat: String, Sendable {
    case pcap, pcapng
}
