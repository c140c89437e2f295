import Foundation
import Testing
@testable import RESP

/// Replays `Fuzz/crashers/resp/*` (inputs that once crashed or misbehaved under `fuzz-resp`) through the decoder,
/// on both sides, with default and tight limits: whole, in pieces and byte by byte must give identical events.
struct FuzzRegressionTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/crashers/resp")

    static func inputs() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { !$0.hasPrefix(".") }.sorted()
    }

    static let tightLimits: RESPLimits = {
        var limits = RESPLimits()
        limits.keptPrefix = 5
        limits.maxBulkLength = 100
        limits.maxAggregateElements = 10
        limits.maxDepth = 3
        limits.maxInlineLength = 40
        return limits
    }()

    @Test(arguments: inputs())
    func replay(name: String) throws {
        let input = try [UInt8](Data(contentsOf: Self.directory.appendingPathComponent(name)))
        for side in [RESPDecoder.Side.client, .server] {
            for limits in [RESPLimits(), Self.tightLimits] {
                let whole = decode(input, side: side, limits: limits)
                #expect(decode(input, side: side, chunks: [1], limits: limits).lines == whole.lines)
                #expect(decode(input, side: side, chunks: [3, 1, 7], limits: limits).lines == whole.lines)
            }
        }
    }
}
