import Analysis
import Findings
import Pipeline
import Capture
import Foundation
import Testing

/// The same traffic, captured untidily, must give the same numbers: reordered and duplicated packets, a capture
/// rotated into several files, a BPF filter that keeps everything.
@Suite struct CaptureRobustnessTests {
    struct Numbers: Equatable {
        var commands: [String: Int]
        var errors: [String: Int]
        var clientBytes: Int64
        var serverBytes: Int64
        var connections: Int
        var closedByFin: Int
        var closedByReset: Int
        var unpaired: Int
        var unanswered: Int
    }

    static func numbers(_ report: AnalysisReport) -> Numbers {
        Numbers(commands: Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.calls) }),
                errors: report.errorsByPrefix, clientBytes: report.totals.clientBytes, serverBytes: report.totals.serverBytes,
                connections: report.connections.total, closedByFin: report.connections.closedByFin,
                closedByReset: report.connections.closedByReset, unpaired: report.quality.unpairedReplies,
                unanswered: report.quality.unansweredCommands)
    }

    static func analyze(_ paths: [String], port: Int, filter: String? = nil) throws -> AnalysisReport {
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(port)]
        options.filter = filter
        return try CaptureAnalyzer(options: options).analyze(paths: paths)
    }

    static let fixtures = ["pipelined", "unpipelined", "large-value", "short-connections", "multi-exec", "pubsub", "resp3"]

    @Test(arguments: fixtures)
    func reorderedAndDuplicatedPacketsGiveTheSameNumbers(name: String) throws {
        let truth = try FixtureTruth.load(name)
        let path = TestPaths.fixtures.appendingPathComponent(name + ".pcap").path
        let clean = try Self.analyze([path], port: truth.port)
        let packets = try CapturePerturbation.read(path)
        for seed in [1, 2] as [UInt64] {
            let messy = CapturePerturbation.duplicate(CapturePerturbation.reorder(packets, window: 4, seed: seed), every: 7)
            let file = CapturePerturbation.write(CapturePerturbation.pcap(messy), name: "\(name)-messy-\(seed)")
            defer { try? FileManager.default.removeItem(atPath: file) }
            let report = try Self.analyze([file], port: truth.port)
            #expect(Self.numbers(report) == Self.numbers(clean), "\(name), seed \(seed)")
            #expect(report.quality.packetsOutOfTimestampOrder > 0)
            #expect(report.quality.packetsLateBeyondReorderWindow == 0)
            #expect(report.quality.duplicateBytes > 0 || report.quality.retransmittedSegments > 0)
            #expect(report.quality.gaps == 0)
        }
    }

    @Test(arguments: ["large-value"])
    func segmentsReorderedOnTheNetworkAreReassembled(name: String) throws {
        let truth = try FixtureTruth.load(name)
        let path = TestPaths.fixtures.appendingPathComponent(name + ".pcap").path
        let clean = try Self.analyze([path], port: truth.port)
        let swapped = CapturePerturbation.swapAdjacentDataSegments(try CapturePerturbation.read(path), every: 2)
        let file = CapturePerturbation.write(CapturePerturbation.pcap(swapped), name: "\(name)-swapped")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let report = try Self.analyze([file], port: truth.port)
        #expect(Self.numbers(report) == Self.numbers(clean))
        #expect(report.quality.outOfOrderSegments > 0)
        #expect(report.quality.packetsOutOfTimestampOrder == 0)
        #expect(report.quality.gaps == 0)
    }

    /// Any segmentation of the same byte streams gives the same results: byte by byte, and in uneven pieces.
    @Test(arguments: ["inline", "resp3", "multi-exec", "pubsub", "errors", "client-reply", "mid-stream", "mixed", "pipelined"])
    func resegmentedStreamsGiveTheSameResults(name: String) throws {
        let truth = try FixtureTruth.load(name)
        let path = TestPaths.fixtures.appendingPathComponent(name + ".pcap").path
        let clean = try Self.analyze([path], port: truth.port)
        let packets = try CapturePerturbation.read(path)
        let cuts: [[Int]] = name == "pipelined" || name == "mixed" ? [[7, 1, 1448, 3]] : [[1], [7, 1, 1448, 3]]
        for sizes in cuts {
            let file = CapturePerturbation.write(CapturePerturbation.pcap(CapturePerturbation.resegment(packets, sizes: sizes)),
                                                 name: "\(name)-reseg")
            defer { try? FileManager.default.removeItem(atPath: file) }
            let report = try Self.analyze([file], port: truth.port)
            #expect(Self.numbers(report) == Self.numbers(clean), "\(name) cut in \(sizes)")
            #expect(report.commands.map(\.latencyMicros) == clean.commands.map(\.latencyMicros), "\(name) cut in \(sizes)")
            #expect(report.quality.parseErrors == clean.quality.parseErrors)
            #expect(report.quality.tcpSegments > clean.quality.tcpSegments)
        }
    }

    @Test(arguments: ["mixed", "pipelined"])
    func rotatedFilesReadTogetherAreOneCapture(name: String) throws {
        let truth = try FixtureTruth.load(name)
        let path = TestPaths.fixtures.appendingPathComponent(name + ".pcap").path
        let packets = try CapturePerturbation.read(path)
        let parts = [Array(packets[..<(packets.count / 3)]), Array(packets[(packets.count / 3)..<(2 * packets.count / 3)]),
                     Array(packets[(2 * packets.count / 3)...])]
        let files = parts.enumerated().map { CapturePerturbation.write(CapturePerturbation.pcap($1), name: "\(name)-part\($0)") }
        defer { for f in files { try? FileManager.default.removeItem(atPath: f) } }
        let whole = try Self.analyze([path], port: truth.port)
        let rotated = try Self.analyze(files, port: truth.port)
        #expect(Self.numbers(rotated) == Self.numbers(whole))
        #expect(rotated.capture.files.count == 3)
        #expect(rotated.capture.packets == whole.capture.packets)
        #expect(rotated.connections.withoutHandshake == 0, "connections spanning files stay one connection")
    }

    @Test func bpfFilterIsAppliedThroughLibpcap() throws {
        let truth = try FixtureTruth.load("unpipelined")
        let path = TestPaths.fixtures.appendingPathComponent("unpipelined.pcap").path
        let all = try Self.analyze([path], port: truth.port)
        let same = try Self.analyze([path], port: truth.port, filter: "tcp port \(truth.port)")
        #expect(Self.numbers(same) == Self.numbers(all))
        let none = try Self.analyze([path], port: truth.port, filter: "udp")
        #expect(none.totals.commands == 0)
        #expect(none.quality.packetsSkipped["filteredOut"] == all.capture.packets)
        #expect(throws: (any Error).self) { try Self.analyze([path], port: truth.port, filter: "tcp port nonsense(") }
    }

    @Test func unsupportedLinkTypeIsAClearError() throws {
        let packets = try CapturePerturbation.read(TestPaths.fixtures.appendingPathComponent("inline.pcap").path)
        let retyped = packets.map { p -> CapturePerturbation.Packet in var q = p; q.linkType = 147; return q }
        let file = CapturePerturbation.write(CapturePerturbation.pcap(retyped), name: "linktype147")
        defer { try? FileManager.default.removeItem(atPath: file) }
        do {
            _ = try Self.analyze([file], port: 6379)
            Issue.record("a capture of an unsupported link type must be an error")
        } catch let error as CaptureError {
            #expect(error.kind == .unsupported)
            #expect(error.message.contains("LINKTYPE 147"))
        }
    }

    @Test func truncatedFileGivesAPartialReport() throws {
        let truth = try FixtureTruth.load("pipelined")
        let path = TestPaths.fixtures.appendingPathComponent("pipelined.pcap").path
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = CapturePerturbation.write(Array(bytes.prefix(bytes.count / 2 + 3)), name: "pipelined-cut")
        defer { try? FileManager.default.removeItem(atPath: cut) }
        let report = try Self.analyze([cut], port: truth.port)
        #expect(report.quality.truncated)
        #expect(report.quality.truncationMessage?.contains("truncated") == true)
        #expect(report.totals.commands > 0)
        #expect(report.totals.commands < truth.expected.commands.values.reduce(0, +))
        #expect(!report.warnings.isEmpty)
        #expect(report.quality.verdict.contains("truncated"))
    }
}
