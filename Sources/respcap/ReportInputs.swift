import Analysis
import Findings
import Pipeline
import ArgumentParser
import Report

/// The inputs of `diff` and `merge`: JSON reports, or captures analysed on the spot.
enum ReportInputs {
    static func load(_ paths: [String], options: AnalysisOptions, quiet: Bool) throws -> [ReportDocument] {
        var documents: [ReportDocument] = []
        for path in paths {
            let progress = ProgressReporter(enabled: !quiet)
            do {
                documents.append(try ReportDocument.load(path: path, options: options, progress: progress.update))
                progress.clear()
            } catch {
                progress.clear()
                Diagnostics.error(error.description)
                throw ExitStatus.inputError
            }
        }
        return documents
    }
}
