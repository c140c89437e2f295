import Analysis
import ExternalCaptureLocation
import Foundation
import Pipeline
import Testing

/// Redis found on any port by what its connections carry (the command line's default, without `--port`): every
/// capture whose Redis is not on 6379 gives, without being told the port, the numbers it gives with it.
@Suite struct PortSearchTests {
    /// The figures a report gives that the port search must not change.
    struct Figures: Equatable, CustomStringConvertible {
        var commands: [String: Int]
        var totalCommands: Int
        var errorReplies: Int
        var errorsByPrefix: [String: Int]
        var clientBytes: Int64
        var serverBytes: Int64
        var connections: Int
        var unpairedReplies: Int
        var pushes: Int
        var propagated: [String: Int]
        var verdict: String

        init(_ report: AnalysisReport) {
            commands = Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.calls) })
            totalCommands = report.totals.commands
            errorReplies = report.totals.errorReplies
            errorsByPrefix = report.errorsByPrefix
            clientBytes = report.totals.clientBytes
            serverBytes = report.totals.serverBytes
            connections = report.connections.total
            unpairedReplies = report.quality.unpairedReplies
            pushes = report.pushes.total
            propagated = Dictionary(uniqueKeysWithValues: (report.replication?.propagated ?? []).map { ($0.name, $0.calls) })
            verdict = report.quality.verdict
        }

        var description: String {
            "\(totalCommands) commands, \(connections) connections, \(clientBytes)/\(serverBytes) bytes, \(verdict)"
        }
    }

    static func analyze(_ path: String, ports: Set<UInt16>?) throws -> AnalysisReport {
        var options = AnalysisOptions()
        if let ports {
            options.serverPorts = ports
        } else {
            options.searchesEveryPort = true
        }
        return try CaptureAnalyzer(options: options).analyze(paths: [path])
    }

    /// Fixtures whose Redis listens elsewhere than 6379 alone, with the ports their truth names.
    static let fixtures: [(file: String, ports: Set<UInt16>)] = [
        ("cluster-unpipelined.pcap", [7000]),
        ("sentinel-churn.pcap", [6379, 26379]),
        ("sentinel-commands.pcap", [6379, 26379]),
        ("valkey-sentinel-commands.pcap", [6379, 26379]),
        ("replication/full-sync-disk.pcap", [6379]),
        ("replication/partial-resync.pcap", [6379]),
    ]

    @Test(arguments: fixtures.map(\.file))
    func fixtureGivesTheSameNumbersWithoutItsPorts(file: String) throws {
        let ports = try #require(Self.fixtures.first { $0.file == file }?.ports)
        let path = TestPaths.fixtures.appendingPathComponent(file).path
        let told = try Self.analyze(path, ports: ports)
        let found = try Self.analyze(path, ports: nil)
        #expect(Figures(found) == Figures(told), "\(file): \(Figures(found)) against \(Figures(told))")
        #expect(found.capture.serverPortsFound == ports.sorted().map(Int.init), "\(file)")
        #expect(found.capture.otherProtocolConnections == 0, "\(file)")
    }

    static let external = ExternalCaptures.all.filter {
        FileManager.default.fileExists(atPath: ExternalCaptureLocation.path("\($0.directory)/\($0.file)"))
    }

    @Test(.enabled(if: ExternalCaptureLocation.testsEnabled, Comment(rawValue: ExternalCaptureLocation.skipReason)),
          arguments: external.map(\.directory))
    func externalCaptureGivesTheSameNumbersWithoutItsPorts(directory: String) throws {
        let e = try #require(ExternalCaptures.all.first { $0.directory == directory })
        let path = ExternalCaptureLocation.path("\(e.directory)/\(e.file)")
        let told = try Self.analyze(path, ports: Set(e.ports))
        let found = try Self.analyze(path, ports: nil)
        let expected = Figures(told)
        let seen = Figures(found)
        if told.quality.notRedisConnections > 0 && !e.ports.contains(6379) {
            // Not RESP on a port not named: skipped, never decoded, rather than analysed and reported as not RESP.
            #expect(seen.commands == expected.commands && seen.totalCommands == 0, "\(directory): \(seen)")
            #expect((found.capture.otherProtocolConnections ?? 0) > 0, "\(directory)")
            return
        }
        #expect(seen == expected, "\(directory): \(seen) against \(expected)")
    }
}
