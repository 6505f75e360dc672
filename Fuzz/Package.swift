// swift-tools-version:6.1
// libFuzzer targets for helloscope's parsers: one executable per entry point, each a thin harness over the main
// package's libraries. A separate package, so the main build and its CI never compile these.
//
// Build and run through scripts/fuzz.sh, which passes
//   -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing
// (see docs/robustness.md). Without those flags the targets do not link: libFuzzer provides the driver.
import PackageDescription

let kit: Target.Dependency = .product(name: "HelloscopeKit", package: "helloscope")

/// Fuzz entry points, and the part of the code each one drives.
let targets = [
    "FuzzPcap",         // CaptureReader on classic pcap (in-memory and streamed; both must agree)
    "FuzzPcapNG",       // CaptureReader on pcapng (in-memory and streamed; both must agree)
    "FuzzDecode",       // PacketDecoder + TCPReassembler + TLSStreamParser on a sequence of raw packets
    "FuzzTLSStream",    // TLSStreamParser records/handshakes in chunks, hellos parsed and fingerprinted
    "FuzzHello",        // ClientHello / ServerHello / SSLv2 bodies, every accessor, JA3 / JA3S / JA4
    "FuzzHTTP",         // HTTPStreamParser (requests and responses, in chunks)
    "FuzzOCSP",         // OCSPRequest / OCSPResponse / CertificateStatus DER
    "FuzzX509",         // X509Certificate / CertificateList / PKIDocument (DER and PEM)
    "FuzzPKIText",      // OCSP GET paths, serial number spellings
    "FuzzUDP",          // UDPHandshakeExtractor (QUIC Initials, DTLS), plus harness-encrypted QUIC Initials
    "FuzzPipeline",     // CaptureAnalyzer on a whole capture, events as JSON, packet strings as the terminal shows them
]

let package = Package(
    name: "helloscope-fuzz",
    dependencies: [.package(name: "helloscope", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [kit], swiftSettings: [.swiftLanguageMode(.v6)]),
        // The CT export readers are not in the HelloscopeKit product: their sources are compiled here again
        // (Sources/CTIndexUnderFuzz is a link to ../Sources/CTIndex) as a module of this package.
        .target(name: "CTIndexUnderFuzz", dependencies: [kit], swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "FuzzCTIndex", dependencies: ["FuzzSupport", "CTIndexUnderFuzz"],
                          swiftSettings: [.swiftLanguageMode(.v6)]),
    ] + targets.map {
        .executableTarget(name: $0, dependencies: ["FuzzSupport", kit], swiftSettings: [.swiftLanguageMode(.v6)])
    }
)
