import Formatting
import Analysis

enum ClientsSection: ReportSection {
    /// Which job frameworks the keys show, and which client libraries and client names the connections declared,
    /// so advice can be read against the client's own settings; says so when the connections did not say.
    static func render(_ report: AnalysisReport, into out: inout MarkdownWriter, context: MarkdownContext) {
        guard report.clientLibraries != nil || report.clientNames != nil || report.frameworks != nil else { return }
        out.line("## Clients")
        out.blank()
        if let frameworks = report.frameworks, !frameworks.isEmpty {
            out.line("Frameworks, recognised by their keys: " + frameworks.map { framework in
                "**\(MarkdownText.text(framework.name))** (\(MarkdownText.text(framework.evidence)); "
                    + "\(NumberFormatting.grouped(framework.connections)) " + (framework.connections == 1 ? "connection" : "connections")
                    + ", \(NumberFormatting.grouped(framework.commands)) commands)"
            }.joined(separator: "; ") + ".")
            out.blank()
        }
        if let libraries = report.clientLibraries, !libraries.isEmpty {
            let rows = libraries.map { library -> [String] in
                [library.name.isEmpty ? "(no name)" : MarkdownText.code(library.name, inTable: true),
                 library.version.map { MarkdownText.code($0, inTable: true) } ?? "–",
                 NumberFormatting.grouped(library.connections), NumberFormatting.grouped(library.commands)]
            }
            out.line("Client libraries, as the connections declared them (CLIENT SETINFO LIB-NAME / LIB-VER):")
            out.blank()
            out.table(header: ["library", "version", "connections", "commands"], alignRight: [false, false, true, true], rows: rows)
            out.blank()
            if let without = report.connectionsWithoutClientLibrary, without > 0 {
                out.line("\(NumberFormatting.grouped(without)) " + (without == 1 ? "connection" : "connections")
                         + " declared no library: their client is not known from the wire.")
                out.blank()
            }
        } else {
            out.line("No connection declared its client library (CLIENT SETINFO): the client is not known from the wire.")
            out.blank()
        }
        if let names = report.clientNames, !names.isEmpty {
            let rows = names.prefix(10).map {
                [MarkdownText.code($0.name, inTable: true), NumberFormatting.grouped($0.connections), NumberFormatting.grouped($0.commands)]
            }
            out.line("Client names (CLIENT SETNAME, HELLO SETNAME)" + (names.count > 10 ? ", the 10 with most connections:" : ":"))
            out.blank()
            out.table(header: ["client name", "connections", "commands"], alignRight: [false, true, true], rows: Array(rows))
            out.blank()
            let more = names.dropFirst(10).reduce(report.connectionsWithNamesNotListed ?? 0) { $0 + $1.connections }
            if more > 0 {
                out.line("\(NumberFormatting.grouped(more)) more " + (more == 1 ? "connection has" : "connections have") + " other names.")
                out.blank()
            }
        }
    }

    // MARK: - Merge

    /// Client libraries add connections and commands per (name, version); client names per name, listing as many
    /// as the longest input and counting the rest in `connectionsWithNamesNotListed`.
    /// Frameworks add connections and commands per name; the evidence is the first input's that named it.
    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {
        let frameworks = ReportMerger.combined(reports.map { $0.frameworks ?? [] }, by: \.name) { sum, framework in
            sum.connections += framework.connections
            sum.commands += framework.commands
        }
        merged.frameworks = frameworks.isEmpty ? nil : frameworks.sorted(by: FrameworkSummary.ranking)
        let libraries = ReportMerger.combined(reports.map { $0.clientLibraries ?? [] }, by: { [$0.name, $0.version ?? "\u{0}"] }) { sum, library in
            sum.connections += library.connections
            sum.commands += library.commands
        }
        if !libraries.isEmpty {
            merged.clientLibraries = libraries.sorted(by: ClientLibrarySummary.ranking)
            merged.connectionsWithoutClientLibrary = reports.reduce(0) { total, r in
                // A report without libraries counts every connection with commands as undeclared.
                total + (r.clientLibraries == nil ? r.connections.total : (r.connectionsWithoutClientLibrary ?? 0))
            }
        }
        let names = ReportMerger.combined(reports.map { $0.clientNames ?? [] }, by: \.name) { sum, name in
            sum.connections += name.connections
            sum.commands += name.commands
        }
        guard !names.isEmpty else { return }
        let limit = reports.map { $0.clientNames?.count ?? 0 }.max() ?? names.count
        let ranked = names.sorted { ($0.connections, $0.commands, $1.name) > ($1.connections, $1.commands, $0.name) }
        merged.clientNames = Array(ranked.prefix(limit))
        let notListed = ranked.dropFirst(limit).reduce(reports.reduce(0) { $0 + ($1.connectionsWithNamesNotListed ?? 0) }) {
            $0 + $1.connections
        }
        merged.connectionsWithNamesNotListed = notListed > 0 ? notListed : nil
    }

    // MARK: - Diff

    static func compare(_ b: AnalysisReport, _ a: AnalysisReport, into diff: inout ReportDiff, context: DiffContext) {
        // Client libraries.
        var libraries: [String: (before: Int, after: Int)] = [:]
        func label(_ l: ClientLibrarySummary) -> String { l.name + (l.version.map { " " + $0 } ?? "") }
        for l in b.clientLibraries ?? [] { libraries[label(l), default: (0, 0)].before += l.connections }
        for l in a.clientLibraries ?? [] { libraries[label(l), default: (0, 0)].after += l.connections }
        let metrics = libraries.sorted { ($0.value.before + $0.value.after, $1.key) > ($1.value.before + $1.value.after, $0.key) }.map {
            ReportDiff.Metric(id: "clients.\($0.key).connections", label: "connections declaring \($0.key)", unit: .count,
                   before: Double($0.value.before), after: Double($0.value.after))
        }
        diff.setMetrics("clients", metrics)
    }

    static func renderDiff(_ diff: ReportDiff, into out: inout MarkdownWriter) {
        MarkdownDiffRenderer.metricTable("Clients", diff.metrics("clients"), into: &out)
    }
}
