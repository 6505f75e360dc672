/// The last component of a file path, as a capture or a labels file is named in output: `captures/x.pcap` → `x.pcap`.
/// Trailing slashes are ignored; a path of slashes only is `/`; `-` (standard input) stays `-`.
public func lastPathComponent(_ path: String) -> String {
    var p = Substring(path)
    while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
    if p == "/" { return "/" }
    if let slash = p.lastIndex(of: "/") { return String(p[p.index(after: slash)...]) }
    return String(p)
}
