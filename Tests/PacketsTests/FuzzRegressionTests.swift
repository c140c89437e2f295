import Capture
import Foundation
import Testing
@testable import Packets

/// Replays `Fuzz/crashers/packets/*` (frames that once crashed `fuzz-packets`) as every supported link type: the
/// decoder must not crash and a payload must lie inside the frame.
struct FuzzRegressionTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/crashers/packets")

    static func inputs() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { !$0.hasPrefix(".") }.sorted()
    }

    static let linkTypes: [LinkType] = [.ethernet, .linuxSLL, .linuxSLL2, .null, .loop, .raw, .ipv4, .ipv6]

    @Test(arguments: inputs())
    func replay(name: String) throws {
        let frame = try [UInt8](Data(contentsOf: Self.directory.appendingPathComponent(name)))
        frame.withUnsafeBytes { bytes in
            for linkType in Self.linkTypes {
                let packet = CapturedPacket(timestampNanos: 1, linkType: linkType, originalLength: bytes.count, bytes: bytes)
                if case .tcp(let segment) = PacketDecoder().decode(packet), segment.payload.count > 0 {
                    let start = segment.payload.baseAddress! - bytes.baseAddress!
                    #expect(start >= 0 && start + segment.payload.count <= bytes.count)
                    #expect(segment.missingPayloadBytes >= 0)
                }
            }
        }
    }
}
