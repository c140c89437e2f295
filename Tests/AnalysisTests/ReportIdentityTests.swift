@testable import Analysis
@testable import Findings
@testable import Pipeline
import Crypto
import Foundation
@testable import Report
import Testing

/// The pieces behind capture fingerprints, salted key hashes and capture durations in headers.
@Suite struct ReportIdentityTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (String(repeating: "a", count: 1000), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
    ])
    func sha256MatchesTheStandardVectors(input: String, digest: String) {
        #expect(SHA256.hex(SHA256.hash(data: Array(input.utf8)), count: 32) == digest)
    }

    @Test func capturesHaveStableDistinctFingerprints() throws {
        func report(_ paths: [String]) throws -> AnalysisReport {
            try CaptureAnalyzer(options: AnalysisOptions()).analyze(paths: paths.map { TestPaths.fixtures.appendingPathComponent($0).path })
        }
        let errors = try report(["errors.pcap"])
        let again = try report(["errors.pcap"])
        let inline = try report(["inline.pcap"])
        let fingerprint = try #require(errors.capture.fingerprint)
        #expect(fingerprint.count == 32)
        #expect(again.capture.fingerprint == fingerprint)
        #expect(inline.capture.fingerprint != fingerprint)
        #expect(try report(["errors.pcap", "inline.pcap"]).capture.fingerprint != fingerprint)
    }
}

/// `ReportMerger` counts a capture given twice once (100 copies of one report made 18 M commands/s).
@Suite struct ReportMergerIdentityTests {
    static func document(_ name: String, label: String? = nil) throws -> ReportDocument {
        let report = try CaptureAnalyzer(options: AnalysisOptions()).analyze(paths: [TestPaths.fixtures.appendingPathComponent(name).path])
        return try ReportDocument(report: report, label: label)
    }

    @Test func aHundredCopiesOfOneReportAreThatReport() throws {
        let one = try Self.document("pipelined.pcap")
        let single = try ReportMerger().merge([one])
        let copies = try (0..<100).map { _ in try Self.document("pipelined.pcap", label: "copy.json") }
        let merged = try ReportMerger().merge(copies)
        #expect(merged.totals.commands == single.totals.commands)
        #expect(merged.totals.commandsPerSecond == single.totals.commandsPerSecond)
        #expect(merged.findings.map(\.id) == single.findings.map(\.id))
        #expect(merged.capture.fingerprint == one.report.capture.fingerprint)
        #expect(ReportMerger.duplicates(copies).count == 99)
        #expect(merged.warnings.filter { $0.contains("copy.json is given more than once") }.count == 99)
    }

    @Test func redactionIdentifiersMustAgree() throws {
        func redacted(_ id: String?) throws -> ReportDocument {
            var report = try Self.document("errors.pcap").report
            report.capture.keyRedaction = id
            report.capture.fingerprint = id ?? "none"
            return try ReportDocument(report: report, label: id ?? "old.json")
        }
        #expect(ReportMerger.redactionConflict([try redacted("salt:abc"), try redacted("salt:abc")]) == nil)
        #expect(ReportMerger.redactionConflict([try redacted("per-run:1"), try redacted("per-run:1")]) == nil)
        #expect(ReportMerger.redactionConflict([try redacted("salt:abc"), try redacted("salt:def")]) != nil)
        #expect(ReportMerger.redactionConflict([try redacted("per-run:1"), try redacted("per-run:2")]) != nil)
        #expect(ReportMerger.redactionConflict([try redacted("salt:abc"), try redacted(nil)]) == nil,
                "a report without hashed keys is not a conflict")
    }
}
