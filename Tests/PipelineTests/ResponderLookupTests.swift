import Testing
@testable import Pipeline
import TestSupport

/// The byte-level lookup of ASCII names gives what the general (Unicode) lookup gives, on every catalogue host
/// spelled the ways SNI and Host headers spell them, and on names that must not match.
@Suite struct ResponderLookupTests {
    @Test func asciiLookupEqualsTheGeneralLookup() throws {
        let csv = String(decoding: try #require(Paths.readFile(Paths.packageRoot + "/data/responders.csv")), as: UTF8.self)
        var hosts: [String] = []
        for line in csv.split(whereSeparator: \.isNewline).dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= 3 else { continue }
            let host = String(fields[1])
            hosts.append(host.hasPrefix("*.") ? "a1" + host.dropFirst(1) : host)
        }
        #expect(hosts.count > 250)
        var names: [String] = []
        for h in hosts {
            names += [h, h.uppercased(), h + ".", h + ":80", h.uppercased() + ".:8080", "x" + h, "x." + h, h + ".x",
                      String(h.dropFirst()), "[" + h + "]:80", h + ":1:2"]
        }
        names += ["", ".", ":", "example.com", "o.lencr.org", ".o.lencr.org", "lencr.org", "r11.o.lencr.org.", "R11.O.LENCR.ORG:443"]
        let c = ResponderCatalogue.shared
        var matched = 0
        for name in names {
            for kind in [nil, "ocsp", "crl", "aia-caissuers"] {
                let fast = c.lookup(name, kind: kind)
                #expect(fast == c.lookupGeneral(name, kind: kind), "\(name) \(kind ?? "-")")
                if fast != nil { matched += 1 }
            }
        }
        #expect(matched > 1000)
        // Non-ASCII names take the general path.
        #expect(c.lookup("ocsp.digicert.com\u{0130}") == c.lookupGeneral("ocsp.digicert.com\u{0130}"))
    }
}
