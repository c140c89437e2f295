import Capture
import Testing
@testable import Analysis
@testable import Findings
@testable import Pipeline

/// The stream stage hands its events over as soon as a batch fills, after any connection's data or close, so a
/// burst of them cannot pile up in one batch: the end of a capture closes every connection at once, each handing
/// over its unanswered commands, and the packets held for reordering are released together.
@Suite struct StageBatchBoundTests {
    /// 300 connections, each pipelining 20 commands that are never answered: 6,000 records come out at the end.
    static func unansweredPipelines() -> [CapturePerturbation.Packet] {
        var capture = SyntheticCapture()
        var connections = (0..<300).map { SyntheticCapture.Connection(clientPort: UInt16(20_000 + $0), serverPort: 6379) }
        for index in connections.indices { capture.handshake(&connections[index]) }
        for index in connections.indices {
            capture.send(&connections[index], fromClient: true, String(repeating: "*1\r\n$4\r\nPING\r\n", count: 20))
        }
        return capture.packets
    }

    @Test func noBatchHoldsMoreThanOneConnectionsEventsPastTheBound() throws {
        let stage = try StreamStage(options: AnalysisOptions(), batch: StageBatch())
        var spare = StageBatch()
        var largest = 0
        var handed = 0
        func handOver() {
            let full = stage.exchangeBatch(spare)
            largest = max(largest, full.records.count)
            handed += full.records.count
            full.clear()
            spare = full
        }
        stage.onBatchFull = { handOver() }
        for packet in Self.unansweredPipelines() {
            packet.bytes.withUnsafeBytes { bytes in
                stage.process(CapturedPacket(timestampNanos: packet.timestampNanos, linkType: LinkType(rawValue: packet.linkType),
                                             originalLength: packet.originalLength, bytes: bytes))
            }
        }
        stage.finish()
        handOver()
        #expect(handed == 300 * 20)
        // A batch is handed over once it reaches 512 session events; one connection's close adds at most its 20.
        #expect(largest <= StreamStage.sessionEventsPerBatch + 20, "largest batch: \(largest) records")
    }
}
