import Analysis
import Findings
import Pipeline
import ArgumentParser

/// Options shared by `analyze` and `live`: how to analyse (`CaptureOptions`) and what to write.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "Report format.")
    var format: ReportFormat = .markdown

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write the report to FILE instead of stdout.", valueName: "FILE"))
    var output: String?

    @Option(name: .customLong("svg"), help: ArgumentHelp("Also write the report's charts as standalone SVG files into DIR.", valueName: "DIR"))
    var svgDirectory: String?

    @Option(name: .customLong("events"), help: ArgumentHelp("Also write one JSON object per command to FILE (NDJSON).", valueName: "FILE"))
    var events: String?

    @OptionGroup var capture: CaptureOptions

    var quiet: Bool { capture.quiet }
    var filter: String? { capture.filter }
    var redactKeys: Bool { capture.hashesKeys }

    func analysisOptions() throws -> AnalysisOptions { try capture.analysisOptions() }
}
