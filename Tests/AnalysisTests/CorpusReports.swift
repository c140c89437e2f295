import Analysis
import Findings
import Pipeline
import Foundation
import Synchronization

/// Each framework capture analysed once per test run, whichever test asks first: several suites read the same
/// 34 reports.
enum CorpusReports {
    private static let cache = Mutex<[String: AnalysisReport]>([:])

    static func report(_ name: String) throws -> AnalysisReport {
        if let report = cache.withLock({ $0[name] }) { return report }
        let truth = try CorpusTruth.load(name)
        var options = AnalysisOptions()
        options.serverPorts = [UInt16(truth.port)]
        let path = TestPaths.corpus.appendingPathComponent(name + ".pcap").path
        let report = try CaptureAnalyzer(options: options).analyze(paths: [path])
        cache.withLock { $0[name] = report }
        return report
    }
}
