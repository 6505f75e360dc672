/// Known public CA OCSP responders, CRL and CA-issuer hosts (data/responders.csv, compiled in), so events can
/// say which CA a responder belongs to. Entries `*.example.com` match any subdomain.
public struct ResponderCatalogue: Sendable {
    private var exact: [String: [ResponderInfo]] = [:]
    private var suffixes: [(String, ResponderInfo)] = []

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
            suffixes.append((String(h.dropFirst(1)), ResponderInfo(host: h, operator: op, kind: kind)))
        } else {
            exact[h, default: []].append(ResponderInfo(host: h, operator: op, kind: kind))
        }
    }

    public var count: Int { exact.values.reduce(0) { $0 + $1.count } + suffixes.count }

    /// The catalogue entry for `host` (a Host header may carry a port), preferring `kind` when several match.
    public func lookup(_ host: String?, kind: String? = nil) -> ResponderInfo? {
        guard var h = host?.lowercased(), !h.isEmpty else { return nil }
        if let colon = h.lastIndex(of: ":"), !h.contains("]"), h.filter({ $0 == ":" }).count == 1 { h = String(h[..<colon]) }
        if h.hasSuffix(".") { h.removeLast() }
        if let entries = exact[h] {
            return entries.first { $0.kind == kind } ?? entries.first
        }
        let matches = suffixes.filter { h.hasSuffix($0.0) }.map(\.1)
        return matches.first { $0.kind == kind } ?? matches.first
    }
}
