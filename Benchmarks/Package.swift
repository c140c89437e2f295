// swift-tools-version: 6.1
import PackageDescription

// Micro-benchmarks for the RESP decoder and TCP reassembly, with malloc counts. Outside the test build:
//   swift build -c release --package-path Benchmarks -Xswiftc -enforce-exclusivity=unchecked
//   Benchmarks/.build/release/respcap-microbench --markdown
// (the flag matches the root package's release settings, which SwiftPM drops for a dependency.)
let package = Package(
    name: "respcap-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "respcap", path: "..")],
    targets: [
        // Counts this process's heap allocations per thread (malloc & co. interposed, forwarded to glibc).
        .target(name: "MallocCount"),
        .executableTarget(
            name: "respcap-microbench",
            dependencies: [
                "MallocCount",
                .product(name: "RespcapLibraries", package: "respcap"),
            ]
        ),
    ]
)
