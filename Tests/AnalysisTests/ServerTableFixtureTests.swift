import Analysis
import Foundation
import RedisSemantics
import Testing

/// The fixtures from the other servers the command table is generated from (valkey-commands: Valkey 8.1.8;
/// valkey9-commands, redis8-commands; sentinel-commands and valkey-sentinel-commands: a Sentinel and the master
/// it monitors). `FixtureTruthTests` checks each one's
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

    /// Each Sentinel fixture, with its Sentinel's origin bit.
    static let sentinelFixtures: [(String, CommandOrigin)] = [
        ("sentinel-commands", .sentinel7_0), ("valkey-sentinel-commands", .valkeySentinel8_1),
    ]

    @Test(arguments: sentinelFixtures)
    func sentinelPortMatchesTheSentinel(name: String, origin: CommandOrigin) throws {
        let url = TestPaths.fixtures.appendingPathComponent(name + ".truth.json")
        let truth = try JSONDecoder().decode(SentinelTruth.self, from: Data(contentsOf: url)).sentinel
        let report = try FixtureTruthTests.analyze(name, port: truth.port)
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
            #expect(CommandTable.spec(at: index).origin.contains(origin), "\(name): \(command.name)")
        }
        #expect(truth.expected.commands.keys.filter { $0.hasPrefix("sentinel|") }.count >= 15)
    }

    /// Each fixture of a server the table comes from, with that server's origin bit.
    static let serverFixtures: [(String, CommandOrigin)] = [
        ("valkey-commands", .valkey8_1), ("valkey9-commands", .valkey9_1), ("redis8-commands", .redis8_2),
    ]

    /// Commands the server counted are known, spelled as its commandstats spells them, from that server; the ones it
    /// did not count (declared in the truth's notes: an unknown subcommand, commands only other servers have) are
    /// not that server's, and are reported unknown, named as the server's error names them (`commandlog`, `vadd`).
    @Test(arguments: serverFixtures)
    func namesComeFromTheServersTable(name: String, origin: CommandOrigin) throws {
        let truth = try FixtureTruth.load(name)
        let report = try FixtureTruthTests.analyze(name, port: truth.port)
        let known = Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.known) })
        for command in truth.server.commandstats.keys {
            #expect(known[command] == true, "\(name): \(command)")
            let index = try #require(CommandTable.index(named: command), "\(name): \(command)")
            #expect(CommandTable.spec(at: index).name == command)
            #expect(CommandTable.spec(at: index).origin.contains(origin), "\(name): \(command)")
        }
        let uncounted = truth.expected.commands.keys.filter { truth.server.commandstats[$0] == nil }
        #expect(!uncounted.isEmpty)
        for command in uncounted {
            let origins = CommandTable.index(named: command).map { CommandTable.spec(at: $0).origin } ?? []
            #expect(!origins.contains(origin), "\(name): \(command)")
            // The server said so (`-ERR unknown command`/`unknown subcommand`): unknown, whatever the table knows.
            #expect(known[command] == false, "\(name): \(command)")
        }
    }

    @Test func valkeyUnknownSubcommandIsUnknown() throws {
        let report = try FixtureTruthTests.analyze("valkey-commands", port: try FixtureTruth.load("valkey-commands").port)
        let known = Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.known) })
        #expect(known["commandlog|get"] == true)
        #expect(known["commandlog|nosuch"] == false)
    }

    /// The table's sources, as reports name them, and each source's commands all present with its bit.
    @Test func everySourceCommandCarriesItsOrigin() {
        #expect(CommandTable.sourcesDescription == CommandTable.sources.map { "\($0.server) \($0.version)" }.joined(separator: " + "))
        #expect(Set(CommandTable.sources.map(\.server)) == ["redis", "valkey", "sentinel", "valkey-sentinel"])
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
