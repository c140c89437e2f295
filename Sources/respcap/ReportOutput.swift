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
            // Events are streamed while the capture is read (EventOutput); there is no report document.
            return ""
        }
    }

    /// Writes the report to `path` (atomically) or to stdout.
    static func write(_ report: AnalysisReport, format: ReportFormat, to path: String?) throws {
        try write(text: try render(report, format: format), to: path)
    }

    /// Writes the report's charts as `DIR/<chart>.svg` when `--svg DIR` was given (the directory is created).
    static func writeCharts(_ report: AnalysisReport, common: CommonOptions) throws {
        guard let directory = common.svgDirectory else { return }
        let charts = ReportChart.all(for: report)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for chart in charts {
                let path = (directory as NSString).appendingPathComponent(chart.name + ".svg")
                try SVGChartRenderer.render(chart).write(toFile: path, atomically: true, encoding: .utf8)
            }
        } catch {
            Diagnostics.error("cannot write charts to \(directory): \(error.localizedDescription)")
            throw ExitStatus.outputError
        }
        if !common.quiet {
            Diagnostics.write(charts.isEmpty ? "respcap: no charts for this capture (too short or a single command)\n"
                              : "respcap: charts in \(directory): \(charts.map { $0.name + ".svg" }.joined(separator: ", "))\n")
        }
    }

    /// Writes a rendered document to `path` (atomically) or to stdout.
    static func write(text: String, to path: String?) throws {
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

/// Where per-command events go: stdout or -o with `--format ndjson`, or the file named by `--events`.
struct EventOutput {
    let writer: NDJSONEventWriter
    let handle: FileHandle
    let ownsHandle: Bool

    static func open(common: CommonOptions) throws -> EventOutput? {
        let path: String?
        if common.format == .ndjson {
            path = common.output
        } else if let events = common.events {
            path = events
        } else {
            return nil
        }
        guard let path, path != "-" else {
            return EventOutput(writer: NDJSONEventWriter(handle: .standardOutput, redactKeys: common.redactKeys),
                               handle: .standardOutput, ownsHandle: false)
        }
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            Diagnostics.error("cannot write events to \(path)")
            throw ExitStatus.outputError
        }
        return EventOutput(writer: NDJSONEventWriter(handle: handle, redactKeys: common.redactKeys), handle: handle, ownsHandle: true)
    }

    func close() {
        writer.flush()
        if ownsHandle { try? handle.close() }
    }
}
