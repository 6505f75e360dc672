// QUIC long-header recognition and parsing (RFC 8999 invariants, RFC 9000 §17.2, RFC 9369 §3.2).

/// Long-header packet types, independent of the version's wire encoding.
public enum QUICLongPacketType: String, Sendable, Hashable {
    case initial
    case zeroRTT
    case handshake
    case retry
}

/// What the first bytes of a UDP payload look like, decided from a few byte checks without allocating.
public enum QUICDatagramKind: Sendable, Hashable {
    /// Not a QUIC long-header packet (short-header packets are not recognisable by content).
    case notQUIC
    case versionNegotiation
    /// A long header of a version this module parses (v1, v2, IETF drafts 23–34).
    case longHeader(version: UInt32, type: QUICLongPacketType)
    /// An IETF draft version (0xff0000NN) whose Initials this module does not decrypt.
    case draftVersion(UInt32)
    /// A structurally valid long header with a version this module does not know (gQUIC, grease, future).
    case unknownVersion(UInt32)
}

enum QUICWire {
    /// Packet type from the long-header first byte; v2 permutes the codes (RFC 9369 §3.2).
    @inline(__always)
    static func packetType(firstByte: UInt8, version: UInt32) -> QUICLongPacketType {
        let bits = (firstByte >> 4) & 0x03
        if version == QUICVersionNumber.v2 {
            switch bits {
            case 0b01: return .initial
            case 0b10: return .zeroRTT
            case 0b11: return .handshake
            default: return .retry
            }
        }
        switch bits {
        case 0b00: return .initial
        case 0b01: return .zeroRTT
        case 0b10: return .handshake
        default: return .retry
        }
    }

    @inline(__always)
    static func isParsedVersion(_ version: UInt32) -> Bool {
        version == QUICVersionNumber.v1 || version == QUICVersionNumber.v2
            || QUICVersionNumber.initialSalt(for: version) != nil
    }

    /// Classifies the packet starting at `offset`: header form bit, fixed bit, version, connection-ID lengths.
    static func classify(_ p: UnsafeRawBufferPointer, at offset: Int = 0) -> QUICDatagramKind {
        let n = p.count - offset
        guard n >= 7 else { return .notQUIC }
        let b0 = p[offset]
        guard b0 & 0x80 != 0 else { return .notQUIC }
        let version = UInt32(p[offset + 1]) << 24 | UInt32(p[offset + 2]) << 16 | UInt32(p[offset + 3]) << 8 | UInt32(p[offset + 4])
        // Connection-ID lengths must fit (RFC 8999 §5.1); versions we parse cap them at 20 (RFC 9000 §17.2).
        let dcidLen = Int(p[offset + 5])
        guard n >= 6 + dcidLen + 1 else { return .notQUIC }
        let scidLen = Int(p[offset + 6 + dcidLen])
        guard n >= 7 + dcidLen + scidLen else { return .notQUIC }
        if version == QUICVersionNumber.versionNegotiation {
            // Supported-versions list follows: a non-empty multiple of 4 bytes.
            let rest = n - (7 + dcidLen + scidLen)
            return rest >= 4 && rest % 4 == 0 ? .versionNegotiation : .notQUIC
        }
        guard b0 & 0x40 != 0, dcidLen <= 20, scidLen <= 20 else { return .notQUIC }
        if isParsedVersion(version) {
            return .longHeader(version: version, type: packetType(firstByte: b0, version: version))
        }
        if QUICVersionNumber.isDraft(version) { return .draftVersion(version) }
        return .unknownVersion(version)
    }
}

/// Offsets of one long-header packet inside a datagram (no copies).
struct QUICLongHeader {
    var start: Int
    var firstByte: UInt8
    var version: UInt32
    var type: QUICLongPacketType
    var dcidOffset: Int
    var dcidLength: Int
    var scidOffset: Int
    var scidLength: Int
    var tokenLength: Int
    /// Offset of the (protected) packet number; for Retry, the end of the packet.
    var pnOffset: Int
    /// End of this packet (start + header + Length).
    var end: Int

    /// Parses the long header at `start`; nil when malformed. Retry packets extend to the end of the datagram.
    static func parse(_ p: UnsafeRawBufferPointer, at start: Int, version: UInt32, type: QUICLongPacketType) -> QUICLongHeader? {
        var c = ByteCursor(p, offset: start + 5)
        guard let dl = c.u8(), dl <= 20, let dOff = c.skip(UInt64(dl)),
              let sl = c.u8(), sl <= 20, let sOff = c.skip(UInt64(sl))
        else { return nil }
        var h = QUICLongHeader(
            start: start, firstByte: p[start], version: version, type: type,
            dcidOffset: dOff, dcidLength: Int(dl), scidOffset: sOff, scidLength: Int(sl),
            tokenLength: 0, pnOffset: c.offset, end: p.count
        )
        if type == .retry { return h }
        if type == .initial {
            guard let tl = c.varint(), c.skip(tl) != nil else { return nil }
            h.tokenLength = Int(tl)
        }
        guard let length = c.varint(), length <= UInt64(c.remaining) else { return nil }
        h.pnOffset = c.offset
        h.end = c.offset + Int(length)
        return h
    }

    func dcid(_ p: UnsafeRawBufferPointer) -> QUICConnectionID {
        QUICConnectionID(UnsafeRawBufferPointer(rebasing: p[dcidOffset..<(dcidOffset + dcidLength)]))!
    }

    func scid(_ p: UnsafeRawBufferPointer) -> QUICConnectionID {
        QUICConnectionID(UnsafeRawBufferPointer(rebasing: p[scidOffset..<(scidOffset + scidLength)]))!
    }
}

/// Full packet number from its truncated encoding (RFC 9000 Appendix A.3).
func decodePacketNumber(largest: Int64, truncated: UInt64, bits: Int) -> UInt64 {
    let expected = UInt64(largest + 1)
    let window = UInt64(1) << UInt64(bits)
    let halfWindow = window / 2
    let mask = window - 1
    let candidate = (expected & ~mask) | truncated
    if expected >= halfWindow, candidate <= expected - halfWindow, candidate < (UInt64(1) << 62) - window {
        return candidate + window
    }
    if candidate > expected + halfWindow, candidate >= window {
        return candidate - window
    }
    return candidate
}
