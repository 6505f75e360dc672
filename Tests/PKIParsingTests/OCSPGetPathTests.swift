import Testing
import TestSupport
@testable import PKIParsing

/// `OCSPRequest.fromGETPath` works on the target's bytes. The reference below is the same algorithm written on
/// Swift strings (split on "/", candidates joined back with "/"), kept here to hold the two together on real
/// requests placed in many target shapes and on randomly mutated targets.
@Suite struct OCSPGetPathTests {
    static func reference(_ uri: String) -> OCSPRequest? {
        var path = Substring(uri)
        if let q = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<q] }
        if let colon = path.firstIndex(of: ":"), path[colon...].hasPrefix("://"),
            path[..<colon].allSatisfy({ $0.isLetter || $0 == "+" || $0 == "-" || $0 == "." })
        {
            let afterScheme = path[path.index(colon, offsetBy: 3)...]
            guard let slash = afterScheme.firstIndex(of: "/") else { return nil }
            path = afterScheme[slash...]
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        var tried = 0
        var end = segments.endIndex
        while end > segments.startIndex, segments[end - 1].isEmpty { end -= 1 }
        var start = end - 1
        while start >= segments.startIndex, tried < OCSPRequest.maximumGETPathSegments {
            tried += 1
            let candidate = segments[start..<end].joined(separator: "/")
            if let der = OCSPRequest.decodeGETComponent(candidate), let request = try? OCSPRequest(derEncoded: der[...]) {
                return request
            }
            start -= 1
        }
        return nil
    }

    static func requests() throws -> [String] {
        var b64 = [base64(try Fixture.bytes("ocsp-req-nonce.der"))]
        // The Firefox request of the Zeek trace, unescaped.
        b64.append("MEkwRzBFMEMwQTAJBgUrDgMCGgUABBTy4Gr5hYodjXCbSRkjeqm1Gih+ZAQUSt0GFhu89mi1dvWBtrtiGrpagS8CCD1HRJb/lCMW")
        return b64
    }

    @Test func sameAsTheReferenceOnTargetShapes() throws {
        var found = 0
        for b64 in try Self.requests() {
            let escaped = b64.replacingPercent("+", with: "%2B").replacingPercent("/", with: "%2F").replacingPercent("=", with: "%3D")
            let urlSafe = b64.replacingPercent("+", with: "-").replacingPercent("/", with: "_")
            for body in [b64, escaped, urlSafe, b64.replacingPercent("=", with: "")] {
                for prefix in ["/", "/ocsp/", "/a/b/c/", "//", "http://ocsp.example/", "HTTP://h:80/x/", "git+ssh://h/", "http://h", "", "ocsp/", "a:b/"] {
                    for suffix in ["", "/", "//", "?x=1", "#f", "?a/b", "/?"] {
                        let uri = prefix + body + suffix
                        let mine = OCSPRequest.fromGETPath(uri)
                        #expect(mine == Self.reference(uri), "\(uri)")
                        if mine != nil { found += 1 }
                    }
                }
            }
        }
        #expect(found > 200, "\(found)")
    }

    @Test func sameAsTheReferenceOnMutatedTargets() throws {
        var rng = SeededGenerator(seed: 0x0c5b)
        let alphabet = Array("/?#:%=+-_.aZ09 ".utf8) + [0xc3, 0xa9]
        var found = 0
        for b64 in try Self.requests() {
            for _ in 0..<1500 {
                var bytes = Array(("/ocsp/" + b64).utf8)
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let i = Int.random(in: 0...bytes.count, using: &rng)
                    let c = alphabet.randomElement(using: &rng)!
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes.insert(c, at: i)
                    case 1: if i < bytes.count { bytes[i] = c }
                    default: if i < bytes.count { bytes.remove(at: i) }
                    }
                }
                let uri = String(decoding: bytes, as: UTF8.self)
                let mine = OCSPRequest.fromGETPath(uri)
                #expect(mine == Self.reference(uri), "\(uri)")
                if mine != nil { found += 1 }
            }
        }
        #expect(found > 100, "\(found)")
    }
}
