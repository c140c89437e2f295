import Analysis
import Foundation
import Testing
@testable import Report

/// `respcap diff` compares what the costliest keys took: share of all server time, calls and bytes per second.
@Suite struct KeyCostDiffTests {
    @Test func costliestKeysAreComparedFromBothReports() throws {
        let before = try DiffMergeTests.analyze("unpipelined"), after = try DiffMergeTests.analyze("pipelined")
        let diff = ReportDiff(before: try DiffMergeTests.document(before), after: try DiffMergeTests.document(after))
        let metrics = Dictionary(uniqueKeysWithValues: diff.metrics("keys").map { ($0.id, $0) })
        let kb = try #require(before.keys), ka = try #require(after.keys)
        // The costliest key after leads the comparison; its figures are each report's own.
        let top = try #require(ka.topKeysByServerTime?.first)
        let first = try #require(diff.metrics("keys").first { $0.id.hasSuffix(".serverTimeShare") })
        #expect(first.id == "keys.\(top.key).serverTimeShare")
        #expect(first.after == Double(top.serverMicros ?? -1) / Double(ka.serverMicros ?? -1))
        let b = try #require(kb.topKeysByServerTime?.first { $0.key == top.key })
        #expect(first.before == Double(b.serverMicros ?? -1) / Double(kb.serverMicros ?? -1))
        #expect(metrics["keys.\(top.key).perSecond"]?.before == Double(b.calls) / before.capture.durationSeconds)
        #expect(metrics["keys.\(top.key).perSecond"]?.after == Double(top.calls) / after.capture.durationSeconds)
        #expect(metrics["keys.\(top.key).bytesPerSecond"]?.after == Double(top.bytes) / after.capture.durationSeconds)
        #expect(metrics["keys.keyedPerSecond"]?.before == Double(kb.commandsWithKeys) / before.capture.durationSeconds)
        #expect(diff.metrics("keys").count == 2 + 3 * KeysSection.comparedKeys)
        // A key one side never named is 0 there (every tracked key is ranked), not missing.
        let beforeKeys = Set((kb.topKeysByServerTime ?? []).map(\.key))
        if let onlyAfter = diff.metrics("keys").first(where: { m in
            m.id.hasSuffix(".perSecond") && m.id != "keys.keyedPerSecond"
                && !beforeKeys.contains(String(m.id.dropFirst(5).dropLast(10)))
        }) {
            #expect(onlyAfter.before == 0)
        }
        #expect(MarkdownDiffRenderer.render(diff).contains("## Keys"))
    }

    @Test func aReportComparedWithItselfShowsNoKeyChange() throws {
        let report = try DiffMergeTests.analyze("mixed")
        let document = try DiffMergeTests.document(report)
        let diff = ReportDiff(before: document, after: document)
        #expect(!diff.metrics("keys").isEmpty)
        #expect(diff.metrics("keys").allSatisfy { !$0.changed })
    }
}
