/// Known public CA OCSP responders, CRL and CA-issuer hosts (data/responders.csv, compiled in), so events can
/// say which CA a responder belongs to. Entries `*.example.com` match any subdomain.
public struct ResponderCatalogue: Sendable {
    private var exact: [String: [ResponderInfo]] = [:]
    /// The exact entries again, by a hash of the host's bytes (`byteHash`), for the lookup of ASCII names without
    /// making a string: each bucket holds the hosts (as bytes, to compare) with that hash.
    private var exactByHash: [UInt64: [(host: [UInt8], entries: [ResponderInfo])]] = [:]
    /// `*.example.com` entries: the suffix `.example.com`, as text and as bytes (for the ASCII lookup).
    private struct Suffix: Sendable {
        var text: String
        var bytes: [UInt8]
        var info: ResponderInfo
    }
    private var suffixes: [Suffix] = []

    public static let shared = ResponderCatalogue(tsv: bundled)

    /// Lines of `host TAB operator TAB kind`, ended by LF or CRLF (empty lines and lines of fewer than three fields
    /// skipped, fields after the third ignored). The compiled-in catalogue is read at the first lookup of a run, so
    /// its lines are cut as bytes.
    public init(tsv: String) {
        var text = tsv
        text.withUTF8 { u in
            var o = 0
            while o < u.count {
                var next = o
                while next < u.count && u[next] != 0x0a { next += 1 }
                let end = next > o && u[next - 1] == 0x0d ? next - 1 : next
                // Up to three tab-separated fields of the line o..<end.
                var starts = (o, 0, 0), ends = (end, end, end), fields = 1
                var k = o
                while k < end && fields < 4 {
                    if u[k] == 0x09 {
                        switch fields {
                        case 1: ends.0 = k; starts.1 = k + 1
                        case 2: ends.1 = k; starts.2 = k + 1
                        default: ends.2 = k
                        }
                        fields += 1
                    }
                    k += 1
                }
                if fields >= 3 {
                    func field(_ a: Int, _ b: Int) -> String { String(decoding: UnsafeBufferPointer(rebasing: u[a..<b]), as: UTF8.self) }
                    add(host: field(starts.0, ends.0), operator: field(starts.1, ends.1), kind: field(starts.2, ends.2))
                }
                o = next + 1
            }
        }
    }

    public mutating func add(host: String, operator op: String, kind: String) {
        // ASCII (every catalogue host) lower-cased as bytes; anything else as Unicode text.
        let h = host.utf8.allSatisfy({ $0 < 0x80 })
            ? String(decoding: host.utf8.map { $0 >= 0x41 && $0 <= 0x5a ? $0 + 0x20 : $0 }, as: UTF8.self) : host.lowercased()
        if h.hasPrefix("*.") {
            let suffix = String(h.dropFirst(1))
            suffixes.append(Suffix(text: suffix, bytes: Array(suffix.utf8), info: ResponderInfo(host: h, operator: op, kind: kind)))
        } else {
            let info = ResponderInfo(host: h, operator: op, kind: kind)
            exact[h, default: []].append(info)
            let bytes = Array(h.utf8)
            let hash = bytes.withUnsafeBufferPointer { Self.byteHash($0) }
            var bucket = exactByHash[hash, default: []]
            if let i = bucket.firstIndex(where: { $0.host == bytes }) { bucket[i].entries.append(info) } else { bucket.append((bytes, [info])) }
            exactByHash[hash] = bucket
        }
    }

    /// FNV-1a over the bytes: spreads the catalogue's few hundred hosts; a lookup compares the bytes after it.
    @inline(__always)
    static func byteHash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for c in b { h = (h ^ UInt64(c)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    public var count: Int { exact.values.reduce(0) { $0 + $1.count } + suffixes.count }

    /// The catalogue entry for `host` (a Host header may carry a port), preferring `kind` when several match.
    public func lookup(_ host: String?, kind: String? = nil) -> ResponderInfo? {
        guard var host, !host.isEmpty else { return nil }
        // Every SNI and Host header is looked up: ASCII names (nearly all) are normalised as bytes, on the stack.
        let ascii = host.withUTF8 { u -> (found: Bool, info: ResponderInfo?) in
            guard u.count <= 255, !u.contains(where: { $0 >= 0x80 }) else { return (false, nil) }
            return (true, lookupASCII(u, kind: kind))
        }
        if ascii.found { return ascii.info }
        return lookupGeneral(host, kind: kind)
    }

    /// The lookup of an ASCII name of at most 255 bytes (`lookup` for such a name), without making a string.
    func lookupASCII(_ u: UnsafeBufferPointer<UInt8>, kind: String? = nil) -> ResponderInfo? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buf -> ResponderInfo? in
            var n = 0
            var colons = 0, colonAt = -1, bracket = false
            for b in u {
                buf[n] = b >= 0x41 && b <= 0x5a ? b + 0x20 : b
                if b == 0x3a { colons += 1; colonAt = n }
                if b == 0x5d { bracket = true }
                n += 1
            }
            if colons == 1 && !bracket { n = colonAt }
            if n > 0 && buf[n - 1] == 0x2e { n -= 1 }
            let h = UnsafeBufferPointer(rebasing: buf[0..<n])
            if let bucket = exactByHash[Self.byteHash(h)], let hit = bucket.first(where: { $0.host.elementsEqual(h) }) {
                return Self.preferred(hit.entries, kind: kind)
            }
            // The first matching suffix of `kind`, else the first matching one (`preferred` of the matches).
            var first: ResponderInfo?
            for s in suffixes where s.bytes.count <= n && h.suffix(s.bytes.count).elementsEqual(s.bytes) {
                if s.info.kind == kind { return s.info }
                if first == nil { first = s.info }
            }
            return first
        }
    }

    /// The lookup for any name (non-ASCII bytes included): Unicode lower-casing and string comparison.
    func lookupGeneral(_ host: String?, kind: String? = nil) -> ResponderInfo? {
        guard var h = host?.lowercased(), !h.isEmpty else { return nil }
        if let colon = h.lastIndex(of: ":"), !h.contains("]"), h.filter({ $0 == ":" }).count == 1 { h = String(h[..<colon]) }
        if h.hasSuffix(".") { h.removeLast() }
        if let entries = exact[h] { return Self.preferred(entries, kind: kind) }
        return Self.preferred(suffixes.filter { h.hasSuffix($0.text) }.map(\.info), kind: kind)
    }

    /// The first entry of `kind` when there is one, else the first.
    private static func preferred(_ entries: [ResponderInfo], kind: String?) -> ResponderInfo? {
        entries.first { $0.kind == kind } ?? entries.first
    }
}
