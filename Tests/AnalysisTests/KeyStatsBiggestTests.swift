@testable import Analysis
import Packets
import RedisSemantics
import TCPReassembly
import Testing

@Suite struct KeyStatsBiggestTests {
    /// The biggest requests and replies are the `topN` largest, in whatever order commands come (a command is looked
    /// at only when larger than the smallest kept, once `topN` are).
    @Test func biggestKeepsTheLargest() {
        let registry = CommandRegistry()
        let ping = Array("PING".utf8).withUnsafeBytes { registry.id(forName: $0) }
        let info = ConnectionInfo(id: ConnectionID(rawValue: 1), client: Endpoint(address: IPAddress(ipv4: 1), port: 1),
                                  server: Endpoint(address: IPAddress(ipv4: 2), port: 6379), handshakeSeen: true,
                                  openedNanos: 0, registry: registry)
        var generator = SystemRandomNumberGenerator()
        for topN in [0, 1, 3, 20] {
            let stats = KeyStats(topN: topN)
            var sizes: [Int] = []
            for _ in 0..<300 {
                var record = CommandRecord.empty
                record.command = ping
                record.requestBytes = Int.random(in: 0..<60, using: &generator)
                record.replyBytes = Int.random(in: 0..<60, using: &generator)
                stats.command(record, on: info)
                sizes.append(max(record.requestBytes, record.replyBytes))
            }
            var report = AnalysisReport()
            stats.finish(into: &report, context: AnalysisContext(registry: registry, firstTimestampNanos: nil, lastTimestampNanos: nil))
            #expect(report.keys?.biggest.map(\.bytes) == Array(sizes.sorted(by: >).prefix(topN)), "topN \(topN)")
        }
    }
}
