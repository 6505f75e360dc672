/// Known public CA OCSP responders, CRL and CA-issuer hosts (data/responders.csv, compiled in), so events can
/// say which CA a responder belongs to. Entries `*.example.com` match any subdomain.
public struct ResponderCatalogue: Sendable {
    private var exact: [String: [ResponderInfo]] = [:]
    /// `*.example.com` entries: the suffix `.example.com`, as text and as bytes (for the ASCII lookup).
    private struct Suffix: Sendable {
        var text: String
        var bytes: [UInt8]
        var info: ResponderInfo
    }
    private var suffixes: [Suffix] = []

    public static let shared = ResponderCatalogue(tsv: bundled)

    /// Lines of `host TAB operator TAB kind`.
    public init(tsv: String) {
        for line in tsv.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 3 else { continue }
            add(host: f[0], operator: f[1], kind: f[2])
        }
    }

    public mutating func add(host: String, operator op: String, kind: String) {
        let h = host.lowercased()
        if h.hasPrefix("*.") {
            let suffix = String(h.dropFirst(1))
            suffixes.append(Suffix(text: suffix, bytes: Array(suffix.utf8), info: ResponderInfo(host: h, operator: op, kind: kind)))
        } else {
            exact[h, default: []].append(ResponderInfo(host: h, operator: op, kind: kind))
        }
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

    private func lookupASCII(_ u: UnsafeBufferPointer<UInt8>, kind: String?) -> ResponderInfo? {
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
            if let entries = exact[String(decoding: h, as: UTF8.self)] { return Self.preferred(entries, kind: kind) }
            let matches = suffixes.filter { $0.bytes.count <= n && h.suffix($0.bytes.count).elementsEqual($0.bytes) }
            return Self.preferred(matches.map(\.info), kind: kind)
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
