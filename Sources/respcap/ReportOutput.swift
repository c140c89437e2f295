import Analysis
import Findings
import Pipeline
import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Report

enum ReportOutput {
    static func render(_ report: AnalysisReport, format: ReportFormat) throws -> String {
        // NDJSON has no report document: its events are streamed while the capture is read (EventOutput).
        try format.reportRenderer?.render(report, title: nil) ?? ""
    }

    /// Writes the report and its charts into the plan's outputs (put in place by `plan.commit()`).
    static func write(_ report: AnalysisReport, format: ReportFormat, plan: OutputPlan, quiet: Bool) throws {
        if let file = plan.report { try write(text: try render(report, format: format), to: file) }
        try writeCharts(report, plan: plan, quiet: quiet)
    }

    /// Writes the report's charts as `DIR/<chart>.svg` when `--svg DIR` was given (the directory is created).
    private static func writeCharts(_ report: AnalysisReport, plan: OutputPlan, quiet: Bool) throws {
        guard let directory = plan.chartDirectory else { return }
        let charts = ReportChart.all(for: report)
        for chart in charts {
            if let file = try plan.openChart(named: chart.name) { try write(text: SVGChartRenderer.render(chart), to: file) }
        }
        if !quiet {
            Diagnostics.write(charts.isEmpty ? "respcap: no charts for this capture (too short or a single command)\n"
                              : "respcap: charts in \(directory): \(charts.map { $0.name + ".svg" }.joined(separator: ", "))\n")
        }
    }

    /// Writes a rendered document to one output.
    static func write(text: String, to file: OutputFile) throws {
        let output = FileDescriptorOutput(descriptor: file.descriptor)
        output.write(text)
        if let failure = output.failure {
            Diagnostics.error("cannot write the \(file.role) to \(file.path == "-" ? "standard output" : file.path): \(failure)")
            throw ExitStatus.outputError
        }
    }
}

/// Where per-command events go: stdout or -o with `--format ndjson`, or the file named by `--events`.
struct EventOutput {
    let writer: NDJSONEventWriter
    let output: FileDescriptorOutput
    let file: OutputFile

    init?(plan: OutputPlan, redactKeys: Bool) {
        guard let file = plan.events else { return nil }
        self.file = file
        output = FileDescriptorOutput(descriptor: file.descriptor)
        writer = NDJSONEventWriter(output: output, redactKeys: redactKeys)
    }

    /// Flushes; a write error (disk full...) is reported, and the run ends with the output error status.
    func finish() throws {
        writer.flush()
        if let failure = output.failure {
            Diagnostics.error("cannot write the events to \(file.path == "-" ? "standard output" : file.path): \(failure)")
            throw ExitStatus.outputError
        }
    }
}
