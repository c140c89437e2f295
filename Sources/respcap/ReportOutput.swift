import Analysis
import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Report
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        } catch {
            Diagnostics.error("cannot create the chart directory \(directory)")
            throw ExitStatus.outputError
        }
        for chart in charts {
            let path = directory.hasSuffix("/") ? directory + chart.name + ".svg" : directory + "/" + chart.name + ".svg"
            if let failure = writeAtomically(SVGChartRenderer.render(chart), to: path) {
                Diagnostics.error("cannot write the chart \(path): \(failure)")
                throw ExitStatus.outputError
            }
        }
        if !common.quiet {
            Diagnostics.write(charts.isEmpty ? "respcap: no charts for this capture (too short or a single command)\n"
                              : "respcap: charts in \(directory): \(charts.map { $0.name + ".svg" }.joined(separator: ", "))\n")
        }
    }

    /// Writes a rendered document to `path` (atomically) or to stdout.
    static func write(text: String, to path: String?) throws {
        let failure: String?
        if let path, path != "-" {
            failure = writeAtomically(text, to: path)
        } else {
            let output = FileDescriptorOutput.standardOutput()
            output.write(text)
            failure = output.failure
        }
        if let failure {
            Diagnostics.error("cannot write the report to \(path ?? "stdout"): \(failure)")
            throw ExitStatus.outputError
        }
    }

    /// Writes `text` to a temporary file beside `path`, then renames it over `path`, so a reader never sees half a
    /// report. Returns why it failed, or nil.
    static func writeAtomically(_ text: String, to path: String) -> String? {
        let temporary = path + ".respcap-\(getpid()).tmp"
        let output: FileDescriptorOutput
        switch FileDescriptorOutput.create(path: temporary) {
        case .success(let created): output = created
        case .failure(let error): return error.reason
        }
        output.write(text)
        output.close()
        if let failure = output.failure {
            unlink(temporary)
            return failure
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            return reason
        }
        return nil
    }
}

/// Where per-command events go: stdout or -o with `--format ndjson`, or the file named by `--events`.
struct EventOutput {
    let writer: NDJSONEventWriter
    let output: FileDescriptorOutput

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
            let output = FileDescriptorOutput.standardOutput()
            return EventOutput(writer: NDJSONEventWriter(output: output, redactKeys: common.redactKeys), output: output)
        }
        switch FileDescriptorOutput.create(path: path) {
        case .success(let output):
            return EventOutput(writer: NDJSONEventWriter(output: output, redactKeys: common.redactKeys), output: output)
        case .failure(let error):
            Diagnostics.error("cannot write events to \(path): \(error.reason)")
            throw ExitStatus.outputError
        }
    }

    /// Flushes and closes; a write error (disk full...) is reported, and the run ends with the output error status.
    func close() throws {
        writer.flush()
        output.close()
        if let failure = output.failure {
            Diagnostics.error("cannot write the events: \(failure)")
            throw ExitStatus.outputError
        }
    }
}
