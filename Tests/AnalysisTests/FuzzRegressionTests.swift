import Analysis
import Findings
import Pipeline
import Capture
import Foundation
import Report
import Testing

/// Replays `Fuzz/crashers/pcap/*` (capture files that once crashed or hung `fuzz-pcap`) through the whole pipeline
/// and both renderers: each must give a report or a `CaptureError`, never a crash.
struct FuzzRegressionTests {
    static let directory = TestPaths.repositoryRoot.appendingPathComponent("Fuzz/crashers/pcap")

    static func inputs() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test(arguments: inputs())
    func replay(name: String) throws {
        let path = Self.directory.appendingPathComponent(name).path
        let report: AnalysisReport
        do {
            report = try CaptureAnalyzer(options: AnalysisOptions()).analyze(paths: [path])
        } catch {
            #expect(!error.message.isEmpty)
            return
        }
        #expect(!MarkdownReportRenderer.render(report).isEmpty)
        #expect(try !JSONReportRenderer.render(report).isEmpty)
    }
}
