import Analysis
import Findings
import Pipeline
import ArgumentParser
import Capture
import Report
#if canImport(Glibc)
import Glibc
#endif

extension RespcapCommand {
    struct Analyze: ParsableCommand {
        static let configuration = CommandConfiguration(
            // Named here: derived from the type, the name cost ~250,000 instructions of reflection each time
            // ArgumentParser asked for it (22 times a start).
            commandName: "analyze",
            abstract: "Analyse capture files (pcap or pcapng; '-' reads standard input).",
            discussion: """
                Several files are read in order as one capture (tcpdump -C / -G rotations), so a connection \
                split across them stays one connection.

                Examples:
                  respcap analyze redis.pcap
                  respcap analyze --format json -o report.json redis.pcap
                  respcap analyze --port 7000,7001,7002 --filter 'host 10.0.0.5' c.pcapng
                  tcpdump -i eth0 -s 0 -w - 'tcp port 6379' | respcap analyze -
                  respcap analyze --format ndjson -o events.ndjson redis.pcap  # for SQL
                  respcap analyze --svg charts/ -o report.md redis.pcap

                Exit codes: 0 report written; 2 input unusable (missing, not a capture, bad filter); 3 report \
                written but the capture was truncated or corrupt; 4 the report could not be written; 6 report \
                written but nothing could be read from the capture (no packets, none on the Redis ports, all cut \
                by the snaplen): its capture-quality reason says what to do.
                """
        )

        @OptionGroup var common: CommonOptions

        @Argument(help: ArgumentHelp("Capture files; '-' is standard input.", valueName: "file"))
        var files: [String] = []

        @Option(name: .long, help: "Threads: 1 does everything on one; 2 (the default, fastest on 2 cores or more) runs the analyses on a second. Same report.")
        var threads = 2

        func validate() throws {
            if threads < 1 { throw ValidationError("--threads must be at least 1") }
            if files.isEmpty && isatty(0) != 0 {
                throw ValidationError("no capture given: name a pcap/pcapng file, or pipe one in with '-'")
            }
        }

        func run() throws {
            let paths = files.isEmpty ? ["-"] : files
            let options = try common.analysisOptions()
            // Signals are taken before any temporary exists, so that none is left by a ^C at the wrong moment.
            let interruption = StopFlag()
            let signals = SignalStopper(stop: { interruption.set() })
            // Outputs first: a refused or unwritable output costs no reading, and nothing is replaced until the end.
            let plan = try OutputPlan(common: common, inputs: paths)
            try plan.writing {
                try analyze(paths: paths, options: options, plan: plan, interruption: interruption, signals: signals)
            }
        }

        private func analyze(paths: [String], options: AnalysisOptions, plan: OutputPlan, interruption: StopFlag,
                             signals: SignalStopper) throws {
            let progress = ProgressReporter(enabled: !common.quiet)
            let events = EventOutput(plan: plan, redactKeys: common.redactKeys)
            let report: AnalysisReport
            do {
                var analyzer = CaptureAnalyzer(options: options)
                analyzer.threads = threads
                analyzer.interruption = interruption
                report = try analyzer.analyze(paths: paths, extraAnalyses: events.map { [$0.writer] } ?? [],
                                              progress: progress.update)
            } catch {
                signals.cancel()
                progress.clear()
                Diagnostics.error(error.message)
                throw ExitStatus.inputError
            }
            signals.cancel()
            progress.clear()
            try events?.finish()
            try ReportOutput.write(report, format: common.format, plan: plan, quiet: common.quiet)
            try plan.commit()
            if !common.quiet { for warning in report.warnings { Diagnostics.warning(warning) } }
            if report.quality.reason != nil { throw ExitStatus.unusableCapture }
            if report.quality.truncated { throw ExitStatus.partialInput }
            // A file cut short by ^C is part of a capture; standard input ending on ^C is how a piped capture ends.
            // (The file being read when the signal came is the last one opened.)
            let read = report.capture.files.prefix(report.capture.formats.count)
            let interruptedPath = read.last
            if report.quality.interrupted == true && interruptedPath != "-" { throw ExitStatus.partialInput }
        }
    }
}
