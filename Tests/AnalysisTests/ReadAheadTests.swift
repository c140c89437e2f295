import Analysis
import Capture
import Foundation
import Report
import Testing

/// The analyses on a second thread (`CaptureAnalyzer.threads = 2`), and the reading on a third as well (3), give
/// byte-identical reports to one thread: on every fixture, on several files read as one capture, on a truncated
/// file, and with read-ahead batches far smaller than a file.
@Suite struct ReadAheadTests {
    static func json(_ paths: [String], threads: Int, port: Int = 6379) throws -> String {
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(port)]
        var analyzer = CaptureAnalyzer(options: options)
        analyzer.threads = threads
        analyzer.readAheadBatchBytes = 4096  // many hand-overs, the ring wrapping many times
        return try JSONReportRenderer.render(try analyzer.analyze(paths: paths))
    }

    @Test(arguments: TestPaths.fixtureNames())
    func sameReportOnEveryFixture(name: String) throws {
        let truth = try FixtureTruth.load(name)
        let path = TestPaths.fixtures.appendingPathComponent(name + ".pcap").path
        let single = try Self.json([path], threads: 1, port: truth.port)
        for threads in [2, 3] {
            #expect(try Self.json([path], threads: threads, port: truth.port) == single, "threads \(threads)")
        }
    }

    @Test func sameReportOverSeveralFilesAndATruncatedOne() throws {
        let names = TestPaths.fixtureNames().prefix(3)
        var paths = names.map { TestPaths.fixtures.appendingPathComponent($0 + ".pcap").path }
        let whole = try [UInt8](Data(contentsOf: URL(fileURLWithPath: paths[0])))
        let cut = CapturePerturbation.write(Array(whole.prefix(whole.count * 2 / 3)), name: "readahead-truncated")
        defer { try? FileManager.default.removeItem(atPath: cut) }
        paths.insert(cut, at: 1)
        let single = try Self.json(paths, threads: 1)
        for threads in [2, 3] {
            #expect(try Self.json(paths, threads: threads) == single, "threads \(threads)")
        }
        #expect(single.contains("\"truncated\" : true"))
    }

    @Test func aFileThatCannotBeOpenedIsTheSameError() throws {
        let path = TestPaths.fixtures.appendingPathComponent(TestPaths.fixtureNames()[0] + ".pcap").path
        for threads in [1, 2, 3] {
            #expect(throws: CaptureError.self) { try Self.json([path, "/nonexistent/capture.pcap"], threads: threads) }
        }
    }
}
