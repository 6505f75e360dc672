import CaptureInput

/// What the first bytes of a byte stream (or of a segment) say about TLS.
public enum TLSDetection: Equatable, Sendable {
    /// A TLS record carrying a ClientHello or ServerHello starts here.
    case tls
    /// An SSL 2.0-format CLIENT-HELLO starts here.
    case sslv2
    case notTLS
    /// Too few bytes to tell.
    case needMoreBytes
}

/// Recognises the start of a TLS handshake by content, on any port.
///
/// A TLS record header (RFC 8446 §5.1: `type(1) legacy_record_version(2) length(2)`) of type handshake,
/// version 3.x, a length up to 2^14 + 2048, whose first handshake message is a ClientHello or ServerHello; or an
/// SSL 2.0 CLIENT-HELLO (`0x80 | len_hi, len_lo, 1, version`).
public func detectTLS(_ b: UnsafeRawBufferPointer) -> TLSDetection {
    guard b.count >= 1 else { return .needMoreBytes }
    if b[0] == TLSContentType.handshake {
        guard b.count >= 6 else {
            if b.count >= 2 && b[1] != 3 { return .notTLS }
            if b.count >= 3 && b[2] > 4 { return .notTLS }
            return .needMoreBytes
        }
        let length = Int(b.be16(3))
        guard b[1] == 3, b[2] <= 4, length >= 4, length <= TLSStreamParser.maximumRecordLength else { return .notTLS }
        return b[5] == HandshakeType.clientHello || b[5] == HandshakeType.serverHello ? .tls : .notTLS
    }
    if b[0] & 0x80 != 0 {
        guard b.count >= 5 else { return .needMoreBytes }
        let length = Int(b.be16(0) & 0x7fff)
        let version = b.be16(3)
        guard b[2] == 1, length >= 9, version == 0x0002 || (version >= 0x0300 && version <= 0x0304) else { return .notTLS }
        return .sslv2
    }
    return .notTLS
}

/// What the record parser found in the bytes it was given.
public enum TLSStreamEvent {
    /// A complete handshake message: its type, its body (after the 4-byte header), and the version of the
    /// record that carried its first byte.
    case handshake(type: UInt8, body: [UInt8], recordVersion: UInt16)
    /// An SSL 2.0-format CLIENT-HELLO message (after its record header).
    case sslv2ClientHello(message: [UInt8])
    /// An alert in clear (RFC 8446 §6): level and description.
    case alert(level: UInt8, description: UInt8)
    case changeCipherSpec
    /// Encrypted traffic began (an encrypted handshake after ChangeCipherSpec, an encrypted alert): nothing
    /// more can be read in clear in this direction.
    case encrypted
    /// An application_data record: the connection is carrying data. Nothing more can be read in clear.
    case applicationData
    /// The stream is not (or no longer) well-formed TLS; the reason names what was wrong.
    case malformed(String)
}

/// Parses one direction of a TLS connection: records, and handshake messages split across records or
/// sharing a record. Holds only the bytes of an incomplete record and an incomplete handshake message, each
/// bounded.
public struct TLSStreamParser {
    /// TLSCiphertext may be 2^14 + 256 bytes; allow the TLS 1.2 bound of 2^14 + 2048.
    public static let maximumRecordLength = 16_384 + 2048
    /// Largest handshake message kept (certificate chains included); larger ones are reported as malformed.
    public static let defaultMaximumHandshakeLength = 256 << 10

    public let maximumHandshakeLength: Int
    public let isDTLS: Bool
    private var recordBuffer: [UInt8] = []
    private var handshakeBuffer: [UInt8] = []
    private var handshakeRecordVersion: UInt16 = 0
    public private(set) var sawChangeCipherSpec = false
    /// Once true, the parser ignores further bytes.
    public private(set) var finished = false
    public private(set) var recordsParsed = 0
    /// The stream began with an SSL 2.0-format hello; what follows may be SSL 2.0 records, which are not read.
    private var startedWithSSLv2 = false

    public init(maximumHandshakeLength: Int = TLSStreamParser.defaultMaximumHandshakeLength, isDTLS: Bool = false) {
        self.maximumHandshakeLength = maximumHandshakeLength
        self.isDTLS = isDTLS
    }

    /// Bytes held while waiting for the rest of a record or message.
    public var bufferedBytes: Int { recordBuffer.count + handshakeBuffer.count }
    /// Memory the parser holds for them (the buffers' capacity): grows with the bytes received, never with a length
    /// a record or message header announces.
    public var bufferedCapacity: Int { recordBuffer.capacity + handshakeBuffer.capacity }

    /// Feeds in-order stream bytes; `emit` is called for each event, in order.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (TLSStreamEvent) -> Void) {
        guard !finished, bytes.count > 0 else { return }
        if recordBuffer.isEmpty {
            // Parse straight from the segment; keep only an incomplete tail.
            let used = parseRecords(bytes, emit: emit)
            // Only the bytes there are: room is never reserved for a length the peer announced, so a flow that
            // stops after a record or message header holds what it sent, not what it claimed.
            if !finished && used < bytes.count { recordBuffer.append(contentsOf: bytes.view(used, bytes.count - used)) }
        } else {
            recordBuffer.append(contentsOf: bytes)
            let buffer = recordBuffer
            let used = buffer.withUnsafeBytes { parseRecords($0, emit: emit) }
            if finished { recordBuffer = [] } else { recordBuffer.removeFirst(min(used, recordBuffer.count)) }
        }
    }

    /// Stops the parser and releases its buffers.
    public mutating func finish() {
        finished = true
        recordBuffer = []
        handshakeBuffer = []
    }

    private mutating func fail(_ reason: String, _ emit: (TLSStreamEvent) -> Void) {
        finish()
        emit(.malformed(reason))
    }

    /// Parses whole records from `b`; returns how many bytes were consumed.
    private mutating func parseRecords(_ b: UnsafeRawBufferPointer, emit: (TLSStreamEvent) -> Void) -> Int {
        var o = 0
        while !finished {
            let left = b.count - o
            if recordsParsed == 0 && handshakeBuffer.isEmpty, left >= 1, b[o] & 0x80 != 0, b[o] != TLSContentType.handshake {
                // SSL 2.0 record header: 2 bytes, length in the low 15 bits.
                guard left >= 2 else { return o }
                let length = Int(b.be16(o) & 0x7fff)
                guard left >= 2 + length else {
                    if length > TLSStreamParser.maximumRecordLength { fail("sslv2_record_length", emit) }
                    return o
                }
                recordsParsed += 1
                startedWithSSLv2 = true
                emit(.sslv2ClientHello(message: Array(b.view(o + 2, length))))
                o += 2 + length
                continue
            }
            guard left >= 5 else { return o }
            let type = b[o]
            let version = b.be16(o + 1)
            let length = Int(b.be16(o + 3))
            guard type >= 20 && type <= 24, b[o + 1] == 3 else {
                if startedWithSSLv2 {
                    // SSL 2.0 records after an SSL 2.0 hello: nothing more to read in clear here.
                    finish()
                    emit(.encrypted)
                } else {
                    fail("record_header", emit)
                }
                return o
            }
            guard length <= TLSStreamParser.maximumRecordLength else { fail("record_length", emit); return o }
            guard left >= 5 + length else { return o }
            let fragment = b.view(o + 5, length)
            o += 5 + length
            recordsParsed += 1
            switch type {
            case TLSContentType.handshake:
                if sawChangeCipherSpec && handshakeBuffer.isEmpty && !plausibleClearHandshake(fragment) {
                    finish()
                    emit(.encrypted)
                    return o
                }
                if handshakeBuffer.isEmpty {
                    // Messages read straight from the record; only an incomplete one is kept.
                    handshakeRecordVersion = version
                    let used = extractHandshakeMessages(fragment, emit)
                    if finished { return o }
                    if used < fragment.count { handshakeBuffer.append(contentsOf: fragment.view(used, fragment.count - used)) }
                } else {
                    handshakeBuffer.append(contentsOf: fragment)
                    let buffer = handshakeBuffer
                    let used = buffer.withUnsafeBytes { extractHandshakeMessages($0, emit) }
                    if finished { return o }
                    handshakeBuffer.removeFirst(used)
                }
            case TLSContentType.changeCipherSpec:
                sawChangeCipherSpec = true
                emit(.changeCipherSpec)
            case TLSContentType.alert:
                if length == 2 && !sawChangeCipherSpec {
                    emit(.alert(level: fragment[0], description: fragment[1]))  // length checked above
                } else {
                    finish()
                    emit(.encrypted)
                }
            case TLSContentType.applicationData:
                finish()
                emit(.applicationData)
            default:
                break  // heartbeat
            }
        }
        return o
    }

    /// After ChangeCipherSpec, a handshake record is read only if it plainly starts a ClientHello or
    /// ServerHello (TLS 1.3 middlebox compatibility sends CCS before the second ClientHello or the ServerHello
    /// that follows a HelloRetryRequest); otherwise it is an encrypted Finished.
    private func plausibleClearHandshake(_ f: UnsafeRawBufferPointer) -> Bool {
        guard f.count >= 4 + 38 else { return false }
        let type = f[0]
        let length = Int(f.be24(1))
        guard type == HandshakeType.clientHello || type == HandshakeType.serverHello else { return false }
        guard length >= 38, length <= maximumHandshakeLength else { return false }
        return f.be16(4) >> 8 == 3 || f.be16(4) >> 8 == 0xfe  // a legacy_version 3.x
    }

    /// Emits the whole handshake messages at the start of `b`; returns how many bytes they take (an incomplete
    /// message after them is left to the caller). A message longer than `maximumHandshakeLength` stops the parser.
    private mutating func extractHandshakeMessages(_ b: UnsafeRawBufferPointer, _ emit: (TLSStreamEvent) -> Void) -> Int {
        var start = 0
        while b.count - start >= 4 {
            let type = b[start]
            let length = Int(b.be24(start + 1))
            guard length <= maximumHandshakeLength else {
                fail("handshake_too_large", emit)
                return start
            }
            guard b.count - start >= 4 + length else { break }
            let body = Array(b.view(start + 4, length))
            start += 4 + length
            emit(.handshake(type: type, body: body, recordVersion: handshakeRecordVersion))
            if finished { return start }
        }
        return start
    }
}

/// Walks TLS record headers only, to notice the first application_data record of a direction whose handshake is
/// encrypted (used to tell whether a client went on after a revoked staple). Holds at most 5 bytes.
public struct TLSRecordWalker {
    private var header: [UInt8] = []
    private var remaining = 0
    public private(set) var sawApplicationData = false
    public private(set) var failed = false

    public init() {}

    /// Feeds in-order bytes; returns true once an application_data record header has been seen.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var o = 0
        while o < bytes.count && !sawApplicationData && !failed {
            if remaining > 0 {
                let n = min(remaining, bytes.count - o)
                remaining -= n
                o += n
                continue
            }
            header.append(bytes[o])
            o += 1
            if header.count == 5 {
                let type = header[0]
                guard type >= 20 && type <= 24, header[1] == 3 else { failed = true; break }
                if type == TLSContentType.applicationData { sawApplicationData = true }
                remaining = Int(header[3]) << 8 | Int(header[4])
                header.removeAll(keepingCapacity: true)
            }
        }
        return sawApplicationData
    }
}
