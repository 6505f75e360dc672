import Testing
@testable import Fingerprints

/// The list formatting JA3 and JA4 use, against the plain formulation it replaces.
struct ListFormattingTests {
    static let samples: [[UInt16]] = [[], [0], [9], [10], [0xffff], [0x0a0a, 0x1301, 0xc02b, 0x00ff, 5, 65281, 771],
                                      Array(0..<300).map { UInt16($0 * 219) }]

    @Test func hexLists() {
        for s in Self.samples {
            #expect(hex4Joined(s) == s.map(hex4).joined(separator: ","))
        }
    }

    @Test func decimalLists() {
        for s in Self.samples {
            #expect(decimalJoined(s) == s.map(String.init).joined(separator: "-"))
        }
        let bytes: [UInt8] = [0, 1, 2, 9, 10, 99, 100, 255]
        #expect(decimalJoined(bytes) == "0-1-2-9-10-99-100-255")
        #expect(decimalJoined([UInt64.max, 0]) == "18446744073709551615-0")
    }

    @Test func truncatedSHA256() {
        #expect(Digest.sha256Hex("", characters: 12) == "e3b0c44298fc")
        #expect(Digest.sha256Hex("", characters: 11) == "e3b0c44298f")
        #expect(Digest.sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
