/// Real ClientHello records from `Tests/Fixtures/hellos/` (made by `make-hellos.py` with the system's OpenSSL).
public enum HelloFixtures {
    public static func record(_ name: String) -> [UInt8] {
        let text = Paths.readFile(Paths.packageRoot + "/Tests/Fixtures/hellos/\(name).hex") ?? []
        return Frames.hex(String(decoding: text, as: UTF8.self))
    }

    /// The handshake message (type, length, body) inside a single-record hello.
    public static func handshake(_ name: String) -> [UInt8] { Array(record(name).dropFirst(5)) }

    /// Re-frames a handshake message into TLS records of at most `size` bytes each.
    public static func records(of handshake: [UInt8], maximumFragment size: Int, version: UInt16 = 0x0301) -> [UInt8] {
        var out: [UInt8] = []
        var o = 0
        while o < handshake.count {
            let n = min(size, handshake.count - o)
            out += [22, UInt8(version >> 8), UInt8(version & 0xff), UInt8(n >> 8), UInt8(n & 0xff)] + handshake[o..<(o + n)]
            o += n
        }
        return out
    }
}
