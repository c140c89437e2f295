import Analysis
import Findings
import Pipeline
import ArgumentParser
import Report

extension RespcapCommand {
    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            // Named here, not derived from the type: see `Analyze`.
            commandName: "merge",
            abstract: "Combine reports from several hosts or capture windows into one report.",
            discussion: """
                Inputs are JSON reports ('respcap analyze --format json'); a capture is analysed first, with the \
                same options as 'analyze'. Counts add; latency percentiles are recomputed from the merged \
                histograms (exact at 1% precision); capture time is the union of the inputs' time ranges, so \
                rates are per second captured; the timeline is aligned by absolute time; findings are evaluated \
                again (--threshold applies). Top-k lists (keys, slowest commands...) merge approximately, and the \
                merged report says so in its warnings. A report of a capture already given (the same file twice, \
                or a copy: same capture fingerprint) is counted once, with a warning.

                Reports with hashed keys (--redact-keys) merge only when their keys were hashed alike: with the same \
                --redact-salt (or --redact-salt-file) on every host, or in one run.

                Examples:
                  respcap merge host1.json host2.json host3.json
                  respcap merge --format json -o fleet.json reports/*.json
                  respcap merge --threshold errorRatePercent=5 window-*.json
                  respcap analyze --redact-salt-file /etc/respcap/salt --format json -o host1.json host1.pcap

                Exit codes: 0 report written; 2 an input is unusable (not a report, bad JSON), or reports with \
                hashed keys were hashed with different salts; 3 report written but an input capture was truncated; \
                4 the report could not be written; 64 usage error.
                """
        )

        @OptionGroup var options: DocumentOptions

        @Option(name: .customLong("svg"), help: ArgumentHelp("Also write the report's charts as standalone SVG files into DIR.", valueName: "DIR"))
        var svgDirectory: String?

        @Argument(help: ArgumentHelp("JSON reports (or captures) to merge.", valueName: "report"))
        var reports: [String] = []

        func validate() throws {
            if reports.isEmpty { throw ValidationError("no reports given: name the JSON reports to merge") }
            // One pass: thousands of inputs are checked in linear time.
            var standardInput = 0
            for report in reports where report == "-" { standardInput += 1 }
            if standardInput > 1 { throw ValidationError("only one input can be read from standard input") }
        }

        func run() throws {
            let analysisOptions = try options.analysisOptions()
            // Signals are taken before the temporary exists, so that a ^C never leaves it behind.
            let signals = SignalStopper.exitingAtOnce()
            defer { signals.cancel() }
            let plan = try OutputPlan(report: options.output ?? "-", events: nil, packets: nil,
                                      chartDirectory: svgDirectory, inputs: reports)
            try plan.writing { try run(analysisOptions: analysisOptions, plan: plan) }
        }

        private func run(analysisOptions: AnalysisOptions, plan: OutputPlan) throws {
            let documents = try ReportInputs.load(reports, options: analysisOptions, quiet: options.quiet)
            if options.capture.hashesKeys, let plain = documents.first(where: { $0.report.keys.map { !$0.redacted } ?? false }) {
                // Keys in a JSON report are already text: hashing them now would not hide them from that report.
                Diagnostics.error("\(plain.label): its keys are not hashed (it was made without --redact-keys); "
                                  + "analyse the capture again with --redact-keys")
                throw ExitStatus.inputError
            }
            let duplicates = ReportMerger.duplicates(documents)
            let distinct = documents.indices.filter { index in !duplicates.contains { $0.index == index } }.map { documents[$0] }
            if let conflict = ReportMerger.redactionConflict(distinct) {
                Diagnostics.error(conflict)
                throw ExitStatus.inputError
            }
            for duplicate in duplicates { Diagnostics.warning(ReportMerger.describe(duplicate, in: documents)) }
            let merged: AnalysisReport
            do {
                merged = try ReportMerger(thresholds: analysisOptions.thresholds).merge(documents)
            } catch {
                Diagnostics.error(error.description)
                throw ExitStatus.inputError
            }
            try ReportOutput.write(merged, format: options.format.reportFormat, plan: plan, quiet: options.quiet)
            try plan.commit()
            if documents.contains(where: { $0.report.quality.truncated }) { throw ExitStatus.partialInput }
        }
    }
}
