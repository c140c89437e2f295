import Foundation
import Testing

/// Usage errors and inputs of the command line that are not about one subcommand's output.
@Suite struct CommandLineValidationTests {
    typealias E2E = EndToEndTests

    @Test(arguments: ["nan", "NaN", "inf", "-inf", "infinity", "-1", "-0.5"])
    func thresholdsMustBeFiniteAndNotNegative(value: String) throws {
        for command in [["analyze", "fixtures/errors.pcap"], ["merge", "fixtures/errors.pcap"]] {
            let r = try E2E.run([command[0], "--threshold", "errorRatePercent=\(value)", command[1]])
            #expect(r.status == 64, "\(value): \(r.stderr)")
            #expect(r.stderr.contains("--threshold errorRatePercent"), "\(r.stderr)")
        }
        #expect(try E2E.run(["analyze", "-q", "--threshold", "errorRatePercent=0", "fixtures/errors.pcap"]).status == 0)
    }

    @Test(arguments: [["live", "-i", "lo", "--duration", "0"], ["live", "-i", "lo", "--interval", "0"],
                      ["analyze", "--idle-timeout", "0", "fixtures/errors.pcap"]])
    func zeroDurationsSayZeroIsNotAllowed(arguments: [String]) throws {
        let r = try E2E.run(arguments)
        #expect(r.status == 64)
        #expect(r.stderr.contains("must be greater than 0 and at most"), "\(r.stderr)")
        #expect(!r.stderr.contains("between 0"))
    }

    @Test func diffReadsEitherSideFromStandardInput() throws {
        let report = try E2E.run(["analyze", "-q", "--format", "json", "fixtures/errors.pcap"]).stdout
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-stdin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("x.json").path
        try report.write(toFile: file, atomically: true, encoding: .utf8)
        for arguments in [["diff", "-", file], ["diff", file, "-"]] {
            let r = try E2E.run(arguments, stdin: Data(report.utf8))
            #expect(r.status == 0, "\(arguments): \(r.stderr)")
            #expect(r.stdout.contains("# respcap diff"), "\(r.stdout)")
        }
        // A capture on standard input still works, piped or not.
        let capture = try Data(contentsOf: URL(fileURLWithPath: "fixtures/errors.pcap", relativeTo: E2E.root))
        let piped = try E2E.run(["diff", "-q", "--format", "json", "-", file], stdin: capture)
        #expect(piped.status == 0, "\(piped.stderr)")
        let diff = try #require(try JSONSerialization.jsonObject(with: Data(piped.stdout.utf8)) as? [String: Any])
        let before = try #require(diff["before"] as? [String: Any])
        #expect(before["commands"] as? Int == 12)
    }

    @Test func helpOfDiffAndMergeListsOnlyWhatTheyAccept() throws {
        let diff = try E2E.run(["help", "diff"]).stdout
        let merge = try E2E.run(["merge", "--help"]).stdout
        for text in [diff, merge] {
            #expect(!text.contains("--events"), "\(text)")
            #expect(!text.contains("ndjson"))
            for accepted in ["--format", "--output", "--port", "--filter", "--threshold", "--redact-keys", "--redact-salt", "--quiet"] {
                #expect(text.contains(accepted), "\(accepted)")
            }
        }
        #expect(!diff.contains("--svg"))
        #expect(merge.contains("--svg"))
        #expect(try E2E.run(["diff", "--events", "e.ndjson", "fixtures/errors.pcap", "fixtures/errors.pcap"]).status == 64)
        #expect(try E2E.run(["diff", "--svg", "d", "fixtures/errors.pcap", "fixtures/errors.pcap"]).status == 64)
    }

    /// 16,000 file names took 9 s to parse (quadratic in swift-argument-parser); they must take well under a second.
    @Test func longFileListsParseInLinearTime() throws {
        let names = (1...16_000).map { "no-such-file-\($0).pcap" }
        for command in ["analyze", "merge"] {
            let started = Date()
            let r = try E2E.run([command, "-q"] + names)
            let elapsed = Date().timeIntervalSince(started)
            #expect(r.status == 2, "\(r.stderr)")
            #expect(r.stderr.contains("no-such-file-1.pcap"), "\(r.stderr)")
            #expect(elapsed < 3, "\(command): \(elapsed) s")
        }
        // Options between the files are still options (a bad value is reported), and '--' still ends them.
        let files = Array(names.prefix(300))
        let badPort = try E2E.run(["analyze"] + files + ["--port=0", "-q"] + files)
        #expect(badPort.status == 64)
        #expect(badPort.stderr.contains("--port"), "\(badPort.stderr)")
        let dashed = try E2E.run(["analyze", "-q"] + files + ["--", "--not-an-option"])
        #expect(dashed.status == 2, "\(dashed.stderr)")
        let unknown = try E2E.run(["analyze", "--no-such-option"] + files)
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("--no-such-option"), "\(unknown.stderr)")
    }
}
