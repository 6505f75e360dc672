/// Lowercase hexadecimal helpers used for every byte string this module renders.
public enum PKIHex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lowercase hex of `bytes`, two digits per byte, no separators.
    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes a hex string (upper or lower case). Accepts `:`, spaces, tabs and `-` as separators and an
    /// optional `0x` prefix; an odd number of digits is padded with a leading zero. Returns nil on any other
    /// character.
    public static func decode(_ string: String) -> [UInt8]? {
        var nibbles = [UInt8]()
        nibbles.reserveCapacity(string.utf8.count)
        var utf8 = Substring(string).utf8[...]
        if utf8.count >= 2, let f = utf8.first, f == UInt8(ascii: "0"),
            utf8.dropFirst().first == UInt8(ascii: "x") || utf8.dropFirst().first == UInt8(ascii: "X")
        {
            utf8 = utf8.dropFirst(2)
        }
        for c in utf8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibbles.append(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibbles.append(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibbles.append(c - UInt8(ascii: "A") + 10)
            case UInt8(ascii: ":"), UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "-"): continue
            default: return nil
            }
        }
        if nibbles.count % 2 == 1 { nibbles.insert(0, at: 0) }
        var out = [UInt8]()
        out.reserveCapacity(nibbles.count / 2)
        var i = 0
        while i + 1 < nibbles.count {
            out.append(nibbles[i] << 4 | nibbles[i + 1])
            i += 2
        }
        return out
    }
}
