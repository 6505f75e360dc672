/// A certificate serial number in the project-wide normal form.
///
/// ```
/// CertificateSerialNumber ::= INTEGER      -- RFC 5280 §4.1.2.2
/// ```
///
/// Normalisation rule: lowercase hexadecimal of the integer's magnitude with **no leading zero octets and no
/// leading zero digit beyond what the octets give** — i.e. the DER INTEGER content octets with leading `00`
/// octets removed, two hex digits per octet. Zero is `0`. Examples: content `00 8f 00 00 00 00 00 00 00 01` →
/// `8f0000000000000001`; content `08 1c 86 2d c8 aa c9` → `081c862dc8aac9` (the leading zero *digit* of a
/// non-zero first octet is kept, so that the form equals Zeek's and tshark's rendering lower-cased);
/// content `00` → `0`.
///
/// Negative serials (seen in broken certificates) are kept as their two's-complement content octets with
/// `isNegative` set; their `hex` is the octets as written, prefixed with `-`.
public struct SerialNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The magnitude octets, big-endian, with no leading zero octet (empty for zero).
    public let bytes: [UInt8]
    /// True when the DER INTEGER was negative (top bit of the first content octet set).
    public let isNegative: Bool

    /// The normalised lowercase hex string (see the type documentation).
    public var hex: String {
        if bytes.isEmpty { return "0" }
        return (isNegative ? "-" : "") + PKIHex.encode(bytes)
    }

    public var description: String { hex }

    /// Builds a serial from the magnitude octets (leading zero octets are removed).
    public init(magnitude: some Collection<UInt8>) {
        self.bytes = Array(magnitude.drop { $0 == 0 })
        self.isNegative = false
    }

    /// Builds a serial from DER INTEGER content octets (two's complement, big-endian). Leading `00` octets
    /// (the sign octet and any non-minimal padding) are removed. Empty content is treated as zero.
    public init(derContent: some Collection<UInt8>) {
        if let first = derContent.first, first & 0x80 != 0 {
            self.bytes = Array(derContent)
            self.isNegative = true
        } else {
            self.bytes = Array(derContent.drop { $0 == 0 })
            self.isNegative = false
        }
    }

    /// Parses a hex serial as written by different sources: with or without leading `00`, upper or lower case,
    /// odd length, `:`/space separated, optional `0x`. Returns nil for an empty string or a non-hex character.
    /// The value is always taken as a non-negative magnitude.
    public init?(hex string: String) {
        guard let decoded = PKIHex.decode(string), !decoded.isEmpty else { return nil }
        self.init(magnitude: decoded)
    }

    /// Longest decimal string accepted by `init?(decimal:)` (the conversion is quadratic). A 20-octet serial
    /// has at most 49 digits.
    public static let maximumDecimalDigits = 1000

    /// Parses a decimal serial of arbitrary size (as crt.sh / Censys / openssl print them), optionally with
    /// surrounding whitespace. Returns nil for an empty string, a non-digit character, or more than
    /// `maximumDecimalDigits` characters.
    public init?(decimal string: String) {
        guard string.utf8.count <= SerialNumber.maximumDecimalDigits + 16 else { return nil }
        var magnitude: [UInt8] = []  // big-endian
        var sawDigit = false
        for c in string.utf8 {
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") {
                continue
            }
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            sawDigit = true
            // magnitude = magnitude * 10 + digit, on a big-endian byte array.
            var carry = UInt16(c - UInt8(ascii: "0"))
            var i = magnitude.count - 1
            while i >= 0 {
                let v = UInt16(magnitude[i]) * 10 + carry
                magnitude[i] = UInt8(truncatingIfNeeded: v)
                carry = v >> 8
                i -= 1
            }
            while carry > 0 {
                magnitude.insert(UInt8(truncatingIfNeeded: carry), at: 0)
                carry >>= 8
            }
        }
        guard sawDigit else { return nil }
        self.init(magnitude: magnitude)
    }

    /// Decimal rendering of the magnitude (arbitrary size), `-` prefixed when negative (two's complement is
    /// not undone; negative serials are rendered from their octets as if unsigned).
    public var decimal: String {
        var digits: [UInt8] = []
        var work = bytes
        while !work.isEmpty {
            var remainder: UInt16 = 0
            var next: [UInt8] = []
            next.reserveCapacity(work.count)
            for b in work {
                let v = remainder << 8 | UInt16(b)
                let q = v / 10
                remainder = v % 10
                if !next.isEmpty || q != 0 { next.append(UInt8(q)) }
            }
            digits.append(UInt8(remainder) + UInt8(ascii: "0"))
            work = next
        }
        if digits.isEmpty { return "0" }
        return (isNegative ? "-" : "") + String(decoding: digits.reversed(), as: UTF8.self)
    }

    public static func < (lhs: SerialNumber, rhs: SerialNumber) -> Bool {
        if lhs.isNegative != rhs.isNegative { return lhs.isNegative }
        if lhs.bytes.count != rhs.bytes.count { return lhs.bytes.count < rhs.bytes.count }
        return lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}
