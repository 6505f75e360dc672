/// One extension as sent (RFC 8446 §4.2):
///
/// ```
/// struct {
///     ExtensionType extension_type;
///     opaque extension_data<0..2^16-1>;
/// } Extension;
/// ```
///
/// A parsed hello's extensions share one copy of its extensions block: `data` is a slice of it (indices are those
/// of the block, so read it from `startIndex`), not an array of its own per extension.
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
    /// Returns whether the block was present, and the extensions in wire order.
    mutating func extensionBlock() throws(TLSParseError) -> (present: Bool, extensions: [TLSExtension]) {
        guard remaining > 0 else { return (false, []) }
        guard let extLen = u16(), Int(extLen) <= remaining else { throw .invalidLength("extensions") }
        let end = o + Int(extLen)
        var extensions: [TLSExtension] = []
        // Counted first (headers only), so the list is allocated once.
        var count = 0
        var p = o
        while end - p >= 4 {
            p += 4 + (Int(b[p + 2]) << 8 | Int(b[p + 3]))
            count += 1
        }
        extensions.reserveCapacity(count)
        // One copy of the block; each extension's data is a slice of it.
        let blockStart = o
        let block = Array(UnsafeRawBufferPointer(rebasing: b[o..<end]))
        while o < end {
            guard end - o >= 4, let type = u16(), let len = u16(), o + Int(len) <= end else { throw .invalidLength("extension") }
            let from = o - blockStart
            extensions.append(TLSExtension(type: type, data: block[from..<(from + Int(len))]))
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
