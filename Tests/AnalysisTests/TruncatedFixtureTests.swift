import Analysis
import Findings
import Pipeline
import Capture
import Foundation
import Testing

/// A real fixture cut at every byte offset, through the whole pipeline: a file too short for a header is an input
/// error; every longer one gives a report of the packets before the cut, flagged truncated unless the cut falls on
/// a record boundary, and never a parse error (an incomplete record is not delivered, so RESP never sees half a
/// packet). The CLI side of the same contract (exit codes 2, 3 and 0) is in EndToEndTests.
@Suite struct TruncatedFixtureTests {
    static let name = "errors"

    /// Offsets where a record ends (the file header's end included), read from the record headers.
    static func recordBoundaries(_ file: [UInt8]) -> [Int] {
        var boundaries = [24]
        var offset = 24
        while offset + 16 <= file.count {
            let caplen = Int(file[offset + 8]) | Int(file[offset + 9]) << 8 | Int(file[offset + 10]) << 16 | Int(file[offset + 11]) << 24
            offset += 16 + caplen
            boundaries.append(offset)
        }
        return boundaries
    }

    @Test func everyByteOffset() throws {
        let truth = try FixtureTruth.load(Self.name)
        let file = try [UInt8](Data(contentsOf: TestPaths.fixtures.appendingPathComponent("\(Self.name).pcap")))
        let boundaries = Set(Self.recordBoundaries(file))
        #expect(boundaries.contains(file.count), "the fixture is little-endian pcap ending on a record")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cut-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(truth.port)]
        var previousCommands = 0
        var previousPackets = 0
        for cut in 0...file.count {
            try Data(file[..<cut]).write(to: URL(fileURLWithPath: path))
            let outcome = Result { try CaptureAnalyzer(options: options).analyze(paths: [path]) }
            guard case .success(let report) = outcome else {
                let error = outcome.failureAsCaptureError
                #expect(cut < 24, "cut at \(cut): \(String(describing: error))")
                #expect(error?.kind == .notACaptureFile || error?.kind == .truncated, "cut at \(cut)")
                continue
            }
            #expect(cut >= 24, "cut at \(cut) inside the file header gave a report")
            #expect(report.quality.truncated == !boundaries.contains(cut), "cut at \(cut)")
            #expect(report.quality.parseErrors == 0, "cut at \(cut): \(report.quality.parseErrorsByCode)")
            #expect(report.totals.commands >= previousCommands, "cut at \(cut): fewer commands than a shorter cut")
            #expect(report.capture.packets >= previousPackets, "cut at \(cut)")
            previousCommands = report.totals.commands
            previousPackets = report.capture.packets
            if cut == file.count {
                let calls = Dictionary(uniqueKeysWithValues: report.commands.map { ($0.name, $0.calls) })
                #expect(calls == truth.expected.commands)
            }
        }
    }
}

extension Result where Success == AnalysisReport {
    var failureAsCaptureError: CaptureError? {
        if case .failure(let error) = self { return error as? CaptureError }
        return nil
    }
}
