import Testing
@testable import PKIParsing

@Suite struct SerialNumberTests {
    @Test func derContentDropsLeadingZeroOctets() {
        #expect(SerialNumber(derContent: hex("008f0000000000000001")).hex == "8f0000000000000001")
        #expect(SerialNumber(derContent: hex("081c862dc8aac9")).hex == "081c862dc8aac9")
        #expect(SerialNumber(derContent: hex("00")).hex == "0")
        #expect(SerialNumber(derContent: hex("0000")).hex == "0")
        #expect(SerialNumber(derContent: [UInt8]()).hex == "0")
        #expect(SerialNumber(derContent: hex("01")).hex == "01")
    }

    @Test func negativeSerialIsFlagged() {
        let s = SerialNumber(derContent: hex("ff01"))
        #expect(s.isNegative)
        #expect(s.hex == "-ff01")
    }

    @Test(arguments: [
        "8F0000000000000001", "8f0000000000000001", "008F0000000000000001", "00:8f:00:00:00:00:00:00:00:01",
        "0x8f0000000000000001", "8F 00 00 00 00 00 00 00 01", "0000008f0000000000000001",
    ])
    func hexSpellings(_ text: String) {
        #expect(SerialNumber(hex: text)?.hex == "8f0000000000000001")
    }

    @Test func oddLengthHexIsLeftPadded() {
        #expect(SerialNumber(hex: "81C862DC8AAC9")?.hex == "081c862dc8aac9")
        #expect(SerialNumber(hex: "0")?.hex == "0")
        #expect(SerialNumber(hex: "000")?.hex == "0")
    }

    @Test func invalidHexIsRejected() {
        #expect(SerialNumber(hex: "") == nil)
        #expect(SerialNumber(hex: "xyz") == nil)
        #expect(SerialNumber(hex: "12g4") == nil)
        #expect(SerialNumber(hex: "::") == nil)
    }

    @Test func decimalOfArbitrarySize() {
        #expect(SerialNumber(decimal: "2637884402540465881089")?.hex == "8f0000000000000001")
        #expect(SerialNumber(decimal: "4415573374983742230")?.hex == "3d474496ff942316")
        #expect(SerialNumber(decimal: "0")?.hex == "0")
        #expect(SerialNumber(decimal: "255")?.hex == "ff")
        #expect(SerialNumber(decimal: "256")?.hex == "0100")
        #expect(SerialNumber(decimal: " 4096\n")?.hex == "1000")
        // 2^160 - 1: twenty 0xff octets.
        #expect(
            SerialNumber(decimal: "1461501637330902918203684832716283019655932542975")?.hex
                == String(repeating: "ff", count: 20))
        #expect(SerialNumber(decimal: "") == nil)
        #expect(SerialNumber(decimal: "12a") == nil)
        #expect(SerialNumber(decimal: "-5") == nil)
    }

    @Test func decimalRendering() {
        #expect(SerialNumber(hex: "8f0000000000000001")?.decimal == "2637884402540465881089")
        #expect(SerialNumber(hex: "00")?.decimal == "0")
        for v: UInt64 in [1, 9, 10, 255, 256, 65535, 1 << 40, UInt64.max] {
            #expect(SerialNumber(decimal: String(v))?.decimal == String(v))
            #expect(SerialNumber(decimal: String(v))?.hex.trimmingLeadingZeroDigit == String(v, radix: 16))
        }
    }

    @Test func differentSpellingsAreEqual() {
        #expect(SerialNumber(hex: "00:8F") == SerialNumber(derContent: hex("008f")))
        #expect(SerialNumber(hex: "8f") == SerialNumber(decimal: "143"))
        #expect(SerialNumber(hex: "01")! < SerialNumber(hex: "0100")!)
    }
}

extension String {
    var trimmingLeadingZeroDigit: String {
        count > 1 && hasPrefix("0") ? String(dropFirst()) : self
    }
}

@Suite struct PKITimeTests {
    func decode(_ s: String, utc: Bool) -> PKITime? { PKITime.decode(Array(s.utf8)[...], utc: utc) }

    @Test func utcTime() throws {
        let t = try #require(decode("150710060000Z", utc: true))
        #expect(t.rfc3339 == "2015-07-10T06:00:00Z")
        #expect(t.secondsSinceEpoch == 1_436_508_000)
        #expect(t.isUTCTime)
        #expect(decode("500101000000Z", utc: true)?.rfc3339 == "1950-01-01T00:00:00Z")
        #expect(decode("491231235959Z", utc: true)?.rfc3339 == "2049-12-31T23:59:59Z")
    }

    @Test func generalizedTime() throws {
        #expect(decode("20150618220334Z", utc: false)?.secondsSinceEpoch == 1_434_665_014)
        #expect(decode("20240229120000Z", utc: false)?.rfc3339 == "2024-02-29T12:00:00Z")
        #expect(decode("19700101000000Z", utc: false)?.secondsSinceEpoch == 0)
        #expect(decode("19691231235959Z", utc: false)?.secondsSinceEpoch == -1)
        let f = try #require(decode("20150618220334.25Z", utc: false))
        #expect(f.secondsSinceEpoch == 1_434_665_014)
        #expect(f.fractionalSeconds == 0.25)
        #expect(decode("21060207062816Z", utc: false)?.rfc3339 == "2106-02-07T06:28:16Z")
    }

    @Test func tolerantForms() {
        #expect(decode("1507100600Z", utc: true)?.rfc3339 == "2015-07-10T06:00:00Z")
        #expect(decode("20150710080000+0200", utc: false)?.rfc3339 == "2015-07-10T06:00:00Z")
        #expect(decode("20150710050000-0100", utc: false)?.rfc3339 == "2015-07-10T06:00:00Z")
    }

    @Test(arguments: ["20150230000000Z", "20151301000000Z", "20150101250000Z", "2015010100000Z", "20150101000000",
                      "20150101000000ZZ", "2015O101000000Z", "", "Z", "20150101000000.Z", "20230229000000Z"])
    func invalid(_ s: String) {
        #expect(decode(s, utc: false) == nil)
    }
}
