import Foundation
import Testing

/// Runs the built `respcap` binary as a user would and checks stdout, stderr and the exit code.
@Suite struct EndToEndTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var binary: URL {
        // The test bundle sits in the build products directory next to the executable.
        let products = Bundle.main.bundleURL.deletingLastPathComponent()
        let candidates = [products.appendingPathComponent("respcap"),
                          Bundle.main.bundleURL.appendingPathComponent("respcap")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs respcap (or `executable`) with `arguments`; standard input is `stdin`, or the file `stdinFile`.
    static func run(_ arguments: [String], stdin: Data? = nil, stdinFile: String? = nil,
                    executable: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable ?? binary
        process.arguments = arguments
        process.currentDirectoryURL = root
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdinFile {
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdinFile))
        } else {
            process.standardInput = input
        }
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    static let fixture = "fixtures/unpipelined.pcap"

    @Test func markdownReportOnStdout() throws {
        let r = try Self.run(["analyze", Self.fixture])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("# respcap report — unpipelined.pcap"))
        #expect(r.stdout.contains("## Commands"))
        #expect(r.stdout.contains("| `get`"))
        #expect(r.stderr.isEmpty)
    }

    /// A tracking limit reached is a capture-quality matter: listed under the quality section's limits, not a warning
    /// above the findings; `-q` keeps stderr to errors (the report still carries its warnings).
    @Test func trackingLimitsGoToTheQualitySectionAndQuietMeansQuiet() throws {
        let corpus = "fixtures/corpus/rq-healthy.pcap"
        let loud = try Self.run(["analyze", "--max-tracked-keys", "5", "--format", "json", corpus])
        #expect(loud.status == 0, "\(loud.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(loud.stdout.utf8)) as? [String: Any])
        let warnings = try #require(report["warnings"] as? [String])
        #expect(!warnings.contains { $0.contains("tracked") }, "\(warnings)")
        let quality = try #require(report["quality"] as? [String: Any])
        let limits = try #require(quality["limitsHit"] as? [[String: Any]])
        #expect(limits.contains { $0["scope"] as? String == "queues" && $0["limit"] as? String == "--max-tracked-keys" })
        let markdown = try Self.run(["analyze", "--max-tracked-keys", "5", corpus])
        let beforeFindings = markdown.stdout.components(separatedBy: "## Findings")[0]
        #expect(!beforeFindings.contains("Warning"), "\(beforeFindings)")
        #expect(markdown.stdout.contains("Limits reached"))

        // A warning the report carries (a file named twice) reaches stderr, unless -q.
        let twice = try Self.run(["analyze", Self.fixture, Self.fixture])
        #expect(twice.stderr.contains("warning"), "\(twice.stderr)")
        let quiet = try Self.run(["analyze", "-q", Self.fixture, Self.fixture])
        #expect(quiet.status == 0)
        #expect(quiet.stderr.isEmpty, "\(quiet.stderr)")
        #expect(quiet.stdout.contains("given more than once"))
    }

    @Test func analyzeIsTheDefaultSubcommand() throws {
        let a = try Self.run([Self.fixture])
        let b = try Self.run(["analyze", Self.fixture])
        #expect(a.status == 0 && a.stdout == b.stdout)
    }

    @Test func jsonReportHasTheContractFields() throws {
        let r = try Self.run(["analyze", "--format", "json", Self.fixture])
        #expect(r.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["schema"] as? String == "respcap.report/1")
        let capture = try #require(json["capture"] as? [String: Any])
        for key in ["files", "packets", "bytes", "firstTimestamp", "lastTimestamp", "durationSeconds"] {
            #expect(capture[key] != nil, "capture.\(key)")
        }
        let totals = try #require(json["totals"] as? [String: Any])
        for key in ["commands", "errorReplies", "clientBytes", "serverBytes"] { #expect(totals[key] != nil, "totals.\(key)") }
        let commands = try #require(json["commands"] as? [[String: Any]])
        let first = try #require(commands.first)
        for key in ["name", "calls", "errors", "requestBytes", "replyBytes", "latencyMicros"] { #expect(first[key] != nil, "\(key)") }
        let latency = try #require(first["latencyMicros"] as? [String: Any])
        for key in ["p50", "p90", "p99", "max"] { #expect(latency[key] != nil, "latencyMicros.\(key)") }
        #expect(json["errorsByPrefix"] is [String: Any])
        let connections = try #require(json["connections"] as? [String: Any])
        for key in ["total", "withHandshake", "withoutHandshake", "closedByFin", "closedByReset", "openAtEnd"] {
            #expect(connections[key] != nil, "connections.\(key)")
        }
        #expect(json["quality"] is [String: Any])
    }

    @Test func stdinAndOutputFile() throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent(Self.fixture))
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-e2e-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: output) }
        let r = try Self.run(["analyze", "--format", "json", "-o", output.path, "-"], stdin: data)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        let written = try String(contentsOf: output, encoding: .utf8)
        #expect(written.contains("\"schema\" : \"respcap.report/1\""))
    }

    @Test func missingFileIsAClearErrorWithExitCode2() throws {
        let r = try Self.run(["analyze", "does-not-exist.pcap"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("does-not-exist.pcap"))
        #expect(r.stdout.isEmpty)
    }

    @Test func notACaptureIsExitCode2() throws {
        let r = try Self.run(["analyze", "Package.swift"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("respcap: error:"))
    }

    @Test func truncatedCaptureGivesPartialReportAndExitCode3() throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent(Self.fixture))
        let cut = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-cut-\(getpid()).pcap")
        defer { try? FileManager.default.removeItem(at: cut) }
        try data.prefix(data.count / 2 + 7).write(to: cut)
        let r = try Self.run(["analyze", cut.path])
        #expect(r.status == 3)
        #expect(r.stdout.contains("## Commands"))
        #expect(r.stderr.contains("warning"))
        #expect(r.stdout.contains("truncated"))
    }

    /// The CLI side of TruncatedFixtureTests: a cut inside the file header is exit 2 with one error line; any
    /// other cut gives a JSON report and exit 3, or 0 when it falls on a record boundary; 6 (with the reason as a
    /// warning) while the cut holds no whole record carrying TCP payload: nothing could be read.
    @Test func everyCutOfAFixtureGivesADocumentedExitCode() throws {
        let data = [UInt8](try Data(contentsOf: Self.root.appendingPathComponent("fixtures/client-reply.pcap")))
        var boundaries: Set<Int> = [24]
        var offset = 24
        var firstPayloadEnd: Int?
        while offset + 16 <= data.count {
            let record = offset + 16
            offset = record + (Int(data[offset + 8]) | Int(data[offset + 9]) << 8 | Int(data[offset + 10]) << 16)
            boundaries.insert(offset)
            // Ethernet, IPv4: payload = IP total length - IP header - TCP header.
            let ipHeader = Int(data[record + 14] & 0x0F) * 4
            let ipLength = Int(data[record + 16]) << 8 | Int(data[record + 17])
            let tcpHeader = Int(data[record + 14 + ipHeader + 12] >> 4) * 4
            if firstPayloadEnd == nil && ipLength > ipHeader + tcpHeader { firstPayloadEnd = offset }
        }
        let nothingReadBefore = try #require(firstPayloadEnd)
        let cut = FileManager.default.temporaryDirectory.appendingPathComponent("respcap-cuts-\(getpid()).pcap")
        defer { try? FileManager.default.removeItem(at: cut) }
        // Every offset of the header and first record, then a stride through the rest, and every boundary.
        let offsets = Set(Array(0...140) + Array(stride(from: 141, to: data.count, by: 37)) + boundaries).sorted()
        for length in offsets where length <= data.count {
            try Data(data[..<length]).write(to: cut)
            let r = try Self.run(["analyze", "--format", "json", cut.path])
            let lines = r.stderr.split(separator: "\n")
            if length < 24 {
                #expect(r.status == 2, "cut at \(length)")
                #expect(r.stdout.isEmpty && lines.count == 1 && lines[0].hasPrefix("respcap: error:"), "cut at \(length): \(r.stderr)")
            } else {
                let clean = boundaries.contains(length)
                let nothingRead = length < nothingReadBefore
                #expect(r.status == (nothingRead ? 6 : clean ? 0 : 3), "cut at \(length): \(r.stderr)")
                #expect(lines.count == (clean ? 0 : 1) + (nothingRead ? 1 : 0), "cut at \(length): \(r.stderr)")
                #expect(lines.allSatisfy { $0.hasPrefix("respcap: warning:") }, "cut at \(length)")
                let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
                #expect(json?["quality"] != nil, "cut at \(length)")
            }
        }
    }

    /// Every limit option at an absurd value: a one-line usage error (64), or a report (0) where the value only
    /// bounds what is kept; never a crash from an allocation or conversion sized by the value.
    @Test(arguments: [
        ["--reorder-window", "4000000000"], ["--kept-prefix", "100000000000"], ["--max-depth", "9000000000000"],
        ["--idle-timeout", "1e300"], ["--idle-timeout", "nan"], ["--max-connections", "0"], ["--max-pending", "-1"],
        ["--max-tracked-keys", "9223372036854775807"], ["--max-tracked-clients", "9223372036854775807"],
        ["--max-tracked-scripts", "9223372036854775807"], ["--max-tracked-scripts", "0"],
        ["--max-command-names", "9223372036854775807"], ["--max-pending", "9223372036854775807"],
        ["--max-connections", "9223372036854775807"], ["--max-buffered-total", "9223372036854775807"],
        ["--max-bulk", "9223372036854775807"], ["--max-elements", "9223372036854775807"], ["--max-inline", "9223372036854775807"],
        ["--max-tracked-keys", "99999999999999999999999"],
    ])
    func absurdLimitValuesAreUsageErrorsOrHarmless(option: [String]) throws {
        let r = try Self.run(["analyze", "-q", "--format", "json"] + option + ["fixtures/mid-stream.pcap"])
        #expect(r.status == 0 || r.status == 64, "\(option): exit \(r.status) \(r.stderr.prefix(300))")
        if r.status == 64 {
            #expect(r.stderr.contains("Error:") || r.stderr.contains("error"), "\(option)")
            #expect(r.stdout.isEmpty)
        } else {
            #expect(r.stdout.contains("\"quality\""), "\(option)")
        }
    }

    @Test func absurdLiveOptionValuesAreUsageErrors() throws {
        for option in [["-B", "9223372036854775807"], ["--queue-size", "9223372036854775807"], ["--duration", "1e300"],
                       ["--interval", "1e300"], ["--snaplen", "9999999"]] {
            let r = try Self.run(["live", "-i", "lo"] + option)
            #expect(r.status == 64, "\(option): exit \(r.status) \(r.stderr.prefix(300))")
        }
    }

    @Test func badPortIsAUsageError() throws {
        let r = try Self.run(["analyze", "--port", "6379,notaport", Self.fixture])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--port"))
    }
}
