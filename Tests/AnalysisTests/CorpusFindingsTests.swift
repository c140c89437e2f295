import Analysis
import Findings
import Pipeline
import Foundation
import Testing

/// The findings on the framework corpus: a healthy capture raises no warning or critical finding, and an incident
/// raises each finding its label expects (and, beyond those, only findings its label tolerates or mere `info`).
/// Captures respcap still gets wrong are listed with the reason; a listed capture that starts passing fails the
/// test, so the list only shrinks.
@Suite struct CorpusFindingsTests {
    static let names = TestPaths.corpusNames()

    /// Captures whose expected findings are not raised yet, and why.
    static let missed: [String: String] = [:]

    /// Captures that raise a warning or critical finding their label neither expects nor tolerates, and why.
    static let falseAlarms: [String: String] = [:]

    static func alarms(_ report: AnalysisReport) -> [Finding] {
        report.findings.filter { $0.severity >= .warning }
    }

    @Test(arguments: names)
    func expectedFindingsAreRaised(name: String) throws {
        let truth = try CorpusTruth.load(name)
        let report = try CorpusReports.report(name)
        let raised = Set(report.findings.map(\.id))
        let check = {
            for id in truth.label.expect {
                #expect(raised.contains(id), "\(name) (\(truth.label.kind)): \(id) not raised; raised \(raised.sorted())")
            }
        }
        if let reason = Self.missed[name] {
            withKnownIssue(Comment(rawValue: reason), check)
        } else {
            check()
        }
    }

    @Test(arguments: names)
    func noAlarmBeyondTheLabel(name: String) throws {
        let truth = try CorpusTruth.load(name)
        let report = try CorpusReports.report(name)
        let allowed = Set(truth.label.expect + (truth.label.tolerate ?? []))
        let check = {
            for finding in Self.alarms(report) where !allowed.contains(finding.id) {
                Issue.record("\(name) (\(truth.label.kind)): \(finding.severity.rawValue) \(finding.id) — \(finding.title)")
            }
        }
        if let reason = Self.falseAlarms[name] {
            withKnownIssue(Comment(rawValue: reason), check)
        } else {
            check()
        }
    }

    @Test func healthyCapturesAreLabelledSo() throws {
        // The healthy captures are those with nothing to expect: the test above holds them to no alarm at all.
        for name in Self.names {
            let label = try CorpusTruth.load(name).label
            #expect(label.isHealthy == label.expect.isEmpty, "\(name)")
        }
    }
}
