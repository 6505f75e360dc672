import Testing
import Foundation
import Pipeline
import TestSupport

/// tshark, when installed (`make test` installs it): its JA3/JA3S for every hello must equal helloscope's.
enum Tshark {
    static let path: String? = ["/usr/bin/tshark", "/usr/local/bin/tshark"].first { FileManager.default.isExecutableFile(atPath: $0) }

    struct Hello: Hashable {
        var frame: Int
        var isClient: Bool
        var string: String
        var hash: String
    }

    /// Every ClientHello / ServerHello tshark dissects (TCP, decrypted QUIC Initials, DTLS), with its JA3(S). Frames carrying several hellos
    /// give one entry per hello.
    static func hellos(_ capture: String) throws -> [Hello] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path!)
        p.arguments = ["-r", capture, "-n", "-o", "tcp.reassemble_out_of_order:TRUE",
                       "-Y", "tls.handshake.type == 1 || tls.handshake.type == 2 || dtls.handshake.type == 1 || dtls.handshake.type == 2",
                       "-T", "fields", "-E", "separator=/t", "-E", "aggregator=|",
                       "-e", "frame.number", "-e", "tls.handshake.ja3_full", "-e", "tls.handshake.ja3",
                       "-e", "tls.handshake.ja3s_full", "-e", "tls.handshake.ja3s",
                       "-e", "dtls.handshake.ja3_full", "-e", "dtls.handshake.ja3",
                       "-e", "dtls.handshake.ja3s_full", "-e", "dtls.handshake.ja3s"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        var result: [Hello] = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 9, let frame = Int(f[0]) else { continue }
            func split(_ s: String) -> [String] { s.isEmpty ? [] : s.split(separator: "|").map(String.init) }
            for (s, h) in zip(split(f[1]), split(f[2])) { result.append(Hello(frame: frame, isClient: true, string: s, hash: h)) }
            for (s, h) in zip(split(f[3]), split(f[4])) { result.append(Hello(frame: frame, isClient: false, string: s, hash: h)) }
            for (s, h) in zip(split(f[5]), split(f[6])) { result.append(Hello(frame: frame, isClient: true, string: s, hash: h)) }
            for (s, h) in zip(split(f[7]), split(f[8])) { result.append(Hello(frame: frame, isClient: false, string: s, hash: h)) }
        }
        return result
    }

    static var captures: [String] {
        var out = Paths.files(under: Paths.packageRoot + "/captures", suffixes: [".pcap", ".pcapng"])
        if let corpus = Paths.corpus { out += Paths.files(under: corpus, suffixes: [".pcap", ".pcapng"]) }
        return out
    }
}

@Suite(.enabled(if: Tshark.path != nil, "tshark not installed (make test installs it)"))
struct TsharkDifferential {
    /// Each ClientHello's JA3 string and hash and each ServerHello's JA3S equal tshark's, hello for hello.
    @Test(arguments: Tshark.captures)
    func ja3AndJA3SEqualTshark(capture: String) throws {
        let theirs = try Tshark.hellos(capture)
        let events = try analyze(capture)
        var ours: [Tshark.Hello] = []
        for e in events.clientHellos {
            // tshark computes no JA3 for SSL 2.0-format hellos (docs/fingerprints.md).
            if let ja3 = e.ja3 { ours.append(.init(frame: e.context.frame, isClient: true, string: ja3.string, hash: ja3.hash)) }
        }
        for e in events.serverHellos {
            ours.append(.init(frame: e.context.frame, isClient: false, string: e.ja3s.string, hash: e.ja3s.hash))
        }
        let sort: (Tshark.Hello, Tshark.Hello) -> Bool = { ($0.frame, $0.isClient ? 0 : 1, $0.string) < ($1.frame, $1.isClient ? 0 : 1, $1.string) }
        #expect(ours.sorted(by: sort) == theirs.sorted(by: sort), "\(capture)")
    }
}
