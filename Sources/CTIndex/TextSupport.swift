import PKIParsing

/// Base64 (standard or URL-safe alphabet, padding optional, white space ignored).
enum Base64 {
    private static let table: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (k, c) in alphabet.enumerated() { t[Int(c)] = UInt8(k) }
        t[Int(UInt8(ascii: "-"))] = 62
        t[Int(UInt8(ascii: "_"))] = 63
        return t
    }()

    static func decode(_ input: some Sequence<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(input.underestimatedCount * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        var padding = false
        for c in input {
            if c == UInt8(ascii: "=") {
                padding = true
                continue
            }
            if isSpace(c) { continue }
            if padding { return nil }
            let v = table[Int(c)]
            if v == 0xFF { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        if bits >= 6 { return nil }  // a lone trailing character
        return out
    }
}

/// Date and time text → seconds since the epoch (UTC).
enum TimeText {
    /// `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS`, optional fraction, optional `Z` or `±HH:MM` (crt.sh writes UTC without a
    /// zone, Censys RFC 3339 with `Z`). A space may replace the `T`.
    static func parse(_ s: some Collection<UInt8>) -> Int64? {
        let b = Array(s)
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= b.count else { return nil }
            var v = 0
            for k in from..<(from + len) {
                let c = b[k]
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
                v = v * 10 + Int(c - UInt8(ascii: "0"))
            }
            return v
        }
        guard b.count >= 10, let y = num(0, 4), b[4] == UInt8(ascii: "-"), let mo = num(5, 2),
              b[7] == UInt8(ascii: "-"), let d = num(8, 2), (1...12).contains(mo), (1...31).contains(d)
        else { return nil }
        var secs = 0
        var k = 10
        if b.count > 10 {
            guard b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "), let h = num(11, 2),
                  b.count > 13, b[13] == UInt8(ascii: ":"), let mi = num(14, 2), h < 24, mi < 60 else { return nil }
            secs = h * 3600 + mi * 60
            k = 16
            if k < b.count, b[k] == UInt8(ascii: ":") {
                guard let sec = num(17, 2), sec <= 60 else { return nil }
                secs += sec
                k = 19
            }
            if k < b.count, b[k] == UInt8(ascii: ".") {
                k += 1
                while k < b.count, b[k] >= UInt8(ascii: "0"), b[k] <= UInt8(ascii: "9") { k += 1 }
            }
            if k < b.count {
                if b[k] == UInt8(ascii: "Z") {
                    k += 1
                } else if b[k] == UInt8(ascii: "+") || b[k] == UInt8(ascii: "-") {
                    guard let oh = num(k + 1, 2) else { return nil }
                    var om = 0
                    var next = k + 3
                    if next < b.count, b[next] == UInt8(ascii: ":") { next += 1 }
                    if let m = num(next, 2) {
                        om = m
                        next += 2
                    }
                    let off = oh * 3600 + om * 60
                    secs += b[k] == UInt8(ascii: "+") ? -off : off
                    k = next
                }
            }
            guard k == b.count else { return nil }
        }
        return Int64(daysFromCivil(y, mo, d)) * 86400 + Int64(secs)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func rfc3339(_ t: Int64) -> String { PKITime(secondsSinceEpoch: t).rfc3339 }
}

/// Normalised distinguished-name strings, so that the same issuer written by different sources compares equal.
///
/// Accepted spellings: crt.sh / Censys `C=US, O=Let's Encrypt, CN=R3` (encoding order, `, `), RFC 4514
/// `CN=R3,O=Let's Encrypt,C=US` (reverse order, `\`-escapes), openssl oneline `C = US, O = …`, certstream's
/// `/C=US/CN=…/O=…` (sorted by type). The normal form is order-insensitive: `TYPE=value` pairs with the type
/// upper-cased (aliases folded: `E`/`EMAIL` → `EMAILADDRESS`, `S` → `ST`), the value trimmed, inner white space
/// collapsed and lower-cased, sorted, joined by `\u{1}`. A fragment without `=` (an unescaped `,` or `/` inside a
/// value, as in `O=Foo, Inc.`) is joined back to the previous value.
enum DNNormalizer {
    static func normalize(_ text: String) -> String {
        var s = Substring(text).drop { $0 == " " }
        let slashForm = s.first == "/"
        if slashForm { s = s.dropFirst() }
        let separator: Character = slashForm ? "/" : ","
        var parts: [String] = []
        var current = ""
        var escape = false
        for ch in s {
            if escape {
                current.append(ch)
                escape = false
                continue
            }
            if ch == "\\" && !slashForm {
                escape = true
                continue
            }
            if ch == separator || (ch == "+" && !slashForm) {
                parts.append(current)
                current = ""
                continue
            }
            current.append(ch)
        }
        parts.append(current)
        // Rejoin fragments without '=' to the previous part.
        var merged: [String] = []
        for p in parts {
            if looksLikePair(p) || merged.isEmpty {
                merged.append(p)
            } else {
                merged[merged.count - 1] += String(separator) + p
            }
        }
        var pairs: [String] = []
        for p in merged {
            guard let eq = p.firstIndex(of: "=") else {
                let v = fold(p)
                if !v.isEmpty { pairs.append("?=" + v) }
                continue
            }
            let type = canonicalType(p[..<eq].trimmingSpaces())
            let value = fold(String(p[p.index(after: eq)...]))
            pairs.append(type + "=" + value)
        }
        return pairs.sorted().joined(separator: "\u{1}")
    }

    static func normalize(_ name: DistinguishedName) -> String {
        var pairs: [String] = []
        for a in name.attributes {
            let value = a.value ?? ("#" + PKIHex.encode(a.valueDER))
            pairs.append(canonicalType(Substring(a.shortName)) + "=" + fold(value))
        }
        return pairs.sorted().joined(separator: "\u{1}")
    }

    /// Display form in encoding order, as crt.sh writes issuer names: `C=US, O=Let's Encrypt, CN=R3`.
    static func display(_ name: DistinguishedName) -> String {
        name.rdns.map { rdn in
            rdn.map { "\($0.shortName)=\($0.value ?? "#" + PKIHex.encode($0.valueDER))" }.joined(separator: " + ")
        }.joined(separator: ", ")
    }

    private static func looksLikePair(_ p: String) -> Bool {
        guard let eq = p.firstIndex(of: "=") else { return false }
        let type = p[..<eq].trimmingSpaces()
        return !type.isEmpty && type.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }
    }

    private static func canonicalType(_ t: Substring) -> String {
        let u = t.uppercased()
        switch u {
        case "E", "EMAIL", "EMAILADDRESS", "1.2.840.113549.1.9.1": return "EMAILADDRESS"
        case "S", "STATEORPROVINCENAME", "2.5.4.8": return "ST"
        case "COMMONNAME", "2.5.4.3": return "CN"
        case "ORGANIZATIONNAME", "2.5.4.10": return "O"
        case "ORGANIZATIONALUNITNAME", "2.5.4.11": return "OU"
        case "COUNTRYNAME", "2.5.4.6": return "C"
        case "LOCALITYNAME", "2.5.4.7": return "L"
        case "SERIALNUMBER", "2.5.4.5": return "SERIALNUMBER"
        default: return u
        }
    }

    private static func fold(_ v: String) -> String {
        var out = ""
        var pendingSpace = false
        var v2 = Substring(v)
        // Surrounding quotes (openssl oneline may quote values) are not part of the value.
        if v2.count >= 2, v2.first == "\"", v2.last == "\"" { v2 = v2.dropFirst().dropLast() }
        for ch in v2 {
            if ch == " " || ch == "\t" {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.append(" ")
                pendingSpace = false
            }
            out.append(contentsOf: ch.lowercased())
        }
        return out
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return s
    }
}
