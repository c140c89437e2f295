import Analysis
import Findings
import Pipeline
import Capture
import Foundation
import RedisSemantics
import Testing

/// Damaged captures of the real fixtures (rewritten by `CapturePerturbation` from a seed) degrade precisely: no
/// command is invented, every gap is reported with where it was, connections without gaps keep exact numbers, and
/// the quality verdict says the numbers are partial.
@Suite struct DamagedCaptureTests {
    /// Commands by name per connection (keyed by client endpoint, stable between the clean and damaged captures), and
    /// which connections had gaps.
    final class PerConnection: TrafficAnalysis {
        var commands: [String: [String: Int]] = [:]
        var withGaps = Set<String>()

        func command(_ record: CommandRecord, on connection: ConnectionInfo) {
            commands[connection.client.description, default: [:]][connection.registry.name(of: record.command), default: 0] += 1
        }

        func connectionClosed(_ connection: ConnectionInfo) {
            if connection.gaps > 0 { withGaps.insert(connection.client.description) }
        }

        func finish(into report: inout AnalysisReport, context: AnalysisContext) {}
    }

    static func analyze(_ path: String, port: Int) throws -> (AnalysisReport, PerConnection) {
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(port)]
        let perConnection = PerConnection()
        let report = try CaptureAnalyzer(options: options).analyze(paths: [path], extraAnalyses: [perConnection])
        return (report, perConnection)
    }

    static func damaged(_ name: String, _ transform: ([CapturePerturbation.Packet]) -> [CapturePerturbation.Packet])
        throws -> (clean: (AnalysisReport, PerConnection), damaged: (AnalysisReport, PerConnection), dataPacketsLost: Bool) {
        let truth = try FixtureTruth.load(name)
        let path = TestPaths.fixtures.appendingPathComponent(name + ".pcap").path
        let packets = try CapturePerturbation.read(path)
        let changed = transform(packets)
        let file = CapturePerturbation.write(CapturePerturbation.pcap(changed), name: "\(name)-damaged-\(UUID().uuidString)")
        // RESPCAP_KEEP_DAMAGED=1 keeps the rewritten captures for a look with tcpdump.
        defer {
            if ProcessInfo.processInfo.environment["RESPCAP_KEEP_DAMAGED"] == nil {
                try? FileManager.default.removeItem(atPath: file)
            } else {
                print("kept \(file)")
            }
        }
        let keptPayloads = Set(changed.compactMap { p in CapturePerturbation.payloadRange(p).flatMap { $0.1 > 0 ? p.bytes : nil } })
        let lost = packets.contains { p in
            guard let (_, count) = CapturePerturbation.payloadRange(p), count > 0 else { return false }
            return !keptPayloads.contains(p.bytes)
        }
        return (try analyze(path, port: truth.port), try analyze(file, port: truth.port), lost)
    }

    /// No command name the clean capture does not have, and never more calls of one.
    static func expectNothingInvented(_ clean: AnalysisReport, _ damaged: AnalysisReport, _ context: String) {
        let before = Dictionary(uniqueKeysWithValues: clean.commands.map { ($0.name, $0.calls) })
        for c in damaged.commands {
            #expect(c.calls <= before[c.name] ?? 0, "\(context): \(c.name) \(c.calls) > \(before[c.name] ?? 0)")
        }
        #expect(damaged.totals.commands <= clean.totals.commands, "\(context)")
    }

    /// Connections without gaps have exactly their clean numbers.
    static func expectExactWithoutGaps(_ clean: PerConnection, _ damaged: PerConnection, _ context: String) {
        for (client, commands) in damaged.commands where !damaged.withGaps.contains(client) {
            #expect(commands == clean.commands[client], "\(context): \(client)")
        }
    }

    static let fixtures = ["pipelined", "unpipelined", "mixed", "large-value", "short-connections", "multi-exec"]

    @Test(arguments: fixtures)
    func droppedPacketsAreGapsNotInventions(name: String) throws {
        for seed in [1, 2, 3] as [UInt64] {
            let run = try Self.damaged(name) { CapturePerturbation.drop($0, percent: 3, seed: seed) }
            let (clean, cleanPer) = run.clean
            let (report, per) = run.damaged
            let context = "\(name) seed \(seed)"
            Self.expectNothingInvented(clean, report, context)
            Self.expectExactWithoutGaps(cleanPer, per, context)
            guard run.dataPacketsLost else { continue }
            // A lost data packet is a gap, with where it was, unless it was the connection's last bytes (nothing
            // follows to prove them missing) — so at least some gaps across these captures.
            if report.quality.gaps > 0 {
                #expect(report.quality.bytesLostInGaps > 0, "\(context)")
                #expect(report.quality.connectionsWithGaps > 0, "\(context)")
                #expect(report.quality.gapDetails.count == min(report.quality.gaps, 20), "\(context)")
                #expect(report.quality.gapDetails.allSatisfy { $0.bytesLost > 0 && !$0.client.isEmpty }, "\(context)")
                #expect(report.quality.verdict != "complete", "\(context)")
                #expect(report.findings.contains { $0.id == "capture-quality" }, "\(context)")
            }
        }
    }

    @Test func dropsInALongPipelineAreAlwaysSeen() throws {
        // pipelined: 6,516 commands on 22 connections; 3% loss always hits data in the middle of streams.
        let run = try Self.damaged("pipelined") { CapturePerturbation.drop($0, percent: 3, seed: 7) }
        let report = run.damaged.0
        #expect(report.quality.gaps > 0)
        #expect(report.quality.commandsLostInGaps + report.quality.unpairedReplies > 0)
        #expect(report.totals.commands < run.clean.0.totals.commands)
        // Pairing restarts after each gap: most commands are still paired and timed.
        let timed = report.commands.reduce(0) { $0 + $1.latencyMicros.count }
        #expect(Double(timed) > 0.8 * Double(run.clean.0.totals.commands))
    }

    @Test(arguments: ["pipelined", "unpipelined", "mixed", "large-value"])
    func snaplenCutPayloadsAreReported(name: String) throws {
        // tcpdump -s 96: Ethernet + IPv4 + TCP with timestamps take 66 bytes, leaving 30 of payload per packet.
        let run = try Self.damaged(name) { CapturePerturbation.snaplen($0, 96) }
        let report = run.damaged.0
        Self.expectNothingInvented(run.clean.0, report, name)
        Self.expectExactWithoutGaps(run.clean.1, run.damaged.1, name)
        #expect(report.quality.snaplenCutBytes > 0)
        #expect(report.quality.verdict != "complete")
    }

    @Test(arguments: ["unpipelined", "mixed", "short-connections", "multi-exec"])
    func captureStartedAfterTheHandshakes(name: String) throws {
        // Dropping exactly the 3 handshake packets of every connection loses no data: everything is still counted.
        let run = try Self.damaged(name) { CapturePerturbation.midStream($0, firstPackets: 3) }
        let (clean, report) = (run.clean.0, run.damaged.0)
        #expect(report.connections.withoutHandshake == report.connections.total)
        #expect(report.connections.total == clean.connections.total)
        #expect(CaptureRobustnessTests.numbers(report).commands == CaptureRobustnessTests.numbers(clean).commands)
        // Two more packets each (the first request and its reply, or parts of them): analysed from the first
        // recognisable request, nothing invented, at most a couple of commands per connection missing.
        let later = try Self.damaged(name) { CapturePerturbation.midStream($0, firstPackets: 5) }
        Self.expectNothingInvented(clean, later.damaged.0, name + " k=5")
        #expect(later.damaged.0.totals.commands >= clean.totals.commands - 4 * clean.connections.total)
    }

    @Test(arguments: ["pipelined", "unpipelined", "mixed"])
    func flippedBytesStayContained(name: String) throws {
        let run = try Self.damaged(name) { CapturePerturbation.flipBytes($0, every: 50, seed: 11) }
        let (clean, report) = (run.clean.0, run.damaged.0)
        // A flipped byte can garble a command name (an unknown command) or a length (a parse error and a resync),
        // never multiply commands.
        #expect(report.totals.commands <= clean.totals.commands + 1)
        #expect(report.totals.commands >= clean.totals.commands / 2)
        let garbled = report.quality.parseErrors + report.commands.filter { !$0.known }.reduce(0) { $0 + $1.calls }
            + report.quality.unpairedReplies + (clean.totals.errorReplies < report.totals.errorReplies ? 1 : 0)
        #expect(garbled > 0 || report.totals.commands < clean.totals.commands)
    }

    @Test(arguments: ["pipelined", "mixed"])
    func garbageConnectionsOnThePortAreNotRedis(name: String) throws {
        let truth = try FixtureTruth.load(name)
        let run = try Self.damaged(name) {
            CapturePerturbation.injectGarbage($0, connections: 5, serverPort: UInt16(truth.port), seed: 3)
        }
        let (clean, report) = (run.clean.0, run.damaged.0)
        #expect(CaptureRobustnessTests.numbers(report).commands == CaptureRobustnessTests.numbers(clean).commands)
        #expect(report.quality.notRedisConnections == 5)
        #expect(report.connections.total == clean.connections.total + 5)
    }
}
