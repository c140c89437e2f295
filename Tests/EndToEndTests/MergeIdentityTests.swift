import Foundation
import Testing

/// `merge` counts a capture given twice once, and merges hashed keys only when they were hashed alike
/// (`--redact-salt`); `analyze` reads a file named twice once.
@Suite struct MergeIdentityTests {
    typealias E2E = EndToEndTests

    static func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-identity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func analyze(_ arguments: [String], into path: String) throws {
        let r = try E2E.run(["analyze", "-q", "--format", "json", "-o", path] + arguments)
        #expect(r.status == 0, "\(r.stderr)")
    }

    static func totals(_ report: [String: Any]) -> [String: Any] { report["totals"] as? [String: Any] ?? [:] }
    static func capture(_ report: [String: Any]) -> [String: Any] { report["capture"] as? [String: Any] ?? [:] }

    @Test func mergingTheSameReportTwiceCountsItOnce() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let a = directory.appendingPathComponent("a.json").path, copy = directory.appendingPathComponent("copy.json").path
        try Self.analyze(["fixtures/errors.pcap"], into: a)
        try FileManager.default.copyItem(atPath: a, toPath: copy)
        let single = try Self.json(try E2E.run(["merge", "--format", "json", a]).stdout)

        for inputs in [[a, a], [a, copy], [a, copy, a, copy]] {
            let r = try E2E.run(["merge", "--format", "json"] + inputs)
            #expect(r.status == 0, "\(r.stderr)")
            let merged = try Self.json(r.stdout)
            #expect(Self.totals(merged)["commands"] as? Int == Self.totals(single)["commands"] as? Int)
            #expect(Self.totals(merged)["commandsPerSecond"] as? Double == Self.totals(single)["commandsPerSecond"] as? Double)
            #expect(Self.capture(merged)["packets"] as? Int == 32)
            #expect((merged["findings"] as? [Any])?.count == (single["findings"] as? [Any])?.count)
            #expect(r.stderr.contains("counted once"), "\(r.stderr)")
            let warnings = merged["warnings"] as? [String] ?? []
            #expect(warnings.filter { $0.contains("counted once") }.count == inputs.count - 1, "\(warnings)")
        }
    }

    @Test func reportsWithoutAFingerprintAreComparedByTheirCaptureSection() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let a = directory.appendingPathComponent("a.json").path
        try Self.analyze(["fixtures/errors.pcap"], into: a)
        var report = try Self.json(try String(contentsOfFile: a, encoding: .utf8))
        var capture = Self.capture(report)
        capture.removeValue(forKey: "fingerprint")
        report["capture"] = capture
        let old = directory.appendingPathComponent("old.json")
        try JSONSerialization.data(withJSONObject: report).write(to: old)
        let r = try E2E.run(["merge", "--format", "json", old.path, a])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.totals(try Self.json(r.stdout))["commands"] as? Int == 12)
        #expect(r.stderr.contains("identical capture sections"), "\(r.stderr)")
        // Different captures still add.
        let other = directory.appendingPathComponent("other.json").path
        try Self.analyze(["fixtures/inline.pcap"], into: other)
        let both = try E2E.run(["merge", "--format", "json", a, other])
        #expect(!both.stderr.contains("counted once"), "\(both.stderr)")
    }

    @Test func analyzeReadsAFileGivenTwiceOnce() throws {
        let once = try Self.json(try E2E.run(["analyze", "-q", "--format", "json", "fixtures/errors.pcap"]).stdout)
        let r = try E2E.run(["analyze", "--format", "json", "fixtures/errors.pcap", "fixtures/errors.pcap"])
        #expect(r.status == 0)
        let twice = try Self.json(r.stdout)
        #expect(Self.capture(twice)["packets"] as? Int == Self.capture(once)["packets"] as? Int)
        #expect(Self.capture(twice)["fingerprint"] as? String == Self.capture(once)["fingerprint"] as? String)
        #expect(r.stderr.contains("fixtures/errors.pcap is given more than once"), "\(r.stderr)")
    }

    @Test func aSharedSaltHashesKeysAlikeAndIsNeverWritten() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let salt = "s3cret-fleet-salt"
        let saltFile = directory.appendingPathComponent("salt")
        try (salt + "\n").write(to: saltFile, atomically: true, encoding: .utf8)
        let events = directory.appendingPathComponent("events.ndjson").path
        let first = try E2E.run(["analyze", "--format", "json", "--redact-salt", salt, "--events", events, "fixtures/mixed.pcap"])
        let second = try E2E.run(["analyze", "--format", "json", "--redact-salt-file", saltFile.path, "fixtures/mixed.pcap"])
        #expect(first.status == 0 && second.status == 0, "\(first.stderr) \(second.stderr)")
        let a = try Self.json(first.stdout), b = try Self.json(second.stdout)
        let keysA = try #require(a["keys"] as? [String: Any]), keysB = try #require(b["keys"] as? [String: Any])
        let topA = (keysA["topKeysByCalls"] as? [[String: Any]] ?? []).compactMap { $0["key"] as? String }
        let topB = (keysB["topKeysByCalls"] as? [[String: Any]] ?? []).compactMap { $0["key"] as? String }
        #expect(!topA.isEmpty && topA == topB)
        #expect(topA.allSatisfy { $0.hasPrefix("key#") })
        let id = try #require(Self.capture(a)["keyRedaction"] as? String)
        #expect(id.hasPrefix("salt:") && Self.capture(b)["keyRedaction"] as? String == id)
        let eventText = try String(contentsOfFile: events, encoding: .utf8)
        // The event stream hashes keys with the same seed as the report.
        #expect(topA.contains { eventText.contains($0) })
        for text in [first.stdout, first.stderr, second.stdout, second.stderr, eventText] { #expect(!text.contains(salt)) }

        let unsalted = try Self.json(try E2E.run(["analyze", "-q", "--format", "json", "--redact-keys", "fixtures/mixed.pcap"]).stdout)
        #expect((Self.capture(unsalted)["keyRedaction"] as? String)?.hasPrefix("per-run:") == true)
        #expect(Self.capture(try Self.json(try E2E.run(["analyze", "-q", "--format", "json", "fixtures/mixed.pcap"]).stdout))["keyRedaction"] == nil)
    }

    @Test func mergeRefusesKeysHashedWithDifferentSalts() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        try Self.analyze(["--redact-keys", "fixtures/mixed.pcap"], into: path("run1.json"))
        try Self.analyze(["--redact-keys", "fixtures/unpipelined.pcap"], into: path("run2.json"))
        try Self.analyze(["--redact-salt", "one", "fixtures/mixed.pcap"], into: path("one-a.json"))
        try Self.analyze(["--redact-salt", "one", "fixtures/unpipelined.pcap"], into: path("one-b.json"))
        try Self.analyze(["--redact-salt", "two", "fixtures/unpipelined.pcap"], into: path("two-b.json"))

        for pair in [["run1.json", "run2.json"], ["one-a.json", "two-b.json"], ["run1.json", "one-b.json"]] {
            let r = try E2E.run(["merge", path(pair[0]), path(pair[1])])
            #expect(r.status == 2, "\(pair): \(r.stderr)")
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.contains("hashed with different salts") && r.stderr.contains("--redact-salt"), "\(r.stderr)")
            #expect(!r.stderr.contains("one,") && !r.stderr.contains("\"two\""))
        }
        let same = try E2E.run(["merge", "--format", "json", path("one-a.json"), path("one-b.json")])
        #expect(same.status == 0, "\(same.stderr)")
        #expect((Self.capture(try Self.json(same.stdout))["keyRedaction"] as? String)?.hasPrefix("salt:") == true)
        // Captures analysed in the merge's own run share its seed.
        let oneRun = try E2E.run(["merge", "-q", "--redact-keys", "fixtures/mixed.pcap", "fixtures/unpipelined.pcap"])
        #expect(oneRun.status == 0, "\(oneRun.stderr)")
        // The same per-run report twice is one report.
        #expect(try E2E.run(["merge", path("run1.json"), path("run1.json")]).status == 0)
    }
}
