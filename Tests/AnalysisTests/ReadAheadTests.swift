import Analysis
import Capture
import Foundation
import Report
import Testing

/// Reading on a second thread (`CaptureAnalyzer.threads = 2`) gives byte-identical reports to one thread: on every
/// fixture, on several files read as one capture, on a truncated file, and with batches far smaller than a file.
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
        let threaded = try Self.json([path], threads: 2, port: truth.port)
        #expect(single == threaded)
    }

    @Test func sameReportOverSeveralFilesAndATruncatedOne() throws {
        let names = TestPaths.fixtureNames().prefix(3)
        var paths = names.map { TestPaths.fixtures.appendingPathComponent($0 + ".pcap").path }
        let whole = try [UInt8](Data(contentsOf: URL(fileURLWithPath: paths[0])))
        let cut = CapturePerturbation.write(Array(whole.prefix(whole.count * 2 / 3)), name: "readahead-truncated")
        defer { try? FileManager.default.removeItem(atPath: cut) }
        paths.insert(cut, at: 1)
        let single = try Self.json(paths, threads: 1)
        let threaded = try Self.json(paths, threads: 2)
        #expect(single == threaded)
        #expect(single.contains("\"truncated\" : true"))
    }

    @Test func aFileThatCannotBeOpenedIsTheSameError() throws {
        let path = TestPaths.fixtures.appendingPathComponent(TestPaths.fixtureNames()[0] + ".pcap").path
        for threads in [1, 2] {
            #expect(throws: CaptureError.self) { try Self.json([path, "/nonexistent/capture.pcap"], threads: threads) }
        }
    }
}
