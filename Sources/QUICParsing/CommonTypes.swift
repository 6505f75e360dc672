// Shared value types: endpoints, connection IDs, bounded byte readers.

/// A UDP endpoint: IPv4 or IPv6 address plus port, stored inline (no heap allocation, cheap to hash).
/// IPv4 addresses occupy the low 32 bits of `addressLow` with `addressHigh == 0` and `isIPv6 == false`.
public struct EndpointKey: Hashable, Sendable, CustomStringConvertible {
    public var addressHigh: UInt64
    public var addressLow: UInt64
    public var port: UInt16
    public var isIPv6: Bool

    public init(addressHigh: UInt64, addressLow: UInt64, port: UInt16, isIPv6: Bool) {
        self.addressHigh = addressHigh
        self.addressLow = addressLow
        self.port = port
        self.isIPv6 = isIPv6
    }

    /// IPv4 address in host integer form (a.b.c.d = a<<24 | b<<16 | c<<8 | d).
    public init(ipv4: UInt32, port: UInt16) {
        self.init(addressHigh: 0, addressLow: UInt64(ipv4), port: port, isIPv6: false)
    }

    /// Address bytes in network order: 4 bytes (IPv4) or 16 bytes (IPv6); nil for any other length.
    public init?(addressBytes: UnsafeRawBufferPointer, port: UInt16) {
        switch addressBytes.count {
        case 4:
            var v: UInt32 = 0
            for b in addressBytes { v = v << 8 | UInt32(b) }
            self.init(ipv4: v, port: port)
        case 16:
            var hi: UInt64 = 0
            var lo: UInt64 = 0
            for i in 0..<8 { hi = hi << 8 | UInt64(addressBytes[i]) }
            for i in 8..<16 { lo = lo << 8 | UInt64(addressBytes[i]) }
            self.init(addressHigh: hi, addressLow: lo, port: port, isIPv6: true)
        default:
            return nil
        }
    }

    public init?(addressBytes: [UInt8], port: UInt16) {
        guard let v = addressBytes.withUnsafeBytes({ EndpointKey(addressBytes: $0, port: port) }) else { return nil }
        self = v
    }

    public var description: String {
        if !isIPv6 {
            let a = UInt32(truncatingIfNeeded: addressLow)
            return "\(a >> 24).\((a >> 16) & 0xff).\((a >> 8) & 0xff).\(a & 0xff):\(port)"
        }
        var groups: [String] = []
        for i in 0..<8 {
            let word = i < 4 ? addressHigh >> (48 - 16 * UInt64(i)) : addressLow >> (48 - 16 * UInt64(i - 4))
            groups.append(String(UInt16(truncatingIfNeeded: word), radix: 16))
        }
        return "[\(groups.joined(separator: ":"))]:\(port)"
    }
}

/// A QUIC connection ID of 0…20 bytes, stored inline.
public struct QUICConnectionID: Hashable, Sendable, CustomStringConvertible {
    public static let maxLength = 20
    private var w0: UInt64 = 0
    private var w1: UInt64 = 0
    private var w2: UInt32 = 0
    public private(set) var count: Int = 0

    public init() {}

    /// nil when longer than 20 bytes.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= Self.maxLength else { return nil }
        count = bytes.count
        for (i, b) in bytes.enumerated() { self[i] = b }
    }

    public init?(_ bytes: [UInt8]) {
        guard let v = bytes.withUnsafeBytes({ QUICConnectionID($0) }) else { return nil }
        self = v
    }

    public subscript(i: Int) -> UInt8 {
        get {
            precondition(i >= 0 && i < count)
            if i < 8 { return UInt8(truncatingIfNeeded: w0 >> (8 * UInt64(i))) }
            if i < 16 { return UInt8(truncatingIfNeeded: w1 >> (8 * UInt64(i - 8))) }
            return UInt8(truncatingIfNeeded: w2 >> (8 * UInt32(i - 16)))
        }
        set {
            if i < 8 {
                let s = 8 * UInt64(i)
                w0 = (w0 & ~(0xff << s)) | (UInt64(newValue) << s)
            } else if i < 16 {
                let s = 8 * UInt64(i - 8)
                w1 = (w1 & ~(0xff << s)) | (UInt64(newValue) << s)
            } else {
                let s = 8 * UInt32(i - 16)
                w2 = (w2 & ~(0xff << s)) | (UInt32(newValue) << s)
            }
        }
    }

    public var bytes: [UInt8] { (0..<count).map { self[$0] } }

    public var hex: String { hexString(bytes) }

    public var description: String { hex }
}

@usableFromInline
func hexString(_ bytes: [UInt8]) -> String {
    let digits: [Character] = Array("0123456789abcdef")
    var s = ""
    s.reserveCapacity(bytes.count * 2)
    for b in bytes {
        s.append(digits[Int(b >> 4)])
        s.append(digits[Int(b & 0x0f)])
    }
    return s
}

/// Bounds-checked forward reader over raw bytes. Never traps on short input: every read returns nil instead.
struct ByteCursor {
    let base: UnsafeRawPointer?
    let end: Int
    var offset: Int

    init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0, end: Int? = nil) {
        base = buffer.baseAddress
        self.end = end ?? buffer.count
        self.offset = offset
    }

    var remaining: Int { end - offset }

    mutating func u8() -> UInt8? {
        guard offset < end, let base else { return nil }
        defer { offset += 1 }
        return base.load(fromByteOffset: offset, as: UInt8.self)
    }

    mutating func uint(_ n: Int) -> UInt64? {
        guard n >= 0, n <= 8, remaining >= n, let base else { return nil }
        var v: UInt64 = 0
        for i in 0..<n { v = v << 8 | UInt64(base.load(fromByteOffset: offset + i, as: UInt8.self)) }
        offset += n
        return v
    }

    /// QUIC variable-length integer (RFC 9000 §16).
    mutating func varint() -> UInt64? {
        guard offset < end, let base else { return nil }
        let first = base.load(fromByteOffset: offset, as: UInt8.self)
        let len = 1 << Int(first >> 6)
        guard remaining >= len else { return nil }
        var v = UInt64(first & 0x3f)
        for i in 1..<len { v = v << 8 | UInt64(base.load(fromByteOffset: offset + i, as: UInt8.self)) }
        offset += len
        return v
    }

    /// Skips `n` bytes; returns the start offset, or nil when fewer remain.
    mutating func skip(_ n: UInt64) -> Int? {
        guard n <= UInt64(remaining) else { return nil }
        let start = offset
        offset += Int(n)
        return start
    }
}
