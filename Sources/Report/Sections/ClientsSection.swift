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
}
