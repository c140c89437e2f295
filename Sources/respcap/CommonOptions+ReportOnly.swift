import ArgumentParser

extension CommonOptions {
    /// For `diff` and `merge`, which write one document: Markdown or JSON, no event stream.
    func validateReportOnly(subcommand: String) throws {
        if format == .ndjson { throw ValidationError("\(subcommand) writes markdown or json; --format ndjson is for 'analyze'") }
        if svgDirectory != nil, subcommand == "diff" { throw ValidationError("--svg is for 'analyze', 'live' and 'merge'") }
        if events != nil { throw ValidationError("--events is for 'analyze'; \(subcommand) writes one document") }
    }
}
