import Analysis
import Findings
import Pipeline
import ExternalCaptureLocation
import Foundation
import Testing

/// Captures published by Zeek, spicy-redis, Packetbeat, tcpdump and nDPI, analysed in place. The expectations
/// come from each project's own expected output (see EXTERNAL-CAPTURES.md), not from respcap.
@Suite(.enabled(if: ExternalCaptureLocation.testsEnabled, Comment(rawValue: ExternalCaptureLocation.skipReason)))
struct ExternalCaptureTests {
    static let available = ExternalCaptures.all.filter {
        FileManager.default.fileExists(atPath: path(of: $0))
    }

    static func path(of e: ExternalCaptureExpectation) -> String {
        ExternalCaptureLocation.path("\(e.directory)/\(e.file)")
    }

    @Test func sharedCapturesArePresent() {
        #expect(Self.available.count == ExternalCaptures.all.count, "\(ExternalCaptureLocation.directory.path) is incomplete")
    }

    @Test(arguments: available.map(\.directory))
    func matchesUpstream(directory: String) throws {
        let e = try #require(ExternalCaptures.all.first { $0.directory == directory })
        var options = AnalysisOptions()
        options.serverPorts = Set(e.ports)
        let report = try CaptureAnalyzer(options: options).analyze(paths: [Self.path(of: e)])
        let seen = Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.calls) })
        if let commands = e.commands { #expect(seen == commands, "\(directory): commands") }
        if let total = e.totalCommands { #expect(report.totals.commands == total, "\(directory): total commands") }
        if let errors = e.errorReplies { #expect(report.totals.errorReplies == errors, "\(directory): error replies") }
        if let prefixes = e.errorsByPrefix { #expect(report.errorsByPrefix == prefixes, "\(directory): errors by prefix") }
        if let pushes = e.pushes { #expect(report.pushes.total == pushes, "\(directory): pushes") }
        if let unpaired = e.unpairedReplies { #expect(report.quality.unpairedReplies == unpaired, "\(directory): unpaired replies") }
        if let connections = e.connections { #expect(report.connections.total == connections, "\(directory): connections") }
        #expect(report.quality.truncated == e.truncatedFile, "\(directory): truncation")
        if e.notRedis {
            #expect(report.quality.parseErrors > 0 || report.quality.notRedisConnections > 0 || (report.tls?.connections ?? 0) > 0,
                    "\(directory): traffic that is not Redis must show in capture quality")
        }
        if let total = e.totalCommands {
            let nothingReadable = total == 0 && e.pushes == 0 && e.unpairedReplies == 0
            #expect((report.quality.reason != nil) == nothingReadable, "\(directory): \(report.quality.verdict)")
            #expect(report.quality.verdict.hasPrefix("unusable: ") == nothingReadable, "\(directory): \(report.quality.verdict)")
        }
    }
}
