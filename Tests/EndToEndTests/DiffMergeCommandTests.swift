import Foundation
import Testing

/// `respcap diff` and `respcap merge` run as a user would: outputs, messages and exit codes.
@Suite struct DiffMergeCommandTests {
    static func run(_ arguments: [String]) throws -> EndToEndTests.Result { try EndToEndTests.run(arguments) }

    /// A scratch directory with JSON reports of two fixtures, made by `respcap analyze --format json`.
    struct Reports {
        let directory: URL
        var unpipelined: String { directory.appendingPathComponent("unpipelined.json").path }
        var pipelined: String { directory.appendingPathComponent("pipelined.json").path }

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-e2e-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for name in ["unpipelined", "pipelined"] {
                let r = try DiffMergeCommandTests.run(["analyze", "--format", "json", "-o", directory.appendingPathComponent(name + ".json").path,
                                                       "fixtures/\(name).pcap"])
                #expect(r.status == 0, "\(r.stderr)")
            }
        }

        func file(_ name: String, _ text: String) throws -> String {
            let url = directory.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    @Test func diffOfTwoCapturesIsTheCommittedReport() throws {
        let r = try Self.run(["diff", "fixtures/unpipelined.pcap", "fixtures/pipelined.pcap"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        let golden = try String(contentsOf: EndToEndTests.root.appendingPathComponent("reports/diff-unpipelined-vs-pipelined.md"), encoding: .utf8)
        #expect(r.stdout == golden)
    }

    @Test func diffReadsJSONReportsAndCapturesAlike() throws {
        let reports = try Reports()
        defer { reports.remove() }
        let fromCaptures = try Self.run(["diff", "fixtures/unpipelined.pcap", "fixtures/pipelined.pcap"])
        let fromReports = try Self.run(["diff", reports.unpipelined, reports.pipelined])
        #expect(fromReports.status == 0, "\(fromReports.stderr)")
        // Same figures; only the labels (file names) differ.
        let body = { (s: String) in s.split(separator: "\n").drop { !$0.hasPrefix("## Biggest changes") }.joined(separator: "\n") }
        #expect(body(fromReports.stdout) == body(fromCaptures.stdout))
        let mixed = try Self.run(["diff", reports.unpipelined, "fixtures/pipelined.pcap"])
        #expect(mixed.status == 0 && body(mixed.stdout) == body(fromCaptures.stdout))
    }

    @Test func diffOfAReportWithItselfSaysNoChanges() throws {
        let reports = try Reports()
        defer { reports.remove() }
        let r = try Self.run(["diff", reports.unpipelined, reports.unpipelined])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("No changes: every figure and finding is the same in both reports."))
    }

    @Test func diffAsJSON() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-diff-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try Self.run(["diff", "--format", "json", "-o", out.path, "fixtures/unpipelined.pcap", "fixtures/pipelined.pcap"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
        #expect(json["schema"] as? String == "respcap.diff/1")
        #expect(json["unchanged"] as? Bool == false)
        let headlines = try #require(json["headlines"] as? [[String: Any]])
        #expect(headlines.first?["finding"] as? String == "unpipelined-round-trips")
    }

    @Test func mergeAddsReports() throws {
        let reports = try Reports()
        defer { reports.remove() }
        let r = try Self.run(["merge", "--format", "json", reports.unpipelined, reports.pipelined])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["schema"] as? String == "respcap.report/1")
        let totals = try #require(json["totals"] as? [String: Any])
        #expect(totals["commands"] as? Int == 2102 + 6516)
        let warnings = try #require(json["warnings"] as? [String])
        #expect(warnings.first?.hasPrefix("merged from 2 reports") == true)
        let markdown = try Self.run(["merge", reports.unpipelined, reports.pipelined])
        #expect(markdown.status == 0)
        #expect(markdown.stdout.hasPrefix("# respcap report — unpipelined.pcap, pipelined.pcap"))
        #expect(markdown.stdout.contains("8,618 commands"))
        // A merged report merges again, and is diffed like any report.
        let merged = try reports.file("merged.json", r.stdout)
        let again = try Self.run(["diff", merged, merged])
        #expect(again.status == 0 && again.stdout.contains("No changes"))
    }

    @Test func badJSONIsAClearErrorWithExitCode2() throws {
        let reports = try Reports()
        defer { reports.remove() }
        let broken = try reports.file("broken.json", "{ \"schema\": \"respcap.report/1\", ")
        let r = try Self.run(["merge", reports.unpipelined, broken])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("respcap: error: \(broken): not valid JSON"), "\(r.stderr)")

        let other = try reports.file("other.json", "{\"name\": \"something else\"}")
        let d = try Self.run(["diff", reports.unpipelined, other])
        #expect(d.status == 2)
        #expect(d.stderr.contains("\(other): not a respcap report: no \"schema\" field"), "\(d.stderr)")

        let diffDocument = try Self.run(["diff", "--format", "json", reports.unpipelined, reports.pipelined])
        let diffFile = try reports.file("diff.json", diffDocument.stdout)
        let m = try Self.run(["merge", diffFile])
        #expect(m.status == 2)
        #expect(m.stderr.contains("a diff cannot be compared or merged"), "\(m.stderr)")
    }

    @Test func mergeWithRedactKeysRefusesReportsWithPlainKeys() throws {
        let reports = try Reports()
        defer { reports.remove() }
        let r = try Self.run(["merge", "--redact-keys", reports.unpipelined])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("keys are not hashed"), "\(r.stderr)")
        let fromCapture = try Self.run(["merge", "--redact-keys", "fixtures/unpipelined.pcap"])
        #expect(fromCapture.status == 0)
        #expect(!fromCapture.stdout.contains("`mylist`") && fromCapture.stdout.contains("key#"))
    }

    @Test func missingOrUnusableInputsExitWith2() throws {
        let missing = try Self.run(["diff", "fixtures/nope.pcap", "fixtures/pipelined.pcap"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("fixtures/nope.pcap"), "\(missing.stderr)")
        let notACapture = try Self.run(["merge", "README.md"])
        #expect(notACapture.status == 2)
        #expect(notACapture.stderr.contains("not a JSON report"), "\(notACapture.stderr)")
    }

    @Test func usageErrorsExitWith64() throws {
        #expect(try Self.run(["merge"]).status == 64)
        #expect(try Self.run(["diff", "fixtures/unpipelined.pcap"]).status == 64)
        #expect(try Self.run(["diff", "--format", "ndjson", "fixtures/unpipelined.pcap", "fixtures/pipelined.pcap"]).status == 64)
    }

    @Test func helpShowsExamples() throws {
        for command in ["diff", "merge"] {
            let r = try Self.run([command, "--help"])
            #expect(r.status == 0)
            #expect(r.stdout.contains("Examples:"))
            #expect(r.stdout.contains("respcap \(command) "))
        }
    }
}
