import Foundation

/// The ground truth recorded next to each fixture by scripts/capture-fixtures.sh (see fixtures/README.md).
struct FixtureTruth: Decodable {
    struct Server: Decodable {
        struct CommandStat: Decodable {
            let calls: Int
            let rejected_calls: Int?
            let failed_calls: Int?
        }
        let commandstats: [String: CommandStat]
        let errorstats: [String: Int]
        let totalConnectionsReceived: Int
        let netInputBytes: Int64
        let netOutputBytes: Int64
    }
    struct Expected: Decodable {
        struct Connections: Decodable {
            let total: Int
            let withHandshake: Int
            let withoutHandshake: Int
        }
        let commands: [String: Int]
        let errorsByPrefix: [String: Int]
        let connections: Connections
        let clientBytes: Int64
        let serverBytes: Int64
        let notes: [String]?
    }
    let name: String
    let description: String
    let port: Int
    let server: Server
    let expected: Expected

    static func load(_ name: String) throws -> FixtureTruth {
        let url = TestPaths.fixtures.appendingPathComponent(name + ".truth.json")
        return try JSONDecoder().decode(FixtureTruth.self, from: Data(contentsOf: url))
    }
}
