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
}
