import Analysis
import Findings
import Pipeline
import ArgumentParser
import Capture
import Dispatch
import Report
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension RespcapCommand {
    struct Live: ParsableCommand {
        static let configuration = CommandConfiguration(
            // Named here, not derived from the type: see `Analyze`.
            commandName: "live",
            abstract: "Analyse traffic on a network interface as it happens (needs root or CAP_NET_RAW).",
            discussion: """
                Captures through libpcap (whole packets, promiscuous off, kernel BPF filter on --port plus --filter) \
                until --duration, --count, --commands, or ^C / SIGTERM, then writes the same report as \
                'respcap analyze'. While it runs, a status line on stderr shows commands/s, top commands, \
                connections, p99 and drops. Capture and analysis run on separate threads; if analysis falls \
                behind, packets are counted as not analysed rather than slowing the capture.

                Packets are parsed without privilege: once the interface, the metrics port and the outputs are open, \
                a child process becomes --user (nobody when started as root), drops every capability and sets \
                no_new_privs; the process you started keeps its privileges only to put the outputs in place.

                Examples:
                  sudo respcap live -i lo --port 6379
                  sudo respcap live -i any --duration 60 --format json -o report.json
                  sudo respcap live -i eth0 --write redis.pcap   # keep the packets too
                  sudo respcap live -i eth0 --metrics :9187      # for Prometheus
                  respcap live --list

                Exit codes as for analyze (6: nothing was captured on the Redis ports), and 5: report written, \
                but packets were dropped (kernel, interface, or not analysed).
                """
        )

        @Option(name: [.short, .customLong("interface")], help: "Interface to capture on (e.g. eth0, lo, any).")
        var interface: String?

        @Flag(name: .long, help: "List the interfaces you can capture on, and exit.")
        var list = false

        @Option(name: [.short, .customLong("snaplen")], help: "Bytes kept of each packet; 0 keeps whole packets.")
        var snaplen = 0

        @Option(name: [.customShort("B"), .customLong("buffer-size")], help: "Kernel capture buffer in KiB (as tcpdump -B).")
        var bufferKiB = 32_768

        @Flag(name: .long, help: "Deliver each packet as it arrives rather than in blocks of up to 100 ms (on Linux this holds fewer packets per buffer).")
        var immediate = false

        @Flag(name: .long, help: "Put the interface in promiscuous mode (off by default).")
        var promiscuous = false

        @Option(name: .long, help: ArgumentHelp("Stop after this many seconds.", valueName: "seconds"))
        var duration: Double?

        @Option(name: [.short, .customLong("count")], help: ArgumentHelp("Stop after this many packets.", valueName: "packets"))
        var count: Int?

        @Option(name: .customLong("commands"), help: ArgumentHelp("Stop after this many commands.", valueName: "commands"))
        var commands: Int?

        @Option(name: .customLong("write"), help: ArgumentHelp("Also save the captured packets to FILE (pcap) for 'respcap analyze'.", valueName: "FILE"))
        var write: String?

        @Option(name: .long, help: ArgumentHelp("Seconds between status lines on stderr.", valueName: "seconds"))
        var interval = 2.0

        @Flag(name: .long, inversion: .prefixedNo, help: "Show the status line even when stderr is not a terminal (default: only on a terminal).")
        var status: Bool?

        @Option(name: .customLong("queue-size"), help: "MiB of packets held between the capture and analysis threads.")
        var queueMiB = 64

        @Option(name: .customLong("metrics"),
                help: ArgumentHelp("Serve Prometheus/OpenMetrics metrics at http://ADDRESS/metrics while capturing (HOST:PORT; "
                                   + "a bare :PORT binds 127.0.0.1).", valueName: "address"))
        var metricsAddress: String?

        @Option(name: .customLong("user"),
                help: ArgumentHelp("Capture and analyse as USER (a name or uid) once the interface and outputs are open; "
                                   + "default nobody when started as root.", valueName: "user"))
        var user: String?

        @OptionGroup var common: CommonOptions

        func validate() throws {
            if list { return }
            guard let interface, !interface.isEmpty else {
                throw ValidationError("name an interface with -i (e.g. -i lo, -i eth0, -i any); 'respcap live --list' lists them")
            }
            if snaplen < 0 || snaplen > 262_144 { throw ValidationError("--snaplen must be between 0 (whole packets) and 262144") }
            if bufferKiB < 1 || bufferKiB > 4 << 20 { throw ValidationError("-B must be between 1 and 4194304 KiB") }
            if let duration, !(duration > 0) || duration > 31_536_000 { throw ValidationError("--duration must be greater than 0 and at most 31536000 seconds") }
            if let count, count < 1 { throw ValidationError("--count must be at least 1") }
            if let commands, commands < 1 { throw ValidationError("--commands must be at least 1") }
            if !(interval > 0) || interval > 86_400 { throw ValidationError("--interval must be greater than 0 and at most 86400 seconds") }
            if queueMiB < 1 || queueMiB > 16_384 { throw ValidationError("--queue-size must be between 1 and 16384 MiB") }
            do { _ = try PrivilegeDrop(user: user) } catch {
                if error.isUsageError { throw ValidationError(error.description) }
            }
        }

        /// The kernel filter: TCP on the Redis ports (all TCP while Redis is looked for on every port), and the user's
        /// expression when given.
        static func bpfExpression(ports: Set<UInt16>, searchesEveryPort: Bool = false, filter: String?) -> String {
            if searchesEveryPort {
                guard let filter, filter.contains(where: { $0 != " " }) else { return "tcp" }
                return "tcp and (\(filter))"
            }
            let portClause = ports.sorted().map { "port \($0)" }.joined(separator: " or ")
            let base = ports.count == 1 ? "tcp \(portClause)" : "tcp and (\(portClause))"
            guard let filter, filter.contains(where: { $0 != " " }) else { return base }
            return "(\(base)) and (\(filter))"
        }

        func run() throws {
            if list { return try listInterfaces() }
            guard let interface else { throw ExitStatus.inputError }
            let drop: PrivilegeDrop
            do { drop = try PrivilegeDrop(user: user) } catch {
                Diagnostics.error(error.description)
                throw error.isUsageError ? ExitStatus.usageError : ExitStatus.inputError
            }
            var analysisOptions = try common.analysisOptions()
            // The kernel applies the filter; the analyzer need not test every packet again.
            analysisOptions.filter = nil
            // Clients append their secrets as they connect: a connection waits for its lines instead of failing.
            analysisOptions.tlsKeys?.waitsForGrowth = true
            // Outputs first: a refused or unwritable output costs no capture, and nothing is replaced until the end.
            let plan = try OutputPlan(common: common, inputs: [], packets: write)
            try plan.writing {
                // The capture process may not create files in the chart directory.
                try plan.openAllCharts()
                try capture(on: interface, options: analysisOptions, plan: plan, drop: drop)
            }
        }

        /// Opens what needs privileges (the interface, the metrics port), then hands the capture to a process
        /// without them (`PrivilegedParent`), and puts the outputs in place by how it ended.
        private func capture(on interface: String, options analysisOptions: AnalysisOptions, plan: OutputPlan,
                             drop: PrivilegeDrop) throws {
            let expression = Self.bpfExpression(ports: analysisOptions.serverPorts, searchesEveryPort: analysisOptions.searchesEveryPort,
                                             filter: common.filter)
            var captureOptions = LiveCaptureOptions(interface: interface)
            captureOptions.snapLength = snaplen == 0 ? 262_144 : snaplen
            captureOptions.bufferBytes = bufferKiB * 1024
            captureOptions.immediate = immediate
            captureOptions.promiscuous = promiscuous
            captureOptions.filter = expression
            let capture: LiveCapture
            do {
                capture = try LiveCapture(options: captureOptions)
            } catch {
                Diagnostics.error(error.message)
                throw ExitStatus.inputError
            }
            plan.packetWriter = plan.packets.map { capture.save(to: $0.descriptor) }

            let metrics = metricsAddress == nil ? nil : MetricsRecorder()
            var server: MetricsServer?
            if let metricsAddress, let metrics {
                do {
                    server = try MetricsServer(address: metricsAddress) { openMetrics in
                        let format: MetricsExposition.Format = openMetrics ? .openMetrics : .prometheus
                        return (MetricsExposition.render(metrics.snapshot(), format: format), format.contentType)
                    }
                } catch {
                    Diagnostics.error(error.description)
                    throw ExitStatus.inputError
                }
            }
            let status = try PrivilegedParent.run(plan: plan, drop: drop) { stopRequests in
                do {
                    try analyse(capture, interface: interface, expression: expression, options: analysisOptions, plan: plan,
                                metrics: metrics, server: server, stopRequests: stopRequests)
                    return 0
                } catch let code as ExitCode {
                    return code.rawValue
                } catch {
                    Diagnostics.error("\(error)")
                    return ExitStatus.inputError.rawValue
                }
            }
            if status != 0 { throw ExitCode(status) }
        }

        /// The capture process, without privileges: captures and analyses until a stop condition, then writes the
        /// report into the plan's outputs (the parent puts them in place). Throws the exit status.
        private func analyse(_ capture: LiveCapture, interface: String, expression: String, options analysisOptions: AnalysisOptions,
                             plan: OutputPlan, metrics: MetricsRecorder?, server: MetricsServer?, stopRequests: Int32) throws {
            server?.start()
            defer { server?.stop() }
            let packetWriter = plan.packetWriter
            let events = EventOutput(plan: plan, redactKeys: common.redactKeys)
            let showStatus = !common.quiet && (status ?? (isatty(2) != 0))
            let summary = LiveSummary(interface: interface, inPlace: isatty(2) != 0)
            var analyzer = LiveAnalyzer(options: analysisOptions,
                                        stop: .init(durationSeconds: duration, packets: count, commands: commands))
            analyzer.queueBytes = queueMiB << 20
            analyzer.queuePackets = max(queueMiB << 20 / 128, 1024)

            let signals = SignalStopper(forwardedOn: stopRequests, stop: { [capture] in capture.stop() })
            if !common.quiet {
                Diagnostics.write("respcap: capturing on \(interface) (\(capture.linkType.description), filter '\(expression)'); "
                                  + "^C stops and writes the report\n")
                if let server { Diagnostics.write("respcap: metrics at http://\(server.boundAddress)/metrics\n") }
            }
            let report: AnalysisReport
            do {
                var extra: [any TrafficAnalysis] = showStatus ? [summary] : []
                if let events { extra.append(events.writer) }
                if let metrics { extra.append(metrics) }
                report = try analyzer.run(capture: capture, extraAnalyses: extra, statusInterval: showStatus ? interval : nil,
                                          status: { status, registry in summary.refresh(status, registry: registry) },
                                          tick: metrics.map { metrics in { status in metrics.update(from: status) } })
            } catch {
                signals.cancel()
                summary.clear()
                Diagnostics.error(error.message)
                throw ExitStatus.inputError
            }
            signals.cancel()
            summary.clear()
            if let packetWriter, let failure = packetWriter.failure, let file = plan.packets {
                Diagnostics.error("cannot write the packets to \(file.path): \(failure)")
                throw ExitStatus.outputError
            }
            try events?.finish()
            var finished = report
            finished.capture.filter = expression
            try ReportOutput.write(finished, format: common.format, plan: plan, quiet: common.quiet)
            if !common.quiet { for warning in finished.warnings { Diagnostics.warning(warning) } }
            if finished.quality.reason != nil { throw ExitStatus.unusableCapture }
            if finished.quality.truncated { throw ExitStatus.partialInput }
            let q = finished.quality
            if (q.captureDropsKernel ?? 0) + (q.captureDropsInterface ?? 0) + (q.packetsNotAnalysed ?? 0) > 0 {
                throw ExitStatus.captureDrops
            }
        }

        private func listInterfaces() throws {
            let interfaces: [NetworkInterface]
            do { interfaces = try LiveCapture.interfaces() } catch {
                Diagnostics.error(error.message)
                throw ExitStatus.inputError
            }
            var text = ""
            for entry in interfaces {
                var flags: [String] = []
                if entry.isUp { flags.append("up") }
                if entry.isRunning { flags.append("running") }
                if entry.isLoopback { flags.append("loopback") }
                var line = entry.name
                if !flags.isEmpty { line += " [" + flags.joined(separator: ", ") + "]" }
                if !entry.addresses.isEmpty { line += " " + entry.addresses.joined(separator: " ") }
                if let description = entry.description { line += " — " + description }
                text += line + "\n"
            }
            print(text, terminator: "")
        }
    }
}
