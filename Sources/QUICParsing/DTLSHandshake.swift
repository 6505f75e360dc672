// DTLS record layer (RFC 6347 §4.1, RFC 9147 §4) and handshake fragment reassembly (RFC 6347 §4.2.2).

/// DTLS record-layer version numbers (one's complement of the TLS minor version).
public enum DTLSVersionNumber {
    public static let dtls10: UInt16 = 0xfeff
    public static let dtls12: UInt16 = 0xfefd
    public static let dtls13: UInt16 = 0xfefc

    @inlinable public static func isKnown(_ v: UInt16) -> Bool { v == dtls10 || v == dtls12 || v == dtls13 }
}

/// A complete DTLS handshake message, re-framed as a TLS handshake message.
///
/// `bytes` is `msg_type, uint24 length, body`: the 8 DTLS-only header bytes (message_seq, fragment_offset,
/// fragment_length) are removed, the body is left exactly as sent. A DTLS ClientHello body therefore still carries
/// its `cookie<0..2^8-1>` after `session_id`; parse it with the TLS parser's DTLS flag.
public struct DTLSHandshakeMessage: Sendable, Equatable {
    public var from: EndpointKey
    public var to: EndpointKey
    /// Record-layer version of the record that completed the message.
    public var recordVersion: UInt16
    public var epoch: UInt16
    public var messageSeq: UInt16
    /// Index of the completing record inside its datagram.
    public var recordIndex: Int
    public var bytes: [UInt8]
    /// Cookie length for ClientHello (type 1) and HelloVerifyRequest (type 3); nil for other types or when the body
    /// is too short to hold one.
    public var cookieLength: Int?

    public var handshakeType: UInt8 { bytes.first ?? 0 }
    public var isDTLS: Bool { true }

    /// Sender role implied by the message type: ClientHello, CertificateVerify and ClientKeyExchange come from the
    /// client; ServerHello, HelloVerifyRequest, NewSessionTicket, Certificate, ServerKeyExchange,
    /// CertificateRequest and ServerHelloDone from the server (Certificate is assumed to be the server's);
    /// nil for other types.
    public var senderRole: QUICDirection? {
        switch handshakeType {
        case 1, 15, 16: return .client
        case 2, 3, 4, 11, 12, 13, 14: return .server
        default: return nil
        }
    }
}

public struct DTLSProcessResult: Sendable {
    /// Whether the datagram started with a DTLS record header.
    public var isDTLS = false
    public var records = 0
    public var messages: [DTLSHandshakeMessage] = []

    public init() {}
}

public struct DTLSCounters: Sendable, Equatable {
    public var datagrams = 0
    public var records = 0
    public var handshakeFragments = 0
    /// Handshake records with epoch > 0 (encrypted; not decoded).
    public var encryptedHandshakeRecords = 0
    /// Change-cipher-spec, alert, application-data, heartbeat, ACK records and DTLS 1.3 unified-header records.
    public var otherRecords = 0
    public var malformed = 0
    public var messages = 0
    public var helloVerifyRequests = 0
    /// Completed messages identical to one already returned for the same flow and message_seq (retransmissions).
    public var duplicateMessages = 0
    /// Fragments of messages longer than the per-message bound, beyond the per-flow pending bound, or that would
    /// exceed the buffered-bytes budget.
    public var droppedFragments = 0
    public var evictedFlows = 0
}

/// Bounded reassembly of DTLS handshake messages per directed flow (from → to) and message_seq.
/// Bounds: `maxFlows` flows (oldest evicted), `maxPendingMessages` incomplete messages per flow,
/// `maxMessageLength` bytes per message, `maxBufferedBytes` of incomplete-message storage over all flows (oldest
/// other flows evicted first). Not thread-safe.
public final class DTLSHandshakeReassembler {
    public static let defaultMaxFlows = 4096
    public static let defaultMaxMessageLength = 64 * 1024
    public static let defaultMaxPendingMessages = 8
    public static let defaultMaxBufferedBytes = 16 * 1024 * 1024

    public let maxFlows: Int
    public let maxMessageLength: Int
    public let maxPendingMessages: Int
    public let maxBufferedBytes: Int
    /// Storage held by incomplete messages over all flows.
    public private(set) var bufferedBytes = 0
    public private(set) var counters = DTLSCounters()

    struct FlowKey: Hashable {
        var from: EndpointKey
        var to: EndpointKey
    }

    struct Pending {
        var type: UInt8
        var length: Int
        var body: [UInt8]
        var ranges: [Range<Int>] = []

        mutating func add(_ r: Range<Int>) {
            var merged = r
            var out: [Range<Int>] = []
            for e in ranges {
                if e.upperBound < merged.lowerBound || e.lowerBound > merged.upperBound {
                    out.append(e)
                } else {
                    merged = min(e.lowerBound, merged.lowerBound)..<max(e.upperBound, merged.upperBound)
                }
            }
            out.append(merged)
            ranges = out
        }

        var isComplete: Bool { ranges.count == 1 && ranges[0] == 0..<length }
    }

    final class Flow {
        var pending: [UInt16: Pending] = [:]
        /// message_seq → (type, FNV-1a hash of the body) of messages already returned.
        var completed: [UInt16: (UInt8, UInt64)] = [:]
        var sequence: UInt64 = 0
        var bufferedBytes = 0
    }

    private var flows: [FlowKey: Flow] = [:]
    private var order: [(FlowKey, UInt64)] = []
    private var orderHead = 0
    private var nextSequence: UInt64 = 0

    public init(maxFlows: Int = DTLSHandshakeReassembler.defaultMaxFlows,
                maxMessageLength: Int = DTLSHandshakeReassembler.defaultMaxMessageLength,
                maxPendingMessages: Int = DTLSHandshakeReassembler.defaultMaxPendingMessages,
                maxBufferedBytes: Int = DTLSHandshakeReassembler.defaultMaxBufferedBytes) {
        self.maxFlows = max(1, maxFlows)
        self.maxMessageLength = maxMessageLength
        self.maxPendingMessages = max(1, maxPendingMessages)
        self.maxBufferedBytes = max(maxMessageLength, maxBufferedBytes)
    }

    public var flowCount: Int { flows.count }

    /// Forgets the reassembly state of one direction of a flow.
    public func removeFlow(from: EndpointKey, to: EndpointKey) {
        if let f = flows.removeValue(forKey: FlowKey(from: from, to: to)) { bufferedBytes -= f.bufferedBytes }
    }

    /// Forgets every flow; counters are kept.
    public func removeAllFlows() {
        flows.removeAll()
        bufferedBytes = 0
        order.removeAll()
        orderHead = 0
    }

    /// Cheap content check, no allocation: a DTLS record header (content type 20–25, DTLS version) whose length fits.
    @inlinable
    public static func looksLikeDTLS(_ p: UnsafeRawBufferPointer) -> Bool {
        guard p.count >= 13, p[0] >= 20, p[0] <= 25, p[1] == 0xfe, p[2] == 0xff || p[2] == 0xfd || p[2] == 0xfc
        else { return false }
        return 13 + (Int(p[11]) << 8 | Int(p[12])) <= p.count
    }

    public func process(datagram p: UnsafeRawBufferPointer, from: EndpointKey, to: EndpointKey) -> DTLSProcessResult {
        var result = DTLSProcessResult()
        guard Self.looksLikeDTLS(p) else { return result }
        result.isDTLS = true
        counters.datagrams += 1
        var offset = 0
        var index = 0
        var flow: Flow?
        while offset < p.count {
            let remaining = p.count - offset
            let type = p[offset]
            if type & 0xe0 == 0x20 {
                // DTLS 1.3 unified header (encrypted record): not decoded; ends the walk.
                counters.otherRecords += 1
                break
            }
            guard remaining >= 13 else {
                counters.malformed += 1
                break
            }
            let version = UInt16(p[offset + 1]) << 8 | UInt16(p[offset + 2])
            let length = Int(p[offset + 11]) << 8 | Int(p[offset + 12])
            guard type >= 20, type <= 25, DTLSVersionNumber.isKnown(version), 13 + length <= remaining else {
                counters.malformed += 1
                break
            }
            let epoch = UInt16(p[offset + 3]) << 8 | UInt16(p[offset + 4])
            counters.records += 1
            result.records += 1
            if type == 22 {
                if epoch == 0 {
                    if flow == nil { flow = flowFor(FlowKey(from: from, to: to)) }
                    handshakeRecord(p, start: offset + 13, end: offset + 13 + length, flow: flow!, version: version,
                                    epoch: epoch, index: index, from: from, to: to, result: &result)
                } else {
                    counters.encryptedHandshakeRecords += 1
                }
            } else {
                counters.otherRecords += 1
            }
            offset += 13 + length
            index += 1
        }
        return result
    }

    private func flowFor(_ key: FlowKey) -> Flow {
        if let f = flows[key] { return f }
        while flows.count >= maxFlows, evictOldest(sparing: nil) {}
        if orderHead > 1024, orderHead * 2 > order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        }
        let f = Flow()
        f.sequence = nextSequence
        nextSequence += 1
        flows[key] = f
        order.append((key, f.sequence))
        return f
    }

    /// Evicts the oldest flow other than `sparing`; false when there is none.
    @discardableResult
    private func evictOldest(sparing: Flow?) -> Bool {
        while orderHead < order.count {
            let (k, seq) = order[orderHead]
            orderHead += 1
            guard let f = flows[k], f.sequence == seq else { continue }
            if f === sparing {
                order.append((k, seq))
                if flows.count == 1 { return false }
                continue
            }
            flows[k] = nil
            bufferedBytes -= f.bufferedBytes
            counters.evictedFlows += 1
            return true
        }
        return false
    }

    private func handshakeRecord(
        _ p: UnsafeRawBufferPointer, start: Int, end: Int, flow: Flow, version: UInt16, epoch: UInt16, index: Int,
        from: EndpointKey, to: EndpointKey, result: inout DTLSProcessResult
    ) {
        var o = start
        while o < end {
            guard end - o >= 12 else {
                counters.malformed += 1
                return
            }
            let msgType = p[o]
            let length = Int(p[o + 1]) << 16 | Int(p[o + 2]) << 8 | Int(p[o + 3])
            let seq = UInt16(p[o + 4]) << 8 | UInt16(p[o + 5])
            let fragOffset = Int(p[o + 6]) << 16 | Int(p[o + 7]) << 8 | Int(p[o + 8])
            let fragLength = Int(p[o + 9]) << 16 | Int(p[o + 10]) << 8 | Int(p[o + 11])
            let data = o + 12
            guard fragLength <= end - data, fragOffset + fragLength <= length else {
                counters.malformed += 1
                return
            }
            o = data + fragLength
            counters.handshakeFragments += 1
            guard length <= maxMessageLength else {
                counters.droppedFragments += 1
                continue
            }
            var pending: Pending
            if let existing = flow.pending[seq] {
                guard existing.type == msgType, existing.length == length else {
                    counters.malformed += 1
                    continue
                }
                pending = existing
            } else {
                guard flow.pending.count < maxPendingMessages else {
                    counters.droppedFragments += 1
                    continue
                }
                while bufferedBytes + length > maxBufferedBytes, evictOldest(sparing: flow) {}
                guard bufferedBytes + length <= maxBufferedBytes else {
                    counters.droppedFragments += 1
                    continue
                }
                pending = Pending(type: msgType, length: length, body: [UInt8](repeating: 0, count: length))
                bufferedBytes += length
                flow.bufferedBytes += length
            }
            if fragLength > 0 {
                pending.body.withUnsafeMutableBytes { dst in
                    dst.baseAddress!.advanced(by: fragOffset).copyMemory(from: p.baseAddress!.advanced(by: data), byteCount: fragLength)
                }
                pending.add(fragOffset..<(fragOffset + fragLength))
            } else if length == 0 {
                pending.ranges = [0..<0]
            }
            guard pending.isComplete else {
                flow.pending[seq] = pending
                continue
            }
            flow.pending[seq] = nil
            bufferedBytes -= length
            flow.bufferedBytes -= length
            let hash = fnv1a(pending.body)
            if let done = flow.completed[seq], done.0 == msgType, done.1 == hash {
                counters.duplicateMessages += 1
                continue
            }
            if flow.completed.count >= 64 { flow.completed.removeAll(keepingCapacity: true) }
            flow.completed[seq] = (msgType, hash)
            var bytes: [UInt8] = [msgType, UInt8(length >> 16), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)]
            bytes += pending.body
            counters.messages += 1
            if msgType == 3 { counters.helloVerifyRequests += 1 }
            result.messages.append(DTLSHandshakeMessage(
                from: from, to: to, recordVersion: version, epoch: epoch, messageSeq: seq, recordIndex: index,
                bytes: bytes, cookieLength: Self.cookieLength(type: msgType, body: pending.body)
            ))
        }
    }

    /// Cookie length of a ClientHello (after version, random and session_id) or HelloVerifyRequest (after version).
    static func cookieLength(type: UInt8, body: [UInt8]) -> Int? {
        switch type {
        case 1:
            guard body.count > 34 else { return nil }
            let sidEnd = 35 + Int(body[34])
            guard body.count > sidEnd else { return nil }
            let c = Int(body[sidEnd])
            return body.count >= sidEnd + 1 + c ? c : nil
        case 3:
            guard body.count > 2 else { return nil }
            let c = Int(body[2])
            return body.count >= 3 + c ? c : nil
        default:
            return nil
        }
    }

    private func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }
}

/// One entry point for UDP payloads: classifies by content, then feeds the QUIC table or the DTLS reassembler.
/// Not thread-safe; one per pipeline worker.
public final class UDPHandshakeExtractor {
    public let quic: QUICConnectionTable
    public let dtls: DTLSHandshakeReassembler

    public enum Result: Sendable {
        case none
        case quic(QUICProcessResult)
        case dtls(DTLSProcessResult)
    }

    public init(quic: QUICConnectionTable = QUICConnectionTable(), dtls: DTLSHandshakeReassembler = DTLSHandshakeReassembler()) {
        self.quic = quic
        self.dtls = dtls
    }

    /// `.none` for payloads that are neither (no allocation on that path).
    public func process(datagram p: UnsafeRawBufferPointer, from: EndpointKey, to: EndpointKey) -> Result {
        switch UDPHandshakeClassifier.classify(p) {
        case .quic: return .quic(quic.process(datagram: p, from: from, to: to))
        case .dtls: return .dtls(dtls.process(datagram: p, from: from, to: to))
        case .none: return .none
        }
    }
}

/// Which UDP handshake decoder a payload belongs to, decided from its first bytes without allocating.
public enum UDPHandshakeProtocol: Sendable, Hashable {
    case quic
    case dtls
    case none
}

public enum UDPHandshakeClassifier {
    /// QUIC long headers have the top bit set; DTLS records start with a content type 20–25: the two never overlap.
    public static func classify(_ p: UnsafeRawBufferPointer) -> UDPHandshakeProtocol {
        if QUICConnectionTable.looksLikeQUIC(p) { return .quic }
        if DTLSHandshakeReassembler.looksLikeDTLS(p) { return .dtls }
        return .none
    }
}
