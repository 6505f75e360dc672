import Testing
@testable import Pipeline

/// How the first bytes of a TCP direction are classed as HTTP: every cut of every request method and of a status
/// line, and bytes that start like one and then differ.
@Suite struct HTTPDetectionTests {
    static func detect(_ text: String) -> HTTPDetection {
        Array(text.utf8).withUnsafeBytes { detectHTTP($0) }
    }

    @Test func everyCutOfAStartLine() {
        let requests = ["GET / HTTP/1.1", "POST /ocsp HTTP/1.1", "HEAD / HTTP/1.0", "PUT /x HTTP/1.1", "DELETE /x HTTP/1.1",
                        "OPTIONS * HTTP/1.1", "CONNECT a:443 HTTP/1.1", "PATCH /x HTTP/1.1", "TRACE / HTTP/1.1"]
        for line in requests {
            let method = line.prefix { $0 != " " }.count + 1
            for n in 1...line.utf8.count {
                let got = Self.detect(String(line.prefix(n)))
                #expect(got == (n >= method ? .request : .needMoreBytes), "\(line.prefix(n))")
            }
        }
        let status = "HTTP/1.1 200 OK"
        for n in 1...status.utf8.count {
            #expect(Self.detect(String(status.prefix(n))) == (n >= 7 ? .response : .needMoreBytes), "\(status.prefix(n))")
        }
    }

    @Test func bytesThatAreNotHTTP() {
        for text in ["\u{16}\u{03}\u{01}", "get / HTTP/1.1", "GETX", "HTTP/2 200", "PO ST", "X", "HTTPS", " GET /"] {
            #expect(Self.detect(text) == .notHTTP, "\(text)")
        }
        #expect(Self.detect("") == .needMoreBytes)
    }
}
