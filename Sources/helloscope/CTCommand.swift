import ArgumentParser
import CTIndex
import PKIParsing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `helloscope ct-index load|query`: the Certificate Transparency correlation index on its own.
struct CTIndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ct-index",
        abstract: "Load CT exports and certificates into the correlation index, or look a serial up.",
        discussion: """
            Inputs: crt.sh JSON, RFC 6962 get-entries / get-entry-and-proof, certstream messages, Censys \
            certificate JSON, PEM / DER certificates and bundles, and directories of them (detected by content). \
            See docs/ct-correlation.md.
            """,
        subcommands: [Load.self, Query.self]
    )

    struct Sources: ParsableArguments {
        @Argument(help: "CT exports, certificate files or directories.")
        var paths: [String]

        @Option(name: .customLong("ct-format"),
                help: "Input format: \(CTSourceFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
        var format: String = "auto"

        func validate() throws {
            guard CTSourceFormat(rawValue: format) != nil else {
                throw ValidationError("unknown --ct-format '\(format)'")
            }
        }

        /// Loads every path; problems go to standard error. Returns the stats per path.
        func load(into index: inout CTIndex, quiet: Bool) throws -> [CTLoadStats] {
            let fmt = CTSourceFormat(rawValue: format) ?? .auto
            var all: [CTLoadStats] = []
            var failed = false
            for p in paths {
                do {
                    all.append(try index.load(path: p, format: fmt))
                } catch {
                    Terminal.error("helloscope: \(error)")
                    failed = true
                }
            }
            if !quiet {
                for s in all {
                    for problem in s.problems { Terminal.error("helloscope: skipped \(problem)") }
                }
            }
            if failed { throw ExitCode(2) }
            return all
        }
    }

    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load inputs and print load statistics (entries, skipped records, rate, memory).")

        @OptionGroup var sources: Sources

        func run() throws {
            var index = CTIndex()
            let stats = try sources.load(into: &index, quiet: false)
            var totalSeconds = 0.0
            var totalEntries = 0
            for s in stats {
                totalSeconds += s.seconds
                totalEntries += s.entries
                var line = "\(s.path): format \(s.format), \(s.entries) entries"
                if s.files > 1 { line += " from \(s.files) files" }
                line += ", \(s.malformed) malformed, \(s.oversized) oversized, \(s.ignored) ignored"
                line += ", \(s.bytes) bytes in \(String(format3(s.seconds))) s"
                if s.seconds > 0 { line += " (\(Int(s.entriesPerSecond)) entries/s)" }
                Terminal.out(line + "\n")
            }
            let rate = totalSeconds > 0 ? Int(Double(totalEntries) / totalSeconds) : 0
            Terminal.out("""
                total: \(index.count) entries, \(index.distinctSerials) distinct serials, \
                \(index.knownIssuerCount) issuer certificates, \(rate) entries/s
                memory: index tables \(index.approximateMemoryBytes / 1_048_576) MiB, \
                resident \(ProcessMemory.residentKiB() / 1024) MiB, peak \(ProcessMemory.peakKiB() / 1024) MiB

                """)
        }
    }

    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Look a serial (and optionally issuer hashes) up and print the match as JSON.")

        @Option(help: "Certificate serial in hex (any spelling: leading 00, case, colons) or decimal with 'd:' prefix.")
        var serial: String?

        @Option(help: "File of serials, one per line (same spellings as --serial): one JSON line per serial, and the lookup count, hits and cost on standard error.")
        var serialsFile: String?

        @Option(help: "OCSP CertID issuerNameHash (hex).")
        var issuerNameHash: String?

        @Option(help: "OCSP CertID issuerKeyHash (hex).")
        var issuerKeyHash: String?

        @Option(help: "Hash algorithm of the issuer hashes: sha1 or sha256 (default: from the hash length).")
        var hashAlgorithm: String?

        @Option(name: .customLong("issuer"), help: "Issuer certificate candidate (PEM or DER); repeatable.")
        var issuers: [String] = []

        @OptionGroup var sources: Sources

        func validate() throws {
            guard (serial == nil) != (serialsFile == nil) else {
                throw ValidationError("give exactly one of --serial and --serials-file")
            }
        }

        static func parseSerial(_ text: String) -> SerialNumber? {
            text.hasPrefix("d:") ? SerialNumber(decimal: String(text.dropFirst(2))) : SerialNumber(hex: text)
        }

        func run() throws {
            var index = CTIndex()
            _ = try sources.load(into: &index, quiet: true)
            func hex(_ h: String?, _ name: String) throws -> [UInt8]? {
                guard let h else { return nil }
                guard let b = PKIHex.decode(h), !b.isEmpty else { throw ValidationError("\(name) is not hex") }
                return b
            }
            var alg: PKIDigest.Algorithm? = nil
            if let a = hashAlgorithm {
                guard let v = PKIDigest.Algorithm(rawValue: a.lowercased()), v == .sha1 || v == .sha256 else {
                    throw ValidationError("--hash-algorithm must be sha1 or sha256")
                }
                alg = v
            }
            var candidates: [X509Certificate] = []
            for path in issuers {
                guard let f = fopen(path, "rb") else { throw ValidationError("cannot read \(path)") }
                var bytes: [UInt8] = []
                var buf = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = fread(&buf, 1, buf.count, f)
                    if n <= 0 { break }
                    bytes += buf[0..<n]
                }
                fclose(f)
                do { candidates.append(try X509Certificate(derOrPEM: bytes)) } catch {
                    throw ValidationError("\(path): \(error)")
                }
            }
            let nameHash = try hex(issuerNameHash, "--issuer-name-hash")
            let keyHash = try hex(issuerKeyHash, "--issuer-key-hash")
            if let serialsFile {
                guard let f = fopen(serialsFile, "r") else { throw ValidationError("cannot read \(serialsFile)") }
                var serials: [SerialNumber] = []
                var line = [CChar](repeating: 0, count: 4096)
                while fgets(&line, Int32(line.count), f) != nil {
                    let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                        .filter { !$0.isWhitespace }
                    if let s = Query.parseSerial(text) { serials.append(s) }
                }
                fclose(f)
                var matches: [CTMatch?] = []
                matches.reserveCapacity(serials.count)
                var ts0 = timespec()
                clock_gettime(CLOCK_MONOTONIC, &ts0)
                for s in serials {
                    matches.append(index.lookup(serial: s, issuerNameHash: nameHash, issuerKeyHash: keyHash,
                                                hashAlgorithm: alg, issuerCandidates: candidates))
                }
                var ts1 = timespec()
                clock_gettime(CLOCK_MONOTONIC, &ts1)
                let seconds = Double(ts1.tv_sec - ts0.tv_sec) + Double(ts1.tv_nsec - ts0.tv_nsec) / 1e9
                var out = ""
                for (s, m) in zip(serials, matches) {
                    out += (m?.json ?? "{\"serial\":\"\(s.hex)\",\"match\":null}") + "\n"
                }
                Terminal.out(out)
                let hits = matches.filter { $0 != nil }.count
                let perLookup = serials.isEmpty ? 0 : seconds / Double(serials.count) * 1e9
                Terminal.error("""
                    \(serials.count) lookups, \(hits) found, \(Int(perLookup)) ns per lookup \
                    (building the match included)
                    """)
                return
            }
            guard let serial, let s = Query.parseSerial(serial) else {
                throw ValidationError("--serial is not a hex serial")
            }
            let match = index.lookup(serial: s, issuerNameHash: nameHash, issuerKeyHash: keyHash, hashAlgorithm: alg,
                                     issuerCandidates: candidates)
            Terminal.out((match?.json ?? "{\"serial\":\"\(s.hex)\",\"match\":null}") + "\n")
            if match == nil { throw ExitCode(1) }
        }
    }
}

private func format3(_ v: Double) -> String {
    let ms = Int((v * 1000).rounded())
    let frac = String(ms % 1000)
    return "\(ms / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
}

/// Resident and peak memory of this process (Linux `/proc/self/status`; 0 elsewhere).
enum ProcessMemory {
    static func field(_ name: String) -> Int {
        guard let f = fopen("/proc/self/status", "r") else { return 0 }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let s = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if s.hasPrefix(name + ":") {
                return Int(s.dropFirst(name.count + 1).filter { $0.isNumber }) ?? 0
            }
        }
        return 0
    }
    static func residentKiB() -> Int { field("VmRSS") }
    static func peakKiB() -> Int { field("VmHWM") }
}
