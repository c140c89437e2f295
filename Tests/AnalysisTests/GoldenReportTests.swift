import Analysis
import Foundation
import Report
import Testing

/// reports/NAME.md is the Markdown report of fixtures/NAME.pcap. A difference fails the test; run with
/// RESPCAP_RECORD=1 to rewrite them after an intended change (then review the diff).
@Suite struct GoldenReportTests {
    static let record = ProcessInfo.processInfo.environment["RESPCAP_RECORD"] == "1"

    @Test(arguments: TestPaths.fixtureNames())
    func reportIsCurrent(name: String) throws {
        let truth = try FixtureTruth.load(name)
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(truth.port)]
        // Relative path, so the report does not depend on where the repository is checked out.
        let fixture = TestPaths.fixtures.appendingPathComponent(name + ".pcap").path
        var report = try CaptureAnalyzer(options: options).analyze(paths: [fixture])
        report.capture.files = ["fixtures/\(name).pcap"]
        let markdown = MarkdownReportRenderer.render(report)
        let golden = TestPaths.reports.appendingPathComponent(name + ".md")
        if Self.record {
            try FileManager.default.createDirectory(at: TestPaths.reports, withIntermediateDirectories: true)
            try markdown.write(to: golden, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(markdown == expected, "reports/\(name).md is stale: regenerate with RESPCAP_RECORD=1 swift test --filter GoldenReportTests")
    }
}
