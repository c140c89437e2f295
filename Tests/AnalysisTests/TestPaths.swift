import Foundation

/// Paths of the repository's fixtures and golden reports, found from this file (external captures:
/// `ExternalCaptureLocation`).
enum TestPaths {
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repositoryRoot.appendingPathComponent("fixtures")
    static let reports = repositoryRoot.appendingPathComponent("reports")

    /// Names of the fixtures that have a capture and a truth file (`fixtures/NAME.pcap` + `NAME.truth.json`).
    static func fixtureNames() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []
        return files.filter { $0.hasSuffix(".truth.json") }
            .map { String($0.dropLast(".truth.json".count)) }
            .filter { files.contains($0 + ".pcap") }
            .sorted()
    }
}
