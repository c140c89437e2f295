import Analysis
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension JSONReportRenderer {
    /// The diff document (`"schema": "respcap.diff/1"`), keys sorted so output is stable.
    public static func render(_ diff: ReportDiff) throws -> String {
        try sortedJSON(diff)
    }
}
