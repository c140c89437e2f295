import Analysis
import ArgumentParser
import Foundation
import Report

enum ReportOutput {
    static func render(_ report: AnalysisReport, format: ReportFormat) throws -> String {
        switch format {
        case .markdown: return MarkdownReportRenderer.render(report)
        case .json: return try JSONReportRenderer.render(report)
        case .ndjson:
            Diagnostics.error("--format ndjson (one event per command) is not available yet; use markdown or json")
            throw ExitStatus.inputError
        }
    }

    /// Writes the report to `path` (atomically) or to stdout.
    static func write(_ report: AnalysisReport, format: ReportFormat, to path: String?) throws {
        let text = try render(report, format: format)
        do {
            if let path, path != "-" {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        } catch {
            Diagnostics.error("cannot write the report to \(path ?? "stdout"): \(error.localizedDescription)")
            throw ExitStatus.outputError
        }
    }
}
