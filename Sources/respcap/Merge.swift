import Analysis
import ArgumentParser
import Report

extension RespcapCommand {
    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Combine reports from several hosts or capture windows into one report.",
            discussion: """
                Inputs are JSON reports ('respcap analyze --format json'); a capture is analysed first, with the \
                same options as 'analyze'. Counts add; latency percentiles are recomputed from the merged \
                histograms (exact at 1% precision); capture time is the union of the inputs' time ranges, so \
                rates are per second captured; the timeline is aligned by absolute time; findings are evaluated \
                again (--threshold applies). Top-k lists (keys, slowest commands...) merge approximately, and the \
                merged report says so in its warnings.

                Examples:
                  respcap merge host1.json host2.json host3.json
                  respcap merge --format json -o fleet.json reports/*.json
                  respcap merge --threshold errorRateWarning=0.05 window-*.json

                Exit codes: 0 report written; 2 an input is unusable (not a report, bad JSON); 3 report written \
                but an input capture was truncated; 4 the report could not be written; 64 usage error.
                """
        )

        @OptionGroup var common: CommonOptions

        @Argument(help: ArgumentHelp("JSON reports (or captures) to merge.", valueName: "report"))
        var reports: [String] = []

        func validate() throws {
            try common.validateReportOnly(subcommand: "merge")
            if reports.isEmpty { throw ValidationError("no reports given: name the JSON reports to merge") }
            if reports.filter({ $0 == "-" }).count > 1 { throw ValidationError("only one input can be read from standard input") }
        }

        func run() throws {
            let options = try common.analysisOptions()
            let plan = try OutputPlan(report: common.output ?? "-", events: nil, packets: nil,
                                      chartDirectory: common.svgDirectory, inputs: reports)
            do {
                try run(options: options, plan: plan)
            } catch {
                plan.discard()
                throw error
            }
        }

        private func run(options: AnalysisOptions, plan: OutputPlan) throws {
            let documents = try ReportInputs.load(reports, options: options, quiet: common.quiet)
            if common.redactKeys, let plain = documents.first(where: { $0.report.keys.map { !$0.redacted } ?? false }) {
                // Keys in a JSON report are already text: hashing them now would not hide them from that report.
                Diagnostics.error("\(plain.label): its keys are not hashed (it was made without --redact-keys); "
                                  + "analyse the capture again with --redact-keys")
                throw ExitStatus.inputError
            }
            let merged: AnalysisReport
            do {
                merged = try ReportMerger(thresholds: options.thresholds).merge(documents)
            } catch {
                Diagnostics.error(error.description)
                throw ExitStatus.inputError
            }
            try ReportOutput.write(merged, format: common.format, plan: plan, quiet: common.quiet)
            try plan.commit()
            if documents.contains(where: { $0.report.quality.truncated }) { throw ExitStatus.partialInput }
        }
    }
}
