import Analysis
import Findings
import Pipeline
import ArgumentParser
import Report

extension RespcapCommand {
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            // Named here, not derived from the type: see `Analyze`.
            commandName: "diff",
            abstract: "Show what changed between two captures or JSON reports (before and after a fix, two hosts, two days).",
            discussion: """
                Each side is a JSON report (from 'respcap analyze --format json' or 'respcap merge --format json'; \
                recognised by its content starting with '{'; '-' reads either from standard input) or a capture, analysed with the same options as \
                'analyze' (--port, --filter...). The diff starts with the biggest changes — findings raised or \
                cleared, then the largest ratios — and then compares commands/s by command, latency percentiles, \
                connections opened, blocking-pop keys scanned per call and errors, with ratios (after ÷ before). \
                Rates are per second of each capture, so captures of different lengths compare.

                Examples:
                  respcap diff before.pcap after.pcap
                  respcap diff --format json -o diff.json before.json after.json
                  respcap diff --port 7000 monday.json tuesday.pcap
                  respcap analyze --format json redis.pcap | respcap diff baseline.json -

                Exit codes: 0 diff written; 2 an input is unusable (not a report or a capture, bad JSON); \
                3 diff written but a capture was truncated; 4 the diff could not be written; 64 usage error.
                """
        )

        @OptionGroup var options: DocumentOptions

        @Argument(help: ArgumentHelp("The baseline: a capture or a JSON report.", valueName: "before"))
        var before: String

        @Argument(help: ArgumentHelp("The capture or JSON report to compare with it.", valueName: "after"))
        var after: String

        func validate() throws {
            if before == "-" && after == "-" { throw ValidationError("only one side can be read from standard input") }
        }

        func run() throws {
            let analysisOptions = try options.analysisOptions()
            // Signals are taken before the temporary exists, so that a ^C never leaves it behind.
            let signals = SignalStopper.exitingAtOnce()
            defer { signals.cancel() }
            let plan = try OutputPlan(reportPath: options.output ?? "-", inputs: [before, after])
            try plan.writing { try run(analysisOptions: analysisOptions, plan: plan) }
        }

        private func run(analysisOptions: AnalysisOptions, plan: OutputPlan) throws {
            let documents = try ReportInputs.load([before, after], options: analysisOptions, quiet: options.quiet)
            let diff = ReportDiff(before: documents[0], after: documents[1])
            let text = try options.format.diffRenderer.render(diff)
            if let file = plan.report { try ReportOutput.write(text: text, to: file) }
            try plan.commit()
            if documents.contains(where: { $0.report.quality.truncated }) { throw ExitStatus.partialInput }
        }
    }
}
