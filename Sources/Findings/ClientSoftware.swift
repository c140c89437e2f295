import Analysis
/// What a report tells of the software on the client side — job frameworks recognised from their keys
/// (`frameworks`) and client libraries the connections declared (`clientLibraries`) — so advice can name the
/// setting of the software found, and say plainly when it is not known.
struct ClientSoftware {
    /// Recognised frameworks, most commands first.
    let frameworks: [String]
    /// Declared client library names, lowercased.
    let libraries: Set<String>

    init(_ report: AnalysisReport) {
        frameworks = (report.frameworks ?? []).map(\.name)
        libraries = Set((report.clientLibraries ?? []).map { $0.name.lowercased() })
    }

    /// The first recognised framework among `candidates`, in the report's order (most commands first).
    func framework(among candidates: Set<String>) -> String? {
        frameworks.first { candidates.contains($0) }
    }

    func uses(_ framework: String) -> Bool { frameworks.contains(framework) }

    /// redis-py declares itself (`CLIENT SETINFO LIB-NAME redis-py`, 5.0 and later); a framework on redis-py counts.
    var usesRedisPy: Bool { libraries.contains("redis-py") }

    /// Said when advice falls back to the generic: what was looked for and not found.
    static let notRecognised = "The job framework is not recognised from the keys on the wire (framework not recognised); "
        + "the advice is generic. "
}
