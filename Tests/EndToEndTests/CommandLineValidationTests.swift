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

    @Test func helpOfDiffAndMergeListsOnlyWhatTheyAccept() throws {
        let diff = try E2E.run(["help", "diff"]).stdout
        let merge = try E2E.run(["merge", "--help"]).stdout
        for text in [diff, merge] {
            #expect(!text.contains("--events"), "\(text)")
            #expect(!text.contains("ndjson"))
            for accepted in ["--format", "--output", "--port", "--filter", "--threshold", "--redact-keys", "--quiet"] {
                #expect(text.contains(accepted), "\(accepted)")
            }
        }
        #expect(!diff.contains("--svg"))
        #expect(merge.contains("--svg"))
        #expect(try E2E.run(["diff", "--events", "e.ndjson", "fixtures/errors.pcap", "fixtures/errors.pcap"]).status == 64)
        #expect(try E2E.run(["diff", "--svg", "d", "fixtures/errors.pcap", "fixtures/errors.pcap"]).status == 64)
    }
}
