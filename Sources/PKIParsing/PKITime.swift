/// A point in time decoded from an ASN.1 `UTCTime` or `GeneralizedTime`.
///
/// ```
/// Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }   -- RFC 5280 §4.1.2.5
/// ```
///
/// UTCTime years 50–99 are 1950–1999 and 00–49 are 2000–2049 (RFC 5280 §4.1.2.5.1). Fractional seconds of a
/// GeneralizedTime are dropped (kept in `fractionalSeconds`). Besides the DER form (`Z`, seconds present), the
/// decoder tolerates forms seen from real responders: missing seconds and `+hhmm`/`-hhmm` offsets, which are
/// folded into UTC.
public struct PKITime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z (fraction dropped).
    public let secondsSinceEpoch: Int64
    /// Fractional seconds from a GeneralizedTime (0 when absent).
    public let fractionalSeconds: Double
    /// True when the value came from a UTCTime, false for a GeneralizedTime.
    public let isUTCTime: Bool

    /// RFC 3339 UTC rendering, e.g. `2015-07-10T06:00:00Z`.
    public var rfc3339: String {
        let (y, m, d, hh, mm, ss) = PKITime.civil(from: secondsSinceEpoch)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var year = "\(y)"
        while year.count < 4 { year = "0" + year }
        return "\(year)-\(two(m))-\(two(d))T\(two(hh)):\(two(mm)):\(two(ss))Z"
    }

    public var description: String { rfc3339 }

    public init(secondsSinceEpoch: Int64, fractionalSeconds: Double = 0, isUTCTime: Bool = false) {
        self.secondsSinceEpoch = secondsSinceEpoch
        self.fractionalSeconds = fractionalSeconds
        self.isUTCTime = isUTCTime
    }

    public static func < (lhs: PKITime, rhs: PKITime) -> Bool {
        (lhs.secondsSinceEpoch, lhs.fractionalSeconds) < (rhs.secondsSinceEpoch, rhs.fractionalSeconds)
    }

    /// Decodes the content octets of a UTCTime (`utc == true`) or GeneralizedTime. Returns nil when the text is
    /// not a valid time.
    static func decode(_ content: ArraySlice<UInt8>, utc: Bool) -> PKITime? {
        var p = content.startIndex
        let end = content.endIndex
        func digits(_ n: Int) -> Int64? {
            guard end - p >= n else { return nil }
            var v: Int64 = 0
            for _ in 0..<n {
                let c = content[p]
                guard c >= 0x30, c <= 0x39 else { return nil }
                v = v * 10 + Int64(c - 0x30)
                p += 1
            }
            return v
        }
        var year: Int64
        if utc {
            guard let yy = digits(2) else { return nil }
            year = yy >= 50 ? 1900 + yy : 2000 + yy
        } else {
            guard let yyyy = digits(4) else { return nil }
            year = yyyy
        }
        guard let month = digits(2), let day = digits(2), let hour = digits(2), let minute = digits(2) else {
            return nil
        }
        var second: Int64 = 0
        if p < end, content[p] >= 0x30, content[p] <= 0x39 {
            guard let s = digits(2) else { return nil }
            second = s
        }
        var fraction = 0.0
        if !utc, p < end, content[p] == UInt8(ascii: ".") || content[p] == UInt8(ascii: ",") {
            p += 1
            var scale = 0.1
            var any = false
            while p < end, content[p] >= 0x30, content[p] <= 0x39 {
                fraction += Double(content[p] - 0x30) * scale
                scale /= 10
                p += 1
                any = true
            }
            guard any else { return nil }
        }
        var offsetSeconds: Int64 = 0
        guard p < end else { return nil }  // a zone designator is required
        switch content[p] {
        case UInt8(ascii: "Z"):
            p += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign: Int64 = content[p] == UInt8(ascii: "+") ? 1 : -1
            p += 1
            guard let oh = digits(2), let om = digits(2), oh < 24, om < 60 else { return nil }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        default:
            return nil
        }
        guard p == end else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
            hour < 24, minute < 60, second <= 60
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return PKITime(secondsSinceEpoch: seconds, fractionalSeconds: fraction, isUTCTime: utc)
    }

    private static func isLeap(_ y: Int64) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(from seconds: Int64) -> (Int64, Int64, Int64, Int64, Int64, Int64) {
        var days = seconds / 86_400
        var rem = seconds % 86_400
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
    }
}
