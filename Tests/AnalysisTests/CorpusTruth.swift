import Foundation

/// The truth recorded next to each framework capture of `fixtures/corpus/` by scripts/capture-corpus.sh (see
/// fixtures/corpus/README.md): what the wire must show (`expected`), what the capture is (`label`), and which
/// framework and client made it.
struct CorpusTruth: Decodable {
    struct Expected: Decodable {
        struct Connections: Decodable {
            let total: Int
            let withHandshake: Int
            let withoutHandshake: Int
        }
        struct Closed: Decodable {
            let wire: Int
            let byFin: Int
            let byRst: Int
        }
        struct BlockingPops: Decodable {
            let calls: Int
            let keyCountDistribution: [String: Int]
        }
        /// Commands on the wire by commandstats name: commandstats adjusted for commands run inside scripts
        /// (not on the wire) and for rejected probes (on the wire, not in commandstats).
        let commands: [String: Int]
        let errorsByPrefix: [String: Int]
        let connections: Connections
        let connectionsClosed: Closed
        let clientBytes: Int64
        let serverBytes: Int64
        let blockingPops: [String: BlockingPops]?
    }
    struct Label: Decodable {
        /// `healthy`, or the incident the capture reproduces.
        let kind: String
        /// Findings the report should raise.
        let expect: [String]
        /// Findings that are not wrong either when raised.
        let tolerate: [String]?
        let mechanism: String?

        var isHealthy: Bool { kind == "healthy" }
    }
    struct Framework: Decodable {
        let name: String
        let version: String
        let client: String?
        let clientVersion: String?
    }
    let name: String
    let port: Int
    let expected: Expected
    let label: Label
    let framework: Framework

    /// The redis-py version that made the capture, when redis-py did (directly or under a framework).
    var redisPyVersion: String? {
        if framework.name == "redis-py" { return framework.version }
        guard let client = framework.client, client.hasPrefix("redis-py") else { return nil }
        return framework.clientVersion
    }

    static func load(_ name: String) throws -> CorpusTruth {
        let url = TestPaths.corpus.appendingPathComponent(name + ".truth.json")
        return try JSONDecoder().decode(CorpusTruth.self, from: Data(contentsOf: url))
    }

    /// Packets `tcpdump -r` listed for the capture (`NAME.tcpdump.txt`: `packets: N`).
    static func tcpdumpPackets(_ name: String) throws -> Int? {
        let url = TestPaths.corpus.appendingPathComponent(name + ".tcpdump.txt")
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").first { $0.hasPrefix("packets:") }
            .flatMap { Int($0.dropFirst("packets:".count).trimmingCharacters(in: .whitespaces)) }
    }
}
