// swift-tools-version: 6.1
import PackageDescription

// Shared settings for every respcap target: Swift 6 language mode (strict concurrency) everywhere.
// Release builds refer to generic types' metadata through accessor calls instead of mangled names: a mangled name
// is demangled at run time the first time it is used, and each conformance its type needs (every `Codable` type's
// `CodingKeys`, for one) is then looked for by scanning all of the binary's conformance records. That was ~15 M
// instructions per run, most of them writing the JSON report, on the main thread after the analysis (the JSON
// report of a small capture: 90.7 M -> 74.0 M instructions, 30 ms -> 27 ms).
let settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"], .when(configuration: .release)),
]

// Hot-path layers (per packet, per segment, per command) in release builds: no runtime exclusivity checks.
// Those checks cost a thread-local access-set insert and removal on every access to a class's stored property
// (about a third of reassembly's instructions under callgrind); the compile-time checks stay on.
// Cross-module optimisation lets a layer's generic code be specialised where a layer above uses it: the RESP
// decoder's `feed` for the session's token handlers (otherwise a witness-table call per token), the reassembler for
// the stream stage. 250 MB command mix: 0.70 s -> 0.61 s.
let hotPathSettings: [SwiftSetting] = settings + [
    .unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization"], .when(configuration: .release)),
]

let package = Package(
    name: "respcap",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "respcap", targets: ["respcap"]),
        // The layers as libraries, for packages that build on them by path (Fuzz/, benchmarks).
        .library(name: "RespcapLibraries",
                 targets: ["Capture", "Packets", "TCPReassembly", "TLSDecryption", "RESP", "RedisSemantics", "Formatting",
                           "Analysis", "Findings", "Pipeline", "Report"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // AEAD, HKDF, HMAC and SHA-2 for TLS decryption and the capture fingerprint: no hand-written cryptography.
        // From 4.x it needs FoundationEssentials only: with nothing else importing Foundation, no run loads
        // Foundation and its ICU data (dynamic linking and the runtime's conformance scans at start-up: a small
        // capture's main thread 74.0 M -> 60.8 M instructions).
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // libpcap: live capture and BPF filters. The only importer is `Capture`.
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // Layer 1: capture files (pcap, pcapng) and live interfaces -> raw link-layer records.
        .target(name: "Capture", dependencies: ["CPcap"], swiftSettings: hotPathSettings),
        // Layer 2: link, IP and TCP headers -> TCP segments.
        .target(name: "Packets", dependencies: ["Capture"], swiftSettings: hotPathSettings),
        // Layer 3: TCP segments -> ordered byte chunks per half-connection, gaps marked.
        .target(name: "TCPReassembly", dependencies: ["Packets"], swiftSettings: hotPathSettings),
        // Layer 3½: TLS records over the reassembled streams -> plaintext application data, from a key log.
        .target(name: "TLSDecryption", dependencies: [.product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: hotPathSettings),
        // Layer 4: RESP2/RESP3 decoding; standard library only.
        .target(name: "RESP", swiftSettings: hotPathSettings),
        // Layer 5: command table, command naming, request <-> reply pairing.
        .target(name: "RedisSemantics", dependencies: ["RESP"], swiftSettings: hotPathSettings),
        // Numbers as reports and findings write them (one rounding everywhere); standard library only.
        .target(name: "Formatting", swiftSettings: settings),
        // Layer 6: the analyses over paired commands and connection events, and the report they write
        // (`AnalysisReport`, the JSON schema).
        .target(
            name: "Analysis",
            dependencies: [
                "Packets", "TCPReassembly", "RESP", "RedisSemantics", "CPrefetch",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["BuiltInAnalyses.txt"],
            swiftSettings: hotPathSettings,
            plugins: ["AnalysisCatalogPlugin"]
        ),
        // Layer 7: the finding rules and the capture-quality verdict, over a finished report.
        .target(name: "Findings", dependencies: ["Analysis", "Formatting"], swiftSettings: settings),
        // Layer 8: the pipeline: stream stage, analysis stage, the batches and threads between them, and the
        // drivers for files and live capture.
        .target(
            name: "Pipeline",
            dependencies: ["Capture", "Packets", "TCPReassembly", "TLSDecryption", "RESP", "RedisSemantics", "Analysis", "Findings",
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: hotPathSettings
        ),
        // Layer 9: Markdown / JSON renderers of reports, diff and merge.
        .target(name: "Report", dependencies: ["Analysis", "Findings", "Pipeline", "RedisSemantics", "Formatting",
                                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: settings),
        // A cache prefetch hint for the analyses' large tables, which Swift cannot express.
        .target(name: "CPrefetch"),
        // prctl and capset for `live`'s capture process, which Swift cannot call directly (variadic, or no wrapper).
        .target(name: "CPrivilege"),
        // Layer 10: the command line.
        .executableTarget(
            name: "respcap",
            dependencies: [
                "Capture", "Analysis", "Findings", "Pipeline", "Report", "RedisSemantics", "CPrivilege", "TLSDecryption",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: settings,
            plugins: ["BuildInfoPlugin"]
        ),
        // Generates BuildInfo.swift (git revision for `respcap --version`) on every build; "unknown" without git.
        .plugin(name: "BuildInfoPlugin", capability: .buildTool()),
        // Generates the built-in analyses' class from Sources/Analysis/BuiltInAnalyses.txt (one type a line).
        .plugin(name: "AnalysisCatalogPlugin", capability: .buildTool()),
        // Finds ../shared/external-captures (or RESPCAP_EXTERNAL_CAPTURES) for the tests that read them in place.
        .target(name: "ExternalCaptureLocation", path: "Tests/ExternalCaptureLocation"),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "ExternalCaptureLocation"], swiftSettings: settings),
        .testTarget(name: "PacketsTests", dependencies: ["Packets", "Capture"], swiftSettings: settings),
        .testTarget(name: "TCPReassemblyTests", dependencies: ["TCPReassembly", "Packets", "ExternalCaptureLocation"],
                    swiftSettings: settings),
        .testTarget(name: "RESPTests", dependencies: ["RESP"], swiftSettings: settings),
        .testTarget(name: "TLSDecryptionTests", dependencies: ["TLSDecryption", "ExternalCaptureLocation"],
                    swiftSettings: settings),
        .testTarget(name: "RedisSemanticsTests", dependencies: ["RedisSemantics", "RESP"], swiftSettings: settings),
        // Counts heap allocations per thread in the test process (interposes malloc; Linux only).
        .target(name: "MallocCounting", path: "Tests/MallocCounting"),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "Findings", "Pipeline", "Report", "Formatting", "Capture", "Packets", "MallocCounting",
                                                          "ExternalCaptureLocation", "TLSDecryption",
                                                          .product(name: "Histogram", package: "hdrhistogram-swift"),
                                                          .product(name: "Crypto", package: "swift-crypto")],
                    exclude: ["EXTERNAL-CAPTURES.md"], swiftSettings: settings),
        .testTarget(name: "EndToEndTests", dependencies: ["respcap"], swiftSettings: settings),
    ]
)
