import ArgumentParser
import Report

enum ReportFormat: String, CaseIterable, ExpressibleByArgument {
    case markdown, json, ndjson

    /// What writes the report document; nil for NDJSON, whose events are written while the capture is read.
    var reportRenderer: (any ReportRenderer.Type)? {
        switch self {
        case .markdown: return MarkdownReportRenderer.self
        case .json: return JSONReportRenderer.self
        case .ndjson: return nil
        }
    }
}
