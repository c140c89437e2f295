// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for respcap, kept out of the main package so `swift build` / `swift test` there stay plain.
// Build (see run.sh):
//   swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// Each executable defines `<target>_main` itself and hands control to libFuzzer's driver
// (see FuzzSupport/FuzzDriver.swift for why).
let settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "respcap-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "respcap", path: ".."),
    ],
    targets: [
        .target(name: "FuzzSupport", swiftSettings: settings),
        // Bytes -> RESPDecoder (client and server side, whole and split) and ConnectionSession.
        .executableTarget(
            name: "fuzz-resp",
            dependencies: ["FuzzSupport", .product(name: "RespcapLibraries", package: "respcap")],
            swiftSettings: settings
        ),
        // Bytes -> one CapturedPacket per supported link type -> PacketDecoder.
        .executableTarget(
            name: "fuzz-packets",
            dependencies: ["FuzzSupport", .product(name: "RespcapLibraries", package: "respcap")],
            swiftSettings: settings
        ),
        // Bytes as a whole pcap/pcapng file -> CaptureAnalyzer (full pipeline) -> Markdown and JSON reports.
        .executableTarget(
            name: "fuzz-pcap",
            dependencies: ["FuzzSupport", .product(name: "RespcapLibraries", package: "respcap")],
            swiftSettings: settings
        ),
        // Bytes as a TLS connection -> TLSRecordParser (whole and split) and TLSConnectionDecryptor; as a key log.
        .executableTarget(
            name: "fuzz-tls",
            dependencies: ["FuzzSupport", .product(name: "RespcapLibraries", package: "respcap")],
            swiftSettings: settings
        ),
        // Bytes as command names, keys, client names, error codes and labels -> a capture and a crafted report ->
        // Markdown report and diff, whose structure must not change (MarkdownStructure).
        .executableTarget(
            name: "fuzz-markdown",
            dependencies: ["FuzzSupport", .product(name: "RespcapLibraries", package: "respcap")],
            swiftSettings: settings
        ),
    ]
)
