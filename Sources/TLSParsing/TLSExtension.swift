/// One extension as sent (RFC 8446 §4.2):
///
/// ```
/// struct {
///     ExtensionType extension_type;
///     opaque extension_data<0..2^16-1>;
/// } Extension;
/// ```
///
/// A parsed hello's extensions share the bytes it was parsed from: `data` is a slice of them (indices are those of
/// the hello's bytes, so read it from `startIndex`), not an array of its own per extension.
public struct TLSExtension: Sendable, Equatable {
    public var type: UInt16
    public var data: ArraySlice<UInt8>
    public init(type: UInt16, data: [UInt8]) {
        self.type = type
        self.data = data[...]
    }
    public init(type: UInt16, data: ArraySlice<UInt8>) {
        self.type = type
        self.data = data
    }
}

/// Where one extension of a parsed hello lies in the bytes it was parsed from: its type and the range of its
/// `extension_data` (RFC 8446 §4.2 `Extension`). Plain values, no reference to the bytes: a hello's list of them
/// is copied and freed without touching a reference count per extension.
public struct TLSExtensionSpan: Sendable, Equatable {
    public var type: UInt16
    public var range: Range<Int>
    @inlinable public init(type: UInt16, range: Range<Int>) {
        self.type = type
        self.range = range
    }
}

/// A list of 16-bit big-endian values read in place (cipher suites, supported_groups, signature_algorithms,
/// supported_versions): `uint16 values<..>` without its length prefix. Built only from an even number of bytes.
public struct TLSUInt16List: RandomAccessCollection, Sendable, Equatable {
    @usableFromInline let bytes: ArraySlice<UInt8>

    @inlinable init(_ bytes: ArraySlice<UInt8>) {
        precondition(bytes.count % 2 == 0, "TLSUInt16List: odd byte count")
        self.bytes = bytes
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { bytes.count >> 1 }
    /// Calls `body` with the list's bytes: two per value, big-endian.
    @inlinable public func withUnsafeBigEndianBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer(body)
    }

    /// The `i`th value (traps outside `0..<count`, as the slice does).
    @inlinable public subscript(i: Int) -> UInt16 {
        let o = bytes.startIndex + 2 * i
        return UInt16(bytes[o]) << 8 | UInt16(bytes[o + 1])
    }
}

/// ALPN protocol names (RFC 7301 §3.1) read in place from `ProtocolName protocol_name_list<2..2^16-1>`, each
/// `opaque ProtocolName<1..2^8-1>`; the names end at the first one that runs past the list.
public struct ALPNProtocolNames: Sequence, Sendable {
    let list: ArraySlice<UInt8>

    public struct Iterator: IteratorProtocol {
        let list: ArraySlice<UInt8>
        var o: Int
        public mutating func next() -> ArraySlice<UInt8>? {
            guard o < list.endIndex else { return nil }
            let len = Int(list[o])
            guard o + 1 + len <= list.endIndex else { o = list.endIndex; return nil }
            defer { o += 1 + len }
            return list[(o + 1)..<(o + 1 + len)]
        }
    }

    public func makeIterator() -> Iterator { Iterator(list: list, o: list.startIndex) }
}

/// The groups of a ClientHello's key_share entries (RFC 8446 §4.2.8), read in place:
/// `KeyShareEntry client_shares<0..2^16-1>`, each `NamedGroup group; opaque key_exchange<1..2^16-1>`. The groups
/// end at the first entry whose header does not fit the list or whose key runs past the extension.
public struct KeyShareGroups: Sequence, Sendable {
    /// The extension's data after the list length; the list is its first `listLength` bytes.
    let data: ArraySlice<UInt8>
    let listLength: Int

    public struct Iterator: IteratorProtocol {
        let data: ArraySlice<UInt8>
        let listLength: Int
        var o = 0
        public mutating func next() -> UInt16? {
            guard o + 4 <= listLength else { return nil }
            let p = data.startIndex + o
            let group = UInt16(data[p]) << 8 | UInt16(data[p + 1])
            let keyLength = Int(data[p + 2]) << 8 | Int(data[p + 3])
            guard o + 4 + keyLength <= data.count else { o = listLength; return nil }
            o += 4 + keyLength
            return group
        }
    }

    public func makeIterator() -> Iterator { Iterator(data: data, listLength: listLength) }
}

/// The `status_request` extension of a ClientHello (RFC 6066 §8):
///
/// ```
/// struct {
///     CertificateStatusType status_type;   // ocsp(1)
///     select (status_type) {
///         case ocsp: OCSPStatusRequest;
///     } request;
/// } CertificateStatusRequest;
///
/// struct {
///     ResponderID responder_id_list<0..2^16-1>;
///     Extensions  request_extensions;
/// } OCSPStatusRequest;
/// ```
public struct StatusRequest: Sendable, Equatable {
    /// 1 = ocsp; other values are kept as sent.
    public var statusType: UInt8?
    /// Number of ResponderIDs listed (0 in practice: "the responders known to the server").
    public var responderIDCount: Int
    /// Length of the DER `Extensions` the client asks the responder to include (0 when none).
    public var requestExtensionsLength: Int
    /// Index of the extension in the ClientHello's extension list, as sent (GREASE counted), 0-based.
    public var index: Int
}

extension ArraySlice where Element == UInt8 {
    /// The bytes after a 16-bit length prefix, as many as it says (`opaque x<..2^16-1>`); nil when the prefix is
    /// missing or says more than there is. Bytes after them are ignored.
    @inline(__always) func lengthPrefixed16() -> ArraySlice<UInt8>? {
        guard count >= 2 else { return nil }
        let length = Int(self[startIndex]) << 8 | Int(self[startIndex + 1])
        guard length <= count - 2 else { return nil }
        return self[(startIndex + 2)..<(startIndex + 2 + length)]
    }

    /// The same after an 8-bit length prefix (`x<..2^8-1>`).
    @inline(__always) func lengthPrefixed8() -> ArraySlice<UInt8>? {
        guard let length = first, Int(length) <= count - 1 else { return nil }
        return self[(startIndex + 1)..<(startIndex + 1 + Int(length))]
    }

    func withCursor<T>(_ body: (inout ByteCursorLite) -> T) -> T {
        withUnsafeBytes { raw in
            var c = ByteCursorLite(raw)
            return body(&c)
        }
    }
}

/// A small bounds-checked reader used inside TLSParsing on copied bytes.
struct ByteCursorLite {
    let b: UnsafeRawBufferPointer
    var o = 0
    init(_ b: UnsafeRawBufferPointer) { self.b = b }
    var remaining: Int { b.count - o }
    mutating func u8() -> UInt8? { guard remaining >= 1 else { return nil }; defer { o += 1 }; return b[o] }
    mutating func u16() -> UInt16? {
        guard remaining >= 2 else { return nil }
        defer { o += 2 }
        return UInt16(b[o]) << 8 | UInt16(b[o + 1])  // length checked above
    }
    mutating func bytes(_ n: Int) -> [UInt8]? {
        guard n >= 0, remaining >= n else { return nil }
        defer { o += n }
        return Array(UnsafeRawBufferPointer(rebasing: b[o..<(o + n)]))
    }
    mutating func skip(_ n: Int) -> Bool { guard n >= 0, remaining >= n else { return false }; o += n; return true }
    /// The optional extensions block that ends a ClientHello or ServerHello: `Extension extensions<0..2^16-1>`.
    /// Returns whether the block was present, and the extensions in wire order, each one's data a slice of
    /// `storage`, whose bytes this cursor reads.
    mutating func extensionBlock(in storage: [UInt8]) throws(TLSParseError) -> (present: Bool, extensions: [TLSExtension]) {
        precondition(storage.count == b.count, "extension block: cursor and storage differ")
        return try extensionBlock { TLSExtension(type: $0, data: storage[$1]) }
    }

    /// `extensionBlock` as spans: each extension's type and where its data lies in the bytes this cursor reads.
    mutating func extensionSpans() throws(TLSParseError) -> (present: Bool, extensions: [TLSExtensionSpan]) {
        try extensionBlock { TLSExtensionSpan(type: $0, range: $1) }
    }

    /// The extensions block, each extension made by `make` from its type and the range of its data.
    @inline(__always)
    private mutating func extensionBlock<E>(_ make: (UInt16, Range<Int>) -> E) throws(TLSParseError) -> (present: Bool, extensions: [E]) {
        guard remaining > 0 else { return (false, []) }
        guard let extLen = u16(), Int(extLen) <= remaining else { throw .invalidLength("extensions") }
        let end = o + Int(extLen)
        var extensions: [E] = []
        // Counted first (headers only), so the list is allocated once.
        var count = 0
        var p = o
        while end - p >= 4 {
            p += 4 + (Int(b[p + 2]) << 8 | Int(b[p + 3]))
            count += 1
        }
        extensions.reserveCapacity(count)
        while o < end {
            guard end - o >= 4, let type = u16(), let len = u16(), o + Int(len) <= end else { throw .invalidLength("extension") }
            extensions.append(make(type, o..<(o + Int(len))))
            o += Int(len)
        }
        return (true, extensions)
    }

    /// A 16-bit-prefixed list of 16-bit values.
    mutating func u16List16() -> [UInt16]? {
        guard let len = u16(), Int(len) <= remaining, len % 2 == 0 else { return nil }
        var out: [UInt16] = []
        out.reserveCapacity(Int(len) / 2)
        for _ in 0..<(Int(len) / 2) { out.append(u16()!) }  // length checked above
        return out
    }
}
