import Testing
import PacketDecoding
@testable import Pipeline

/// Timestamps and addresses as events write them, against the general formulation.
struct FormattingTests {
    @Test func timestampsEqualTheGeneralFormatting() {
        var seconds: [Int64] = [0, -1, -86_400, -86_401, 951_782_400, 951_868_799, 1_700_000_000, 4_102_444_799,
                                -62_167_219_200, 253_402_300_799, 253_402_300_800, -62_167_219_201, 68_256_000_000]
        var x: UInt64 = 0x9e37_79b9_7f4a_7c15
        for _ in 0..<2000 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            seconds.append(Int64(bitPattern: x % 300_000_000_000) - 70_000_000_000)
        }
        for s in seconds {
            for ns: UInt32 in [0, 999, 1_000, 123_456_789, 999_999_999, 1_000_000_000, .max] {
                #expect(rfc3339(seconds: s, nanoseconds: ns) == rfc3339General(seconds: s, nanoseconds: ns))
            }
        }
        #expect(rfc3339(seconds: 1_700_000_000, nanoseconds: 5_418_000) == "2023-11-14T22:13:20.005418Z")
    }

    @Test func dottedQuads() {
        #expect(IPAddress.v4(0).description == "0.0.0.0")
        #expect(IPAddress.v4(0xffff_ffff).description == "255.255.255.255")
        #expect(IPAddress.v4(0x0a00_00ac).description == "10.0.0.172")
        #expect(IPAddress.v4(0x0114_ff03).description == "1.20.255.3")
        #expect(IPAddress.v4(0xc612_4b3b).description == "198.18.75.59")
        #expect(IPAddress(hi: 0, lo: 0xffff_c000_0201, isIPv6: true).description == "::ffff:192.0.2.1")
        for v: UInt32 in [0x0102_0304, 0x6463_0a09, 0xc8c9_6465] {
            #expect(IPAddress.v4(v).description == "\(v >> 24).\((v >> 16) & 0xff).\((v >> 8) & 0xff).\(v & 0xff)")
        }
    }

    /// RFC 5952 text of IPv6 addresses, written in place, against a plain formulation (groups as strings, the
    /// longest zero run of two or more, the first of equal runs, as "::") and the RFC's own examples.
    @Test func ipv6TextEqualsThePlainFormulation() {
        func plain(_ a: IPAddress) -> String {
            var groups: [UInt16] = []
            for i in 0..<4 { groups.append(UInt16(truncatingIfNeeded: a.hi >> UInt64(48 - 16 * i))) }
            for i in 0..<4 { groups.append(UInt16(truncatingIfNeeded: a.lo >> UInt64(48 - 16 * i))) }
            if a.hi == 0 && a.lo >> 32 == 0xffff { return "::ffff:" + IPAddress.v4(UInt32(truncatingIfNeeded: a.lo)).description }
            var best = (start: -1, len: 0), i = 0
            while i < 8 {
                guard groups[i] == 0 else { i += 1; continue }
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i >= 2 && j - i > best.len { best = (i, j - i) }
                i = j
            }
            if best.start < 0 { return groups.map { String($0, radix: 16) }.joined(separator: ":") }
            let head = groups[..<best.start].map { String($0, radix: 16) }.joined(separator: ":")
            let tail = groups[(best.start + best.len)...].map { String($0, radix: 16) }.joined(separator: ":")
            return head + "::" + tail
        }
        var cases: [IPAddress] = [
            IPAddress(hi: 0, lo: 0, isIPv6: true), IPAddress(hi: 0, lo: 1, isIPv6: true),
            IPAddress(hi: 0x2001_0db8_0000_0000, lo: 0x0000_0000_0000_0001, isIPv6: true),
            IPAddress(hi: 0x2001_0db8_0000_0001, lo: 0x0001_0001_0001_0001, isIPv6: true),
            IPAddress(hi: 0x2001_0db8_0000_0000, lo: 0x0001_0000_0000_0001, isIPv6: true),
            IPAddress(hi: 0xfe80_0000_0000_0000, lo: 0x0000_0000_0000_0000, isIPv6: true),
            IPAddress(hi: 0xffff_ffff_ffff_ffff, lo: 0xffff_ffff_ffff_ffff, isIPv6: true),
            IPAddress(hi: 0, lo: 0xffff_0a00_0001, isIPv6: true),
        ]
        var x: UInt64 = 0x2545_f491_4f6c_dd1d
        for _ in 0..<5000 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            var hi = x
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            var lo = x
            // Zero some groups so that runs of every length and position occur.
            let mask = x >> 56
            for g in 0..<4 where mask & (1 << g) != 0 { hi &= ~(UInt64(0xffff) << UInt64(16 * g)) }
            for g in 0..<4 where mask & (1 << (g + 4)) != 0 { lo &= ~(UInt64(0xffff) << UInt64(16 * g)) }
            cases.append(IPAddress(hi: hi, lo: lo, isIPv6: true))
        }
        for a in cases {
            #expect(a.description == plain(a))
            // The events' path: the text formatted in place in the JSON buffer.
            var w = JSONWriter()
            w.field("a", address: a)
            #expect(String(decoding: w.bytes, as: UTF8.self) == "\"a\":\"\(plain(a))\"")
        }
        // RFC 5952 §4.2.1-§4.3 examples.
        #expect(IPAddress(hi: 0x2001_0db8_0000_0000, lo: 0x0000_0000_0000_0001, isIPv6: true).description == "2001:db8::1")
        #expect(IPAddress(hi: 0x2001_0db8_0000_0001, lo: 0x0001_0001_0001_0001, isIPv6: true).description == "2001:db8:0:1:1:1:1:1")
        #expect(IPAddress(hi: 0x2001_0000_0000_0001, lo: 0x0000_0000_0000_0001, isIPv6: true).description == "2001:0:0:1::1")
        #expect(IPAddress(hi: 0x2001_0db8_0000_0000, lo: 0x0001_0000_0000_0001, isIPv6: true).description == "2001:db8::1:0:0:1")
        #expect(IPAddress(hi: 0x2001_0db8_0000_0000, lo: 0x0000_0000_0000_0000, isIPv6: true).description == "2001:db8::")
        #expect(IPAddress(hi: 0, lo: 0, isIPv6: true).description == "::")
    }
}
