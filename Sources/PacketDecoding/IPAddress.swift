import CaptureInput

/// An IPv4 or IPv6 address stored inline (no heap), hashable, printable in the usual text forms.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 16 address bytes in network order as two big-endian halves; IPv4 uses the low 32 bits of `lo`.
    public var hi: UInt64
    public var lo: UInt64
    public var isIPv6: Bool

    @inlinable
    public init(hi: UInt64, lo: UInt64, isIPv6: Bool) {
        self.hi = hi
        self.lo = lo
        self.isIPv6 = isIPv6
    }

    @inlinable
    public static func v4(_ value: UInt32) -> IPAddress { IPAddress(hi: 0, lo: UInt64(value), isIPv6: false) }

    /// Reads 4 (IPv4) or 16 (IPv6) bytes at `offset`; the caller has checked the length.
    @inlinable
    public static func read(_ b: UnsafeRawBufferPointer, at offset: Int, v6: Bool) -> IPAddress {
        if v6 {
            let hi = UInt64(b.be32(offset)) << 32 | UInt64(b.be32(offset + 4))
            let lo = UInt64(b.be32(offset + 8)) << 32 | UInt64(b.be32(offset + 12))
            return IPAddress(hi: hi, lo: lo, isIPv6: true)
        }
        return .v4(b.be32(offset))
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        if a.isIPv6 != b.isIPv6 { return !a.isIPv6 }
        return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo
    }

    /// The longest text form: an IPv4-mapped IPv6 address, `::ffff:255.255.255.255` is 22; full IPv6 is 39.
    public static let maximumTextLength = 45

    /// Writes `a.b.c.d` at `buf`; returns the number of bytes written (at most 15).
    @inline(__always)
    static func writeDottedQuad(_ v: UInt32, to buf: UnsafeMutablePointer<UInt8>) -> Int {
        var o = 0
        for shift in stride(from: 24, through: 0, by: -8) {
            if shift != 24 { buf[o] = 0x2e; o += 1 }
            let b = UInt8(truncatingIfNeeded: v >> UInt32(shift))
            if b >= 100 { buf[o] = 0x30 + b / 100; o += 1 }
            if b >= 10 { buf[o] = 0x30 + (b / 10) % 10; o += 1 }
            buf[o] = 0x30 + b % 10
            o += 1
        }
        return o
    }

    /// Writes the address's text (`description`) at `buf`, which has room for `maximumTextLength` bytes; returns
    /// the number of bytes written. No heap: events write two addresses each.
    public func writeText(to buf: UnsafeMutablePointer<UInt8>) -> Int {
        if !isIPv6 { return IPAddress.writeDottedQuad(UInt32(truncatingIfNeeded: lo), to: buf) }
        // IPv4-mapped ::ffff:a.b.c.d
        if hi == 0 && (lo >> 32) == 0xffff {
            for (i, c) in "::ffff:".utf8.enumerated() { buf[i] = c }
            return 7 + IPAddress.writeDottedQuad(UInt32(truncatingIfNeeded: lo), to: buf + 7)
        }
        // RFC 5952: lower-case hex without leading zeros, the longest run of two or more zero groups (the first
        // of equal runs) as "::".
        @inline(__always) func group(_ i: Int) -> UInt16 {
            i < 4 ? UInt16(truncatingIfNeeded: hi >> UInt64(48 - 16 * i)) : UInt16(truncatingIfNeeded: lo >> UInt64(48 - 16 * (i - 4)))
        }
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if group(i) == 0 {
                var j = i
                while j < 8 && group(j) == 0 { j += 1 }
                if j - i > bestLen && j - i >= 2 { bestStart = i; bestLen = j - i }
                i = j
            } else { i += 1 }
        }
        var o = 0
        i = 0
        while i < 8 {
            if i == bestStart {
                buf[o] = 0x3a; buf[o + 1] = 0x3a; o += 2
                i += bestLen
                continue
            }
            if o > 0 && buf[o - 1] != 0x3a { buf[o] = 0x3a; o += 1 }
            let g = group(i)
            var started = false
            for shift in stride(from: 12, through: 0, by: -4) {
                let d = UInt8(truncatingIfNeeded: g >> UInt16(shift)) & 0xf
                if d == 0 && !started && shift != 0 { continue }
                started = true
                buf[o] = d < 10 ? 0x30 + d : 0x57 + d
                o += 1
            }
            i += 1
        }
        return o
    }

    public var description: String {
        String(unsafeUninitializedCapacity: IPAddress.maximumTextLength) { writeText(to: $0.baseAddress!) }
    }
}

/// One side of a conversation.
public struct Endpoint: Hashable, Sendable, Comparable {
    public var address: IPAddress
    public var port: UInt16
    @inlinable public init(address: IPAddress, port: UInt16) { self.address = address; self.port = port }
    public static func < (a: Endpoint, b: Endpoint) -> Bool { a.address != b.address ? a.address < b.address : a.port < b.port }
}

/// A transport conversation key, the same for both directions: the two endpoints in canonical (sorted) order.
public struct FlowKey: Hashable, Sendable {
    public var low: Endpoint
    public var high: Endpoint
    public var transport: UInt8

    /// The key and whether `source` is the `low` endpoint.
    @inlinable
    public static func make(source: Endpoint, destination: Endpoint, transport: UInt8) -> (FlowKey, sourceIsLow: Bool) {
        if source < destination {
            return (FlowKey(low: source, high: destination, transport: transport), true)
        }
        return (FlowKey(low: destination, high: source, transport: transport), false)
    }

    @inlinable
    public init(low: Endpoint, high: Endpoint, transport: UInt8) {
        self.low = low
        self.high = high
        self.transport = transport
    }

    /// A keyed hash for the flow table, which hashes one key per packet: the key packed without loss into two words
    /// (IPv4) or five (IPv6), each folded in by a 64×64→128-bit multiply with per-table random keys (the
    /// "multiply and fold" step of wyhash). Addresses chosen to collide would have to guess the keys; a few
    /// nanoseconds instead of the standard `Hasher`'s SipHash.
    @inlinable
    public func tableHash(keys k: (UInt64, UInt64, UInt64)) -> Int {
        @inline(__always) func fold(_ x: UInt64, _ y: UInt64) -> UInt64 {
            let r = x.multipliedFullWidth(by: y)
            return r.high ^ r.low
        }
        let a = low.address, b = high.address
        let tail = UInt64(low.port) << 48 | UInt64(high.port) << 32 | UInt64(transport) << 8
            | (a.isIPv6 ? 2 : 0) | (b.isIPv6 ? 1 : 0)
        if !a.isIPv6 && !b.isIPv6 && a.hi == 0 && b.hi == 0 && (a.lo | b.lo) >> 32 == 0 {
            return Int(truncatingIfNeeded: fold((a.lo << 32 | b.lo) ^ k.0, tail ^ k.1) ^ k.2)
        }
        let h = fold(a.hi ^ k.0, a.lo ^ k.1) ^ fold(b.hi ^ k.2, b.lo ^ k.0)
        return Int(truncatingIfNeeded: fold(h ^ k.1, (tail | 4) ^ k.2))
    }

    /// Every field, packed without loss into as few words as possible (two for IPv4, five for IPv6).
    @inlinable
    public func hash(into hasher: inout Hasher) {
        let a = low.address, b = high.address
        let tail = UInt64(low.port) << 48 | UInt64(high.port) << 32 | UInt64(transport) << 8
            | (a.isIPv6 ? 2 : 0) | (b.isIPv6 ? 1 : 0)
        if !a.isIPv6 && !b.isIPv6 && a.hi == 0 && b.hi == 0 && (a.lo | b.lo) >> 32 == 0 {
            hasher.combine(a.lo << 32 | b.lo)
            hasher.combine(tail)
        } else {
            hasher.combine(a.hi)
            hasher.combine(a.lo)
            hasher.combine(b.hi)
            hasher.combine(b.lo)
            hasher.combine(tail | 4)
        }
    }
}
