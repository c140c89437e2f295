import Analysis

extension ReportMerger {
    /// Client libraries add connections and commands per (name, version); client names per name, listing as many
    /// as the longest input and counting the rest in `connectionsWithNamesNotListed`.
    /// Frameworks add connections and commands per name; the evidence is the first input's that named it.
    func mergeClients(_ reports: [AnalysisReport], into merged: inout AnalysisReport) {
        var frameworks: [String: FrameworkSummary] = [:]
        for framework in reports.flatMap({ $0.frameworks ?? [] }) {
            if var existing = frameworks[framework.name] {
                existing.connections += framework.connections
                existing.commands += framework.commands
                frameworks[framework.name] = existing
            } else {
                frameworks[framework.name] = framework
            }
        }
        merged.frameworks = frameworks.isEmpty ? nil : frameworks.values.sorted(by: FrameworkSummary.ranking)
        var libraries: [[String]: ClientLibrarySummary] = [:]
        for library in reports.flatMap({ $0.clientLibraries ?? [] }) {
            let key = [library.name, library.version ?? "\u{0}"]
            if var existing = libraries[key] {
                existing.connections += library.connections
                existing.commands += library.commands
                libraries[key] = existing
            } else {
                libraries[key] = library
            }
        }
        if !libraries.isEmpty {
            merged.clientLibraries = libraries.values.sorted(by: ClientLibrarySummary.ranking)
            merged.connectionsWithoutClientLibrary = reports.reduce(0) { total, r in
                // A report without libraries counts every connection with commands as undeclared.
                total + (r.clientLibraries == nil ? r.connections.total : (r.connectionsWithoutClientLibrary ?? 0))
            }
        }
        var names: [String: ClientNameSummary] = [:]
        for name in reports.flatMap({ $0.clientNames ?? [] }) {
            if var existing = names[name.name] {
                existing.connections += name.connections
                existing.commands += name.commands
                names[name.name] = existing
            } else {
                names[name.name] = name
            }
        }
        guard !names.isEmpty else { return }
        let limit = reports.map { $0.clientNames?.count ?? 0 }.max() ?? names.count
        let ranked = names.values.sorted { ($0.connections, $0.commands, $1.name) > ($1.connections, $1.commands, $0.name) }
        merged.clientNames = Array(ranked.prefix(limit))
        let notListed = ranked.dropFirst(limit).reduce(reports.reduce(0) { $0 + ($1.connectionsWithNamesNotListed ?? 0) }) {
            $0 + $1.connections
        }
        merged.connectionsWithNamesNotListed = notListed > 0 ? notListed : nil
    }
}
