import Analysis
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The machine-readable report: `AnalysisReport` as JSON, keys sorted so output is stable and diffable.
public enum JSONReportRenderer {
    public static func render(_ report: AnalysisReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(report)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    public static func decode(_ data: Data) throws -> AnalysisReport {
        try JSONDecoder().decode(AnalysisReport.self, from: data)
    }
}
