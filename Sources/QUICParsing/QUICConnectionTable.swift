// Per-connection QUIC Initial decryption, frame walking and CRYPTO reassembly.

/// Identifies one QUIC connection attempt: client and server UDP endpoints plus the client's source connection ID
/// (which the server echoes as the destination connection ID of its Initial packets; it may be empty).
public struct QUICConnectionKey: Hashable, Sendable, CustomStringConvertible {
    public var client: EndpointKey
    public var server: EndpointKey
    public var clientCID: QUICConnectionID

    public init(client: EndpointKey, server: EndpointKey, clientCID: QUICConnectionID) {
        self.client = client
        self.server = server
        self.clientCID = clientCID
    }

    public var description: String { "\(client) -> \(server) scid=\(clientCID.hex)" }
}

/// A complete TLS handshake message reassembled from the Initial CRYPTO stream of one direction.
public struct QUICHandshakeMessage: Sendable, Equatable {
    public var direction: QUICDirection
    public var version: UInt32
    /// Destination connection ID of the packet that completed the message, hex.
    public var dcidHex: String
    /// The client's original destination connection ID (the Initial key-derivation input), hex.
    public var originalDCIDHex: String
    public var connection: QUICConnectionKey
    /// Index of the completing packet inside its datagram (0 = first coalesced packet).
    public var packetIndex: Int
    /// The message in TLS handshake framing: `type LL LL LL body` (1 = ClientHello, 2 = ServerHello).
    public var bytes: [UInt8]

    public var handshakeType: UInt8 { bytes.first ?? 0 }
}

/// What one datagram held.
public struct QUICProcessResult: Sendable {
    /// Classification of the first packet of the datagram.
    public var kind: QUICDatagramKind = .notQUIC
    /// Complete handshake messages finished by this datagram, in order.
    public var messages: [QUICHandshakeMessage] = []
    /// Long-header packets walked in this datagram.
    public var packets: Int = 0
    /// Initial packets decrypted successfully.
    public var decryptedInitials: Int = 0
    /// The connection of the last Initial packet decrypted, if any.
    public var connection: QUICConnectionKey?

    public init() {}
}

/// Counters kept by a `QUICConnectionTable`.
public struct QUICCounters: Sendable, Equatable {
    /// Datagrams that started with a recognised QUIC long header (including VN, Retry, unknown versions).
    public var datagrams = 0
    /// Initial packets seen (v1, v2, decryptable drafts), decrypted or not.
    public var initialPackets = 0
    /// Initial packets whose header protection or AEAD tag did not verify with the derived keys.
    public var decryptFailures = 0
    /// Packets with impossible lengths, truncated headers, bad frames or truncated CRYPTO frames.
    public var malformed = 0
    public var versionNegotiation = 0
    public var retry = 0
    /// Long headers with a version this module does not know.
    public var unknownVersion = 0
    /// Long headers with an IETF draft version this module does not decrypt.
    public var draftVersion = 0
    /// Handshake and 0-RTT packets skipped (their keys are not derivable from the wire).
    public var handshakePackets = 0
    public var zeroRTTPackets = 0
    /// Packets whose frame walk stopped at a frame type not allowed / not known in Initial packets.
    public var unknownFrames = 0
    public var cryptoFrames = 0
    /// CRYPTO bytes refused by the per-stream bound.
    public var cryptoBytesDropped = 0
    /// Complete handshake messages returned.
    public var handshakeMessages = 0
    /// Connections evicted because the table was full or the buffered-bytes budget was exceeded.
    public var evictedConnections = 0
    /// Bytes after the last packet of a datagram that did not start another long header (padding, short header).
    public var trailingBytes = 0
}

/// Bounded table of QUIC connections in their Initial phase. Not thread-safe: use one table per pipeline worker.
///
/// Memory bound: at most `maxConnections` connections (oldest evicted first), each with two CRYPTO streams of
/// at most `cryptoCapacity` bytes (storage released once a stream's messages are complete), and at most
/// `maxBufferedBytes` of CRYPTO storage over the whole table (oldest connections evicted first).
public final class QUICConnectionTable {
    public static let defaultMaxConnections = 4096
    public static let defaultMaxBufferedBytes = 32 * 1024 * 1024

    public let maxConnections: Int
    public let cryptoCapacity: Int
    public let maxBufferedBytes: Int
    /// CRYPTO storage currently held by all connections.
    public private(set) var bufferedBytes = 0
    public private(set) var counters = QUICCounters()

    final class Connection {
        let key: QUICConnectionKey
        var version: UInt32
        /// DCID of the client's current Initial flight: the key-derivation input.
        var originalDCID: QUICConnectionID
        /// Server's source connection ID, learnt from its first Initial.
        var serverCID: QUICConnectionID?
        var clientCipher: QUICInitialCipher
        var serverCipher: QUICInitialCipher?
        var clientStream: QUICCryptoStream
        var serverStream: QUICCryptoStream
        var largestClientPN: Int64 = -1
        var largestServerPN: Int64 = -1
        var sequence: UInt64

        var bufferedBytes: Int { clientStream.bufferedBytes + serverStream.bufferedBytes }

        init(key: QUICConnectionKey, version: UInt32, originalDCID: QUICConnectionID, clientCipher: QUICInitialCipher,
             capacity: Int, sequence: UInt64) {
            self.key = key
            self.version = version
            self.originalDCID = originalDCID
            self.clientCipher = clientCipher
            clientStream = QUICCryptoStream(capacity: capacity)
            serverStream = QUICCryptoStream(capacity: capacity)
            self.sequence = sequence
        }
    }

    private var connections: [QUICConnectionKey: Connection] = [:]
    /// Insertion order for eviction (lazy: stale entries are skipped).
    private var order: [(QUICConnectionKey, UInt64)] = []
    private var orderHead = 0
    private var nextSequence: UInt64 = 0
    /// Reused buffers: unprotected header (AAD) and plaintext.
    private let aadScratch: UnsafeMutableRawBufferPointer
    private let plainScratch: UnsafeMutableRawBufferPointer

    public init(maxConnections: Int = QUICConnectionTable.defaultMaxConnections,
                cryptoCapacity: Int = QUICCryptoStream.defaultCapacity,
                maxBufferedBytes: Int = QUICConnectionTable.defaultMaxBufferedBytes) {
        self.maxConnections = max(1, maxConnections)
        self.cryptoCapacity = cryptoCapacity
        self.maxBufferedBytes = max(cryptoCapacity * 2, maxBufferedBytes)
        aadScratch = .allocate(byteCount: 65536, alignment: 8)
        plainScratch = .allocate(byteCount: 65536, alignment: 8)
    }

    deinit {
        aadScratch.deallocate()
        plainScratch.deallocate()
    }

    public var connectionCount: Int { connections.count }

    /// Forgets one connection (e.g. when the pipeline expires its UDP flow).
    public func removeConnection(_ key: QUICConnectionKey) {
        if let c = connections.removeValue(forKey: key) { bufferedBytes -= c.bufferedBytes }
    }

    /// Forgets every connection; counters are kept.
    public func removeAllConnections() {
        connections.removeAll()
        bufferedBytes = 0
        order.removeAll()
        orderHead = 0
    }

    /// Contiguous, not yet returned prefix of a connection's CRYPTO stream (e.g. a ClientHello whose second
    /// packet was lost); nil for unknown connections.
    public func pendingCryptoPrefix(_ key: QUICConnectionKey, direction: QUICDirection) -> [UInt8]? {
        guard let c = connections[key] else { return nil }
        return direction == .client ? c.clientStream.pendingPrefix : c.serverStream.pendingPrefix
    }

    /// Contiguous received length of a connection's CRYPTO stream from offset 0.
    public func cryptoContiguousLength(_ key: QUICConnectionKey, direction: QUICDirection) -> Int? {
        guard let c = connections[key] else { return nil }
        return direction == .client ? c.clientStream.contiguousEnd : c.serverStream.contiguousEnd
    }

    /// Cheap content check, no allocation: does this UDP payload start with a QUIC long header (header form bit,
    /// fixed bit unless Version Negotiation, connection-ID lengths that fit)?
    public static func looksLikeQUIC(_ datagram: UnsafeRawBufferPointer) -> Bool {
        guard datagram.count >= 7, datagram[0] & 0x80 != 0 else { return false }
        if case .notQUIC = QUICWire.classify(datagram, at: 0) { return false }
        return true
    }

    /// Processes one UDP payload sent from `from` to `to`.
    public func process(datagram p: UnsafeRawBufferPointer, from: EndpointKey, to: EndpointKey) -> QUICProcessResult {
        var result = QUICProcessResult()
        guard p.count >= 7, p[0] & 0x80 != 0 else { return result }
        let firstKind = QUICWire.classify(p, at: 0)
        result.kind = firstKind
        if case .notQUIC = firstKind { return result }
        counters.datagrams += 1

        var offset = 0
        var index = 0
        var firstDCID: QUICConnectionID?
        while offset < p.count {
            if p[offset] & 0x80 == 0 {
                counters.trailingBytes += p.count - offset
                break
            }
            let kind = index == 0 ? firstKind : QUICWire.classify(p, at: offset)
            switch kind {
            case .notQUIC:
                // A coalesced packet must be a long header; anything else here is padding or garbage.
                counters.trailingBytes += p.count - offset
                offset = p.count
                continue
            case .versionNegotiation:
                counters.versionNegotiation += 1
                result.packets += 1
                offset = p.count
                continue
            case .draftVersion:
                counters.draftVersion += 1
                result.packets += 1
                offset = p.count
                continue
            case .unknownVersion:
                counters.unknownVersion += 1
                result.packets += 1
                offset = p.count
                continue
            case .longHeader(let version, let type):
                guard let h = QUICLongHeader.parse(p, at: offset, version: version, type: type) else {
                    counters.malformed += 1
                    offset = p.count
                    continue
                }
                result.packets += 1
                let dcid = h.dcid(p)
                if let f = firstDCID, f != dcid {
                    // RFC 9000 §12.2: coalesced packets share the DCID; a mismatch is not part of this datagram.
                    counters.trailingBytes += p.count - offset
                    offset = p.count
                    continue
                }
                firstDCID = dcid
                switch type {
                case .retry:
                    counters.retry += 1
                    offset = p.count
                    continue
                case .handshake:
                    counters.handshakePackets += 1
                case .zeroRTT:
                    counters.zeroRTTPackets += 1
                case .initial:
                    counters.initialPackets += 1
                    processInitial(p, header: h, dcid: dcid, from: from, to: to, index: index, result: &result)
                }
                offset = h.end
                index += 1
            }
        }
        return result
    }

    // MARK: - Initial packets

    private func processInitial(
        _ p: UnsafeRawBufferPointer, header h: QUICLongHeader, dcid: QUICConnectionID,
        from: EndpointKey, to: EndpointKey, index: Int, result: inout QUICProcessResult
    ) {
        // The header-protection sample starts 4 bytes after the packet number field (RFC 9001 §5.4.2).
        guard h.pnOffset + 4 + 16 <= h.end else {
            counters.malformed += 1
            return
        }
        let scid = h.scid(p)
        // Server → client: the server's DCID is the client's SCID on the same endpoint pair.
        let serverKey = QUICConnectionKey(client: to, server: from, clientCID: dcid)
        if let conn = connections[serverKey], conn.version == h.version {
            let cipher: QUICInitialCipher
            if let c = conn.serverCipher {
                cipher = c
            } else {
                guard let c = QUICInitialCipher(version: conn.version, originalDCID: conn.originalDCID.bytes, sender: .server)
                else { counters.decryptFailures += 1; return }
                conn.serverCipher = c
                cipher = c
            }
            guard let plain = unprotect(p, header: h, cipher: cipher, largestPN: &conn.largestServerPN) else {
                counters.decryptFailures += 1
                return
            }
            if conn.serverCID == nil { conn.serverCID = scid }
            result.decryptedInitials += 1
            result.connection = conn.key
            let before = conn.bufferedBytes
            walkFrames(plain, into: &conn.serverStream)
            drain(&conn.serverStream, conn: conn, direction: .server, dcid: dcid, index: index, result: &result)
            accountBuffered(conn, before: before)
            return
        }

        // Client → server.
        let clientKey = QUICConnectionKey(client: from, server: to, clientCID: scid)
        var conn = connections[clientKey]
        var isNew = false
        if let c = conn, c.version != h.version || (dcid != c.originalDCID && dcid != c.serverCID) {
            // New Initial flight on the same key: after Retry or Version Negotiation, or a reused 4-tuple with
            // zero-length CIDs. Re-key and restart both CRYPTO streams.
            guard let cipher = QUICInitialCipher(version: h.version, originalDCID: dcid.bytes, sender: .client) else {
                counters.decryptFailures += 1
                return
            }
            guard let plain = unprotect(p, header: h, cipher: cipher, largestPN: &c.largestClientPN, fresh: true) else {
                counters.decryptFailures += 1
                return
            }
            c.version = h.version
            c.originalDCID = dcid
            c.serverCID = nil
            c.clientCipher = cipher
            c.serverCipher = nil
            bufferedBytes -= c.bufferedBytes
            c.clientStream = QUICCryptoStream(capacity: cryptoCapacity)
            c.serverStream = QUICCryptoStream(capacity: cryptoCapacity)
            c.largestServerPN = -1
            finishClientPacket(plain, conn: c, dcid: dcid, index: index, result: &result)
            return
        }
        if conn == nil {
            guard let cipher = QUICInitialCipher(version: h.version, originalDCID: dcid.bytes, sender: .client) else {
                counters.decryptFailures += 1
                return
            }
            conn = Connection(key: clientKey, version: h.version, originalDCID: dcid, clientCipher: cipher,
                              capacity: cryptoCapacity, sequence: nextSequence)
            isNew = true
        }
        let c = conn!
        guard let plain = unprotect(p, header: h, cipher: c.clientCipher, largestPN: &c.largestClientPN) else {
            // A failed first packet leaves no state behind.
            counters.decryptFailures += 1
            return
        }
        if isNew { insert(c) }
        finishClientPacket(plain, conn: c, dcid: dcid, index: index, result: &result)
    }

    private func finishClientPacket(_ plain: UnsafeRawBufferPointer, conn: Connection, dcid: QUICConnectionID, index: Int,
                                    result: inout QUICProcessResult) {
        result.decryptedInitials += 1
        result.connection = conn.key
        let before = conn.bufferedBytes
        walkFrames(plain, into: &conn.clientStream)
        drain(&conn.clientStream, conn: conn, direction: .client, dcid: dcid, index: index, result: &result)
        accountBuffered(conn, before: before)
    }

    /// Adds a connection's storage change to the table total; over budget, evicts the oldest other connections.
    private func accountBuffered(_ conn: Connection, before: Int) {
        bufferedBytes += conn.bufferedBytes - before
        while bufferedBytes > maxBufferedBytes, evictOldest(sparing: conn) {}
    }

    /// Evicts the oldest connection other than `sparing`; false when there is none.
    @discardableResult
    private func evictOldest(sparing: Connection?) -> Bool {
        while orderHead < order.count {
            let (k, seq) = order[orderHead]
            guard let existing = connections[k], existing.sequence == seq else {
                orderHead += 1
                continue
            }
            if existing === sparing {
                // The connection being fed is the oldest: re-queue it at the back.
                orderHead += 1
                order.append((k, seq))
                if connections.count == 1 { return false }
                continue
            }
            orderHead += 1
            connections[k] = nil
            bufferedBytes -= existing.bufferedBytes
            counters.evictedConnections += 1
            return true
        }
        return false
    }

    private func drain(_ stream: inout QUICCryptoStream, conn: Connection, direction: QUICDirection,
                       dcid: QUICConnectionID, index: Int, result: inout QUICProcessResult) {
        while let message = stream.nextCompleteMessage() {
            counters.handshakeMessages += 1
            result.messages.append(QUICHandshakeMessage(
                direction: direction, version: conn.version, dcidHex: dcid.hex, originalDCIDHex: conn.originalDCID.hex,
                connection: conn.key, packetIndex: index, bytes: message
            ))
        }
    }

    private func insert(_ c: Connection) {
        while connections.count >= maxConnections, evictOldest(sparing: nil) {}
        if orderHead > 1024, orderHead * 2 > order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        }
        c.sequence = nextSequence
        nextSequence += 1
        connections[c.key] = c
        order.append((c.key, c.sequence))
    }

    /// Removes header protection and decrypts the payload into `plainScratch`. Returns the plaintext, or nil when
    /// the packet is too short or does not authenticate. Updates `largestPN` only on success.
    private func unprotect(_ p: UnsafeRawBufferPointer, header h: QUICLongHeader, cipher: QUICInitialCipher,
                           largestPN: inout Int64, fresh: Bool = false) -> UnsafeRawBufferPointer? {
        let sampleOffset = h.pnOffset + 4
        guard sampleOffset + 16 <= h.end else { return nil }  // checked by the caller
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { mask -> UnsafeRawBufferPointer? in
            guard cipher.headerMask(sample: p.baseAddress!.advanced(by: sampleOffset), mask: mask.baseAddress!) else { return nil }
            let b0 = h.firstByte ^ (mask[0] & 0x0f)
            let pnLength = Int(b0 & 0x03) + 1
            let payloadStart = h.pnOffset + pnLength
            let ciphertextLength = h.end - payloadStart - 16
            let headerLength = payloadStart - h.start
            guard ciphertextLength >= 0, headerLength <= aadScratch.count, ciphertextLength <= plainScratch.count else {
                return nil
            }
            aadScratch.baseAddress!.copyMemory(from: p.baseAddress!.advanced(by: h.start), byteCount: headerLength)
            aadScratch[0] = b0
            var truncated: UInt64 = 0
            for i in 0..<pnLength {
                let byte = p[h.pnOffset + i] ^ mask[1 + i]
                aadScratch[h.pnOffset - h.start + i] = byte
                truncated = truncated << 8 | UInt64(byte)
            }
            let pn = decodePacketNumber(largest: fresh ? -1 : largestPN, truncated: truncated, bits: pnLength * 8)
            let ok = cipher.open(
                packetNumber: pn,
                aad: UnsafeRawBufferPointer(rebasing: aadScratch[0..<headerLength]),
                ciphertext: UnsafeRawBufferPointer(rebasing: p[payloadStart..<(payloadStart + ciphertextLength)]),
                tag: p.baseAddress!.advanced(by: payloadStart + ciphertextLength),
                output: plainScratch.baseAddress!
            )
            guard ok else { return nil }
            if fresh || Int64(pn) > largestPN { largestPN = Int64(pn) }
            return UnsafeRawBufferPointer(rebasing: plainScratch[0..<ciphertextLength])
        }
    }

    /// Walks the frames of a decrypted Initial payload, feeding CRYPTO data into `stream`. A malformed frame is
    /// counted and ends the walk; an unknown frame type is counted and ends the walk; data placed before is kept.
    private func walkFrames(_ plain: UnsafeRawBufferPointer, into stream: inout QUICCryptoStream) {
        var c = ByteCursor(plain)
        var ok = true
        while c.remaining > 0 {
            guard let type = c.varint() else { ok = false; break }
            switch type {
            case 0x00, 0x01:  // PADDING, PING
                continue
            case 0x02, 0x03:  // ACK, ACK_ECN
                guard c.varint() != nil, c.varint() != nil, let rangeCount = c.varint(), c.varint() != nil,
                      rangeCount <= UInt64(c.remaining)
                else { ok = false; break }
                var good = true
                for _ in 0..<rangeCount {
                    guard c.varint() != nil, c.varint() != nil else { good = false; break }
                }
                if good, type == 0x03 {
                    good = c.varint() != nil && c.varint() != nil && c.varint() != nil
                }
                if !good { ok = false }
            case 0x06:  // CRYPTO
                guard let off = c.varint(), let len = c.varint(), let start = c.skip(len) else { ok = false; break }
                counters.cryptoFrames += 1
                let dropped = stream.insert(offset: off, data: UnsafeRawBufferPointer(rebasing: plain[start..<(start + Int(len))]))
                counters.cryptoBytesDropped += dropped
            case 0x1c:  // CONNECTION_CLOSE (transport)
                guard c.varint() != nil, c.varint() != nil, let rl = c.varint(), c.skip(rl) != nil else { ok = false; break }
            case 0x1d:  // CONNECTION_CLOSE (application)
                guard c.varint() != nil, let rl = c.varint(), c.skip(rl) != nil else { ok = false; break }
            default:
                counters.unknownFrames += 1
                return
            }
            if !ok { break }
        }
        if !ok { counters.malformed += 1 }
    }
}
