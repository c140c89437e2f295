import Foundation
@testable import respcap
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The mode of what respcap creates: per-command events (`--events`, NDJSON output) name every key a command touched,
/// so a new events file is for its owner only (0600); a new report follows the umask; a replaced file keeps its mode.
@Suite struct OutputFileModeTests {
    static func mode(_ path: String) -> mode_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o7777 : nil
    }

    static func write(_ text: String, to file: OutputFile?) throws {
        let file = try #require(file)
        try ReportOutput.write(text: text, to: file)
    }

    @Test func newEventsAreForTheOwnerOnlyAndTheReportFollowsTheUmask() throws {
        let directory = try OutputSafetyTests.directory("modes")
        defer { OutputSafetyTests.remove(directory) }
        let plan = try OutputPlan(report: directory + "/report.md", events: directory + "/events.ndjson", packets: nil,
                                  chartDirectory: nil, inputs: [])
        try Self.write("report\n", to: plan.report)
        try Self.write("{}\n", to: plan.events)
        try plan.commit()
        let mask = umask(0)
        umask(mask)
        #expect(Self.mode(directory + "/events.ndjson") == 0o600)
        #expect(Self.mode(directory + "/report.md") == 0o666 & ~mask)
    }

    @Test func newNDJSONOutputIsForTheOwnerOnly() throws {
        let directory = try OutputSafetyTests.directory("ndjson-mode")
        defer { OutputSafetyTests.remove(directory) }
        let common = try CommonOptions.parse(["--format", "ndjson", "-o", directory + "/events.ndjson"])
        let plan = try OutputPlan(common: common, inputs: [])
        #expect(plan.report == nil)
        try Self.write("{}\n", to: plan.events)
        try plan.commit()
        #expect(Self.mode(directory + "/events.ndjson") == 0o600)
    }

    @Test func replacedEventsKeepTheirMode() throws {
        let directory = try OutputSafetyTests.directory("events-kept-mode")
        defer { OutputSafetyTests.remove(directory) }
        let path = directory + "/events.ndjson"
        try "old\n".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(chmod(path, 0o644) == 0)
        let plan = try OutputPlan(report: nil, events: path, packets: nil, chartDirectory: nil, inputs: [])
        try Self.write("{}\n", to: plan.events)
        try plan.commit()
        #expect(Self.mode(path) == 0o644)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{}\n")
    }
}
