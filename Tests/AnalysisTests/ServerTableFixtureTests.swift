import Analysis
import Foundation
import RedisSemantics
import Testing

/// The fixtures from the other servers the command table is generated from (valkey-commands: Valkey 8.1.8;
/// sentinel-commands: a Sentinel 7.0.15 and the master it monitors). `FixtureTruthTests` checks each one's
/// `port` against the server's commandstats; this checks the Sentinel's own port, and that the names come
/// from the table with the right origin.
@Suite struct ServerTableFixtureTests {
    /// `sentinel.expected` of a truth file: Sentinel has no commandstats, so this is the client's ledger, checked
    /// when captured against the capture, the Sentinel's INFO counters and its `COMMAND LIST`.
    struct SentinelTruth: Decodable {
        struct Sentinel: Decodable {
            let port: Int
            let expected: FixtureTruth.Expected
        }
        let sentinel: Sentinel
    }

    static func commands(_ report: AnalysisReport) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.calls) })
    }

    @Test func sentinelPortMatchesTheSentinel() throws {
        let url = TestPaths.fixtures.appendingPathComponent("sentinel-commands.truth.json")
        let truth = try JSONDecoder().decode(SentinelTruth.self, from: Data(contentsOf: url)).sentinel
        let report = try FixtureTruthTests.analyze("sentinel-commands", port: truth.port)
        #expect(Self.commands(report) == truth.expected.commands)
        #expect(report.errorsByPrefix == truth.expected.errorsByPrefix)
        #expect(report.totals.clientBytes == truth.expected.clientBytes)
        #expect(report.totals.serverBytes == truth.expected.serverBytes)
        #expect(report.connections.total == truth.expected.connections.total)
        #expect(report.connections.withHandshake == truth.expected.connections.withHandshake)
        #expect(report.quality.parseErrors == 0)
        #expect(report.quality.unpairedReplies == 0)
        // Every one is a command of the Sentinel's table, known as such.
        for command in report.commands {
            #expect(command.known, "\(command.name)")
            let index = try #require(CommandTable.index(named: command.name), "\(command.name)")
            #expect(CommandTable.spec(at: index).origin.contains(.sentinel7_0), "\(command.name)")
        }
        #expect(truth.expected.commands.keys.filter { $0.hasPrefix("sentinel|") }.count >= 15)
    }

    /// Commands Valkey counted are known, from Valkey; the two it did not count (declared in the truth's notes) are
    /// an unknown subcommand and a command only other servers have.
    @Test func valkeyNamesComeFromTheTable() throws {
        let truth = try FixtureTruth.load("valkey-commands")
        let report = try FixtureTruthTests.analyze("valkey-commands", port: truth.port)
        let known = Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.known) })
        for name in truth.server.commandstats.keys {
            #expect(known[name] == true, "\(name)")
            let index = try #require(CommandTable.index(named: name), "\(name)")
            #expect(CommandTable.spec(at: index).origin.contains(.valkey8_1), "\(name)")
        }
        #expect(truth.server.commandstats["commandlog|get"] != nil)
        #expect(known["commandlog|nosuch"] == false)
        #expect(CommandTable.index(named: "commandlog|nosuch") == nil)
        let hgetex = try #require(CommandTable.index(named: "hgetex"))
        #expect(!CommandTable.spec(at: hgetex).origin.contains(.valkey8_1))
        #expect(CommandTable.spec(at: hgetex).origin.contains(.redis8_2))
    }

    /// The table's sources, as reports name them, and each source's commands all present with its bit.
    @Test func everySourceCommandCarriesItsOrigin() {
        #expect(CommandTable.sourcesDescription == CommandTable.sources.map { "\($0.server) \($0.version)" }.joined(separator: " + "))
        #expect(Set(CommandTable.sources.map(\.server)) == ["redis", "valkey", "sentinel"])
        for source in CommandTable.sources {
            var top = 0, sub = 0
            for index in 0..<CommandTable.count where CommandTable.spec(at: index).origin.contains(source.origin) {
                if CommandTable.parent(of: index) == nil { top += 1 } else { sub += 1 }
                // A subcommand's container is on the same server.
                if let parent = CommandTable.parent(of: index) {
                    #expect(CommandTable.spec(at: parent).origin.contains(source.origin))
                }
            }
            #expect(top == source.commandCount, "\(source.server) \(source.version)")
            #expect(sub == source.subcommandCount, "\(source.server) \(source.version)")
        }
    }
}
