import Report
import Analysis
import Findings
import Pipeline
import ArgumentParser

/// Options of `diff` and `merge`, which write one document: its format and file, and how capture inputs are
/// analysed. Only what they accept, so that their help lists nothing they would refuse.
struct DocumentOptions: ParsableArguments {
    @Option(name: .long, help: "Report format.")
    var format: DocumentFormat = .markdown

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write the report to FILE instead of stdout.", valueName: "FILE"))
    var output: String?

    @OptionGroup var capture: CaptureOptions

    var quiet: Bool { capture.quiet }

    func analysisOptions() throws -> AnalysisOptions { try capture.analysisOptions() }
}

/// The formats of one document (no event stream: NDJSON is for `analyze` and `live`).
enum DocumentFormat: String, CaseIterable, ExpressibleByArgument {
    case markdown, json

    var reportFormat: ReportFormat {
        switch self {
        case .markdown: return .markdown
        case .json: return .json
        }
    }

    var diffRenderer: any DiffRenderer.Type {
        switch self {
        case .markdown: return MarkdownDiffRenderer.self
        case .json: return JSONReportRenderer.self
        }
    }
}
