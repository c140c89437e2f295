import Analysis
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The machine-readable report: `AnalysisReport` as JSON, keys sorted so output is stable and diffable.
public enum JSONReportRenderer {
    public static func render(_ report: AnalysisReport) throws -> String {
        try sortedJSON(report)
    }

    /// Pretty-printed JSON with sorted keys and a final newline: by `SortedJSONEncoder`, or by Foundation's encoder
    /// (the same bytes) for a value that uses what `SortedJSONEncoder` does not implement.
    static func sortedJSON(_ value: some Encodable) throws -> String {
        do {
            var bytes = try SortedJSONEncoder().encode(value)
            bytes.append(UInt8(ascii: "\n"))
            return String(decoding: bytes, as: UTF8.self)
        } catch is SortedJSONEncoder.Unsupported {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
        }
    }

    public static func decode(_ data: Data) throws -> AnalysisReport {
        try JSONDecoder().decode(AnalysisReport.self, from: data)
    }
}
