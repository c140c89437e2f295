import Foundation

/// Paths of the repository's fixtures and golden reports, found from this file (external captures:
/// `ExternalCaptureLocation`).
enum TestPaths {
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repositoryRoot.appendingPathComponent("fixtures")
    static let reports = repositoryRoot.appendingPathComponent("reports")
    /// The framework captures (`fixtures/corpus/`, see its README).
    static let corpus = fixtures.appendingPathComponent("corpus")

    /// Names of the fixtures that have a capture and a truth file (`fixtures/NAME.pcap` + `NAME.truth.json`).
    static func fixtureNames() -> [String] {
        captureNames(in: fixtures)
    }

    /// Names of the framework captures (`fixtures/corpus/NAME.pcap` + `NAME.truth.json`).
    static func corpusNames() -> [String] {
        captureNames(in: corpus)
    }

    private static func captureNames(in directory: URL) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".truth.json") }
            .map { String($0.dropLast(".truth.json".count)) }
            .filter { files.contains($0 + ".pcap") }
            .sorted()
    }
}
