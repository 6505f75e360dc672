/// Unchecked big- and little-endian loads on a raw buffer.
///
/// Callers check the length once (`count >= offset + width`) and then read; every reader in helloscope
/// does so before calling these, and says so with a `// length checked above` comment.
extension UnsafeRawBufferPointer {
    @inlinable @inline(__always)
    public func u8(_ offset: Int) -> UInt8 { self[offset] }

    @inlinable @inline(__always)
    public func be16(_ offset: Int) -> UInt16 {
        UInt16(bigEndian: self.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inlinable @inline(__always)
    public func be24(_ offset: Int) -> UInt32 {
        UInt32(self[offset]) << 16 | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2])
    }

    @inlinable @inline(__always)
    public func be32(_ offset: Int) -> UInt32 {
        UInt32(bigEndian: self.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable @inline(__always)
    public func le16(_ offset: Int) -> UInt16 {
        UInt16(littleEndian: self.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inlinable @inline(__always)
    public func le32(_ offset: Int) -> UInt32 {
        UInt32(littleEndian: self.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// A sub-view, or an empty view when the range does not fit.
    @inlinable @inline(__always)
    public func view(_ offset: Int, _ length: Int) -> UnsafeRawBufferPointer {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return UnsafeRawBufferPointer(rebasing: self[offset..<(offset + length)])
    }
}

/// A non-owning, bounds-checked reader over raw bytes, big-endian by default (network order).
///
/// Every read returns `nil` when fewer bytes remain than it needs; nothing traps on short input.
public struct ByteCursor {
    public let bytes: UnsafeRawBufferPointer
    public var offset: Int

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    @inlinable public var remaining: Int { bytes.count - offset }
    @inlinable public var isAtEnd: Bool { offset >= bytes.count }

    @inlinable
    public mutating func readU8() -> UInt8? {
        guard remaining >= 1 else { return nil }
        defer { offset += 1 }
        return bytes[offset]  // length checked above
    }

    @inlinable
    public mutating func readU16() -> UInt16? {
        guard remaining >= 2 else { return nil }
        defer { offset += 2 }
        return bytes.be16(offset)  // length checked above
    }

    @inlinable
    public mutating func readU24() -> UInt32? {
        guard remaining >= 3 else { return nil }
        defer { offset += 3 }
        return bytes.be24(offset)  // length checked above
    }

    @inlinable
    public mutating func readU32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        defer { offset += 4 }
        return bytes.be32(offset)  // length checked above
    }

    /// Reads `length` bytes as a view into the same buffer.
    @inlinable
    public mutating func readBytes(_ length: Int) -> UnsafeRawBufferPointer? {
        guard length >= 0, remaining >= length else { return nil }
        defer { offset += length }
        return bytes.view(offset, length)
    }

    @inlinable
    public mutating func skip(_ length: Int) -> Bool {
        guard length >= 0, remaining >= length else { return false }
        offset += length
        return true
    }

    /// Reads an 8-bit length prefix and the bytes it announces.
    @inlinable
    public mutating func readVector8() -> UnsafeRawBufferPointer? {
        let start = offset
        guard let n = readU8(), let v = readBytes(Int(n)) else { offset = start; return nil }
        return v
    }

    /// Reads a 16-bit length prefix and the bytes it announces.
    @inlinable
    public mutating func readVector16() -> UnsafeRawBufferPointer? {
        let start = offset
        guard let n = readU16(), let v = readBytes(Int(n)) else { offset = start; return nil }
        return v
    }

    /// Reads a 24-bit length prefix and the bytes it announces.
    @inlinable
    public mutating func readVector24() -> UnsafeRawBufferPointer? {
        let start = offset
        guard let n = readU24(), let v = readBytes(Int(n)) else { offset = start; return nil }
        return v
    }
}
