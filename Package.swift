// swift-tools-version:6.1
// helloscope — TLS ClientHello fingerprints and revocation behaviour from packet captures.
//
// Layers, imports pointing one way only (top depends on bottom):
//
//   helloscope (CLI)
//   Pipeline            — wires the layers, events, counters, output writers
//   Fingerprints        — JA3 / JA3S / JA4 from parsed hellos
//   TLSParsing  HTTPParsing  PKIParsing  QUICParsing   — protocol parsers
//   PacketDecoding      — link / IP / TCP / UDP decoding, tunnels, IP defragmentation, TCP reassembly
//   CaptureInput  CaptureLive — pcap / pcapng files (mmap or stream), live interfaces (libpcap)
//   CPcap  CCrypto      — system libraries (libpcap, libcrypto); CPrefetch — a cache hint for the reader;
//   CScan               — the JSON writer's scan for bytes to escape; Threads — POSIX threads for the worker pools;
//   CHeap               — the tool's C heap set-up (huge pages)
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "helloscope",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "helloscope", targets: ["helloscope"]),
        .library(name: "HelloscopeKit", targets: ["Pipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.3.0"),
    ],
    targets: [
        // MARK: - System libraries
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),

        // MARK: - Capture input
        // A cache prefetch hint for the capture reader (C: Swift has no prefetch intrinsic).
        .target(name: "CPrefetch"),
        .target(name: "CScan"),
        // The C heap's set-up for the tool (huge pages, no shrinking and growing again): Sources/CHeap/CHeap.c.
        .target(name: "CHeap"),
        // POSIX threads and a condition lock for the worker pools (Foundation's would link all of Foundation).
        .target(name: "Threads", swiftSettings: swiftSettings),
        .target(name: "CaptureInput", dependencies: ["CPrefetch"], swiftSettings: swiftSettings),
        .target(name: "CaptureLive", dependencies: ["CPcap", "CaptureInput"], swiftSettings: swiftSettings),

        // MARK: - Packet decoding and TCP reassembly
        .target(name: "PacketDecoding", dependencies: ["CaptureInput", "CPrefetch"], swiftSettings: swiftSettings),

        // MARK: - Protocol parsers
        .target(name: "TLSParsing", dependencies: ["CaptureInput"], swiftSettings: swiftSettings),
        .target(name: "HTTPParsing", swiftSettings: swiftSettings),
        .target(
            name: "PKIParsing",
            dependencies: [.product(name: "SwiftASN1", package: "swift-asn1"), "CCrypto"],
            swiftSettings: swiftSettings
        ),
        .target(name: "QUICParsing", dependencies: ["CCrypto", "CaptureInput"], swiftSettings: swiftSettings),
        .target(name: "CTIndex", dependencies: ["PKIParsing", "Threads"], swiftSettings: swiftSettings),

        // MARK: - Fingerprints
        .target(name: "Fingerprints", dependencies: ["TLSParsing", "CCrypto"], swiftSettings: swiftSettings),

        // MARK: - Pipeline and output
        .target(
            name: "Pipeline",
            dependencies: [
                "CaptureInput", "PacketDecoding", "TLSParsing", "HTTPParsing", "PKIParsing", "QUICParsing",
                "Fingerprints", "CScan", "Threads",
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: - Correlation
        .target(name: "Correlation", dependencies: ["Pipeline", "CTIndex", "PKIParsing"], swiftSettings: swiftSettings),

        // MARK: - Report
        .target(name: "Report", dependencies: ["CaptureInput", "Pipeline", "PKIParsing", "PacketDecoding"], swiftSettings: swiftSettings),

        // MARK: - Command-line tool
        .executableTarget(
            name: "helloscope",
            dependencies: [
                "Pipeline", "Correlation", "Report", "CaptureLive", "CTIndex", "CHeap",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: - Tests
        .target(name: "TestSupport", dependencies: ["CaptureInput"], path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "CaptureInputTests", dependencies: ["CaptureInput", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "PacketDecodingTests", dependencies: ["PacketDecoding", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "TLSParsingTests", dependencies: ["TLSParsing", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "FingerprintsTests", dependencies: ["Fingerprints", "TLSParsing", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "HTTPParsingTests", dependencies: ["HTTPParsing", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PKIParsingTests",
            dependencies: ["PKIParsing", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CTIndexTests",
            dependencies: ["CTIndex", "PKIParsing", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "QUICParsingTests", dependencies: ["QUICParsing", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Pipeline", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CorrelationTests", dependencies: ["Correlation", "CTIndex", "PacketDecoding", "Pipeline", "Report", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "LiveTests", dependencies: ["CaptureLive", "CaptureInput", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PipelineTests",
            dependencies: ["Pipeline", "TestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
