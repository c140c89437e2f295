import Analysis
import Findings
import Pipeline
import Foundation
import Report
import Testing

/// reports/NAME.md and reports/NAME.json are the Markdown and JSON reports of fixtures/NAME.pcap (the JSON is a
/// contract: its field names must not change). A difference fails the test; run with RESPCAP_RECORD=1 to rewrite
/// them after an intended change (then review the diff).
@Suite struct GoldenReportTests {
    static let record = ProcessInfo.processInfo.environment["RESPCAP_RECORD"] == "1"

    static func report(_ name: String) throws -> AnalysisReport {
        let truth = try FixtureTruth.load(name)
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(truth.port)]
        // Relative path, so the report does not depend on where the repository is checked out.
        let fixture = TestPaths.fixtures.appendingPathComponent(name + ".pcap").path
        var report = try CaptureAnalyzer(options: options).analyze(paths: [fixture])
        report.capture.files = ["fixtures/\(name).pcap"]
        return report
    }

    static func check(_ text: String, against file: String) throws {
        let golden = TestPaths.reports.appendingPathComponent(file)
        if record {
            try FileManager.default.createDirectory(at: TestPaths.reports, withIntermediateDirectories: true)
            try text.write(to: golden, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(text == expected, "reports/\(file) is stale: regenerate with RESPCAP_RECORD=1 swift test --filter GoldenReportTests")
    }

    @Test(arguments: TestPaths.fixtureNames())
    func reportIsCurrent(name: String) throws {
        try Self.check(MarkdownReportRenderer.render(try Self.report(name)), against: name + ".md")
    }

    @Test(arguments: TestPaths.fixtureNames())
    func jsonReportIsCurrent(name: String) throws {
        try Self.check(try JSONReportRenderer.render(try Self.report(name)), against: name + ".json")
    }
}
