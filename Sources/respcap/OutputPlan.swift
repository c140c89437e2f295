import Capture
import Report
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every path a run writes, opened and checked before any input is read or any packet captured: an output that is
/// also an input, or that two outputs share, is refused; nothing existing is truncated or replaced until `commit()`
/// (after the run succeeded), and `discard()` leaves every existing file as it was.
final class OutputPlan: @unchecked Sendable {
    /// The report (`-o`, or standard output), nil for `--format ndjson` (whose events are the output).
    let report: OutputFile?
    /// Per-command events: `--events`, or `-o` with `--format ndjson`.
    let events: OutputFile?
    /// `live --write`: the captured packets.
    let packets: OutputFile?
    /// `--svg DIR`: checked now, written at the end (chart names depend on the report).
    let chartDirectory: String?
    private var charts: [OutputFile] = []
    /// Every chart of `--svg`, opened ahead by `openAllCharts()`; those left empty are not put in place.
    private var chartsOpenedAhead = false
    /// Set once the packets' writer exists, so an immediate exit can end the file on a whole record.
    var packetWriter: PcapFileWriter?
    /// In `live`'s capture process: another process (`PrivilegedParent`) puts the outputs in place, or discards them,
    /// once this one has exited; this one only writes.
    var isCommittedElsewhere = false

    /// The running plan, for the signal path (a second ^C).
    nonisolated(unsafe) static var active: OutputPlan?

    /// The outputs named by `common` (and `--write` for live), for `inputs` (paths; `-` is standard input).
    convenience init(common: CommonOptions, inputs: [String], packets: String? = nil) throws {
        try self.init(report: common.format == .ndjson ? nil : (common.output ?? "-"),
                      events: common.format == .ndjson ? (common.output ?? "-") : common.events,
                      packets: packets, chartDirectory: common.svgDirectory, inputs: inputs)
    }

    /// A single document (`diff`, `merge`) at `reportPath` (`-` is standard output).
    convenience init(reportPath: String, inputs: [String]) throws {
        try self.init(report: reportPath, events: nil, packets: nil, chartDirectory: nil, inputs: inputs)
    }

    /// Opens the outputs (nil: not written) for `inputs`. Prints the reason and throws the exit status when one is
    /// refused or cannot be opened.
    init(report reportPath: String?, events eventsPath: String?, packets packetsPath: String?, chartDirectory: String?,
         inputs: [String]) throws {
        var identities: [(String, FileIdentity)] = []
        for input in inputs {
            var st = stat()
            let found = input == "-" ? fstat(0, &st) == 0 : stat(input, &st) == 0
            if found && (st.st_mode & S_IFMT) == S_IFREG { identities.append((input, FileIdentity(st))) }
        }
        var requested: [(role: String, path: String)] = []
        if let reportPath { requested.append(("report", reportPath)) }
        if let eventsPath { requested.append(("events", eventsPath)) }
        if let packetsPath { requested.append(("packets", packetsPath)) }
        try Self.refuseSharedPaths(requested)
        self.chartDirectory = chartDirectory
        if let directory = chartDirectory { try Self.checkChartDirectory(directory, inputs: identities) }

        var opened: [OutputFile] = []
        func open(_ role: String, _ path: String?, newFileMode: mode_t? = nil) throws -> OutputFile? {
            guard let path else { return nil }
            do {
                let file = try OutputFile.open(path, role: role, newFileMode: newFileMode)
                opened.append(file)
                return file
            } catch {
                for file in opened { file.discard() }
                Diagnostics.error("cannot write the \(role) to \(path): \(error.reason)")
                throw ExitStatus.outputError
            }
        }
        report = try open("report", reportPath)
        // Events name every key a command touched: a new file is for its owner only.
        events = try open("events", eventsPath, newFileMode: 0o600)
        packets = try open("packets", packetsPath)
        do {
            try Self.refuseConflicts(opened, inputs: identities)
        } catch {
            for file in opened { file.discard() }
            throw error
        }
        Self.active = self
    }

    /// Two outputs named by the same path (or both standard output) would interleave.
    private static func refuseSharedPaths(_ requested: [(role: String, path: String)]) throws {
        let places = requested.map { place(of: $0.path) }
        for i in requested.indices {
            for j in requested.indices where j > i && places[i] == places[j] && places[i] != nil {
                let shared = places[i] == "fd 1" ? "standard output" : requested[i].path
                Diagnostics.error("the \(requested[i].role) and the \(requested[j].role) would both be written to \(shared): "
                                  + "give each its own file")
                throw ExitStatus.usageError
            }
        }
    }

    /// Where a path writes, comparable across spellings (links, `./x`, `/dev/stdout` and `-`): a descriptor, or the
    /// directory's device and inode and the file name. Nil for character devices, which outputs may share.
    private static func place(of path: String) -> String? {
        let target = path == "-" ? path : ((try? OutputFile.resolvingLinks(path)) ?? path)
        if let fd = OutputFile.namedDescriptor(target) { return "fd \(fd)" }
        var st = stat()
        if stat(target, &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR { return nil }
        let name = target.split(separator: "/").last.map(String.init) ?? target
        guard let directory = FileIdentity.of(path: OutputFile.directory(of: target)) else { return target }
        return "\(directory.device):\(directory.inode)/\(name)"
    }

    /// An output that is an input (same inode) would destroy the capture; two outputs on one file would corrupt each
    /// other. Character devices (`/dev/null`, a terminal) may be shared.
    private static func refuseConflicts(_ outputs: [OutputFile],
                                        inputs: [(path: String, identity: FileIdentity)]) throws {
        for (i, output) in outputs.enumerated() {
            guard let identity = output.identity, !output.isCharacterDevice else { continue }
            if let input = inputs.first(where: { $0.identity == identity }) {
                Diagnostics.error("the \(output.role) output \(output.path) is the input \(input.path == "-" ? "(standard input)" : input.path): "
                                  + "respcap never writes over what it reads; choose another output path")
                throw ExitStatus.usageError
            }
            for other in outputs[(i + 1)...] where other.identity == identity {
                Diagnostics.error("the \(output.role) (\(output.path)) and the \(other.role) (\(other.path)) are the same file: "
                                  + "give each its own file")
                throw ExitStatus.usageError
            }
        }
    }

    /// `--svg DIR`: DIR is a directory, or can be created; no chart file in it is an input.
    private static func checkChartDirectory(_ directory: String, inputs: [(path: String, identity: FileIdentity)]) throws {
        var st = stat()
        let resolved: String
        do { resolved = try OutputFile.resolvingLinks(directory) } catch {
            Diagnostics.error("cannot write charts to \(directory): \(error.reason)")
            throw ExitStatus.outputError
        }
        if stat(resolved, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                Diagnostics.error("cannot write charts to \(directory): not a directory")
                throw ExitStatus.outputError
            }
            guard access(resolved, W_OK | X_OK) == 0 else {
                Diagnostics.error("cannot write charts to \(directory): \(String(cString: strerror(errno)))")
                throw ExitStatus.outputError
            }
            for name in ReportChart.names {
                let path = chartPath(directory, name)
                if let identity = FileIdentity.of(path: path), let input = inputs.first(where: { $0.identity == identity }) {
                    Diagnostics.error("the chart \(path) is the input \(input.path): choose another chart directory")
                    throw ExitStatus.usageError
                }
            }
        } else {
            // Created at the end (with its parents); the nearest existing ancestor must let us.
            var ancestor = OutputFile.directory(of: resolved)
            while stat(ancestor, &st) != 0 && ancestor != "/" && ancestor != "." { ancestor = OutputFile.directory(of: ancestor) }
            guard (st.st_mode & S_IFMT) == S_IFDIR, access(ancestor, W_OK | X_OK) == 0 else {
                Diagnostics.error("cannot create the chart directory \(directory): \(ancestor) is not a writable directory")
                throw ExitStatus.outputError
            }
        }
    }

    static func chartPath(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name + ".svg" : directory + "/" + name + ".svg"
    }

    /// Opens every chart the report could have (creating the chart directory), for a process that cannot create
    /// files there once it runs the analysis. `commit()` puts in place only those written.
    func openAllCharts() throws {
        guard chartDirectory != nil else { return }
        for name in ReportChart.names { _ = try openChart(named: name) }
        chartsOpenedAhead = true
    }

    /// Opens a chart file in the chart directory (creating it), checked like the other outputs.
    func openChart(named name: String) throws -> OutputFile? {
        guard let directory = chartDirectory else { return nil }
        if chartsOpenedAhead {
            return charts.first { $0.path == Self.chartPath(directory, name) }
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            Diagnostics.error("cannot create the chart directory \(directory)")
            throw ExitStatus.outputError
        }
        let path = Self.chartPath(directory, name)
        do {
            let file = try OutputFile.open(path, role: "chart")
            charts.append(file)
            return file
        } catch {
            Diagnostics.error("cannot write the chart \(path): \(error.reason)")
            throw ExitStatus.outputError
        }
    }

    /// Puts every output in place, the report last. Prints the first failure and throws the output error status.
    func commit() throws {
        Self.active = nil
        var failed = false
        var charts = charts
        if chartsOpenedAhead {
            for chart in charts where !chart.hasContent { chart.discard() }
            charts = charts.filter(\.hasContent)
        }
        for file in [packets, events].compactMap({ $0 }) + charts + [report].compactMap({ $0 }) {
            if failed {
                file.discard()
                continue
            }
            do { try file.commit() } catch {
                Diagnostics.error("cannot write the \(file.role) to \(file.path): \(error.reason)")
                failed = true
            }
        }
        if failed { throw ExitStatus.outputError }
    }

    /// Runs `body`, which writes into the outputs and commits them; when it throws, every output is discarded (each
    /// existing file stays as it was) and the error passes on.
    func writing(_ body: () throws -> Void) throws {
        do { try body() } catch {
            discard()
            throw error
        }
    }

    /// Leaves every existing file as it was.
    func discard() {
        Self.active = nil
        for file in [report, events, packets].compactMap({ $0 }) + charts { file.discard() }
    }

    /// After an immediate exit (a second ^C): the saved packets (already ended on a whole record) are put in place,
    /// every other output is discarded.
    func keepPacketsOnly() {
        Self.active = nil
        if let packets {
            do { try packets.commit() } catch {
                Diagnostics.error("cannot write the packets to \(packets.path): \(error.reason)")
            }
        }
        discard()
    }

    /// For an immediate exit (a second ^C), from the signal queue: the saved packets end on a whole record and are
    /// put in place; every other temporary is removed. Where another process commits, only the packets are ended.
    static func abandonForExit() {
        let plan = active
        plan?.packetWriter?.abandon()
        if plan?.isCommittedElsewhere == true { return }
        if let plan, plan.packetWriter != nil, let packets = plan.packets { try? packets.commit() }
        OutputFile.registry.removeAll()
    }
}
