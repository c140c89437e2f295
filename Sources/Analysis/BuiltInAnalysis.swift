import RedisSemantics

// The built-in analyses are listed once, in BuiltInAnalyses.txt; AnalysisCatalogPlugin generates the class
// `BuiltInAnalyses` from it (a property and a direct call per analysis).

/// An analysis the pipeline runs on every capture, made from the run's options.
protocol BuiltInAnalysis: TrafficAnalysis {
    init(setup: AnalysisSetup)
}

/// What a built-in analysis is made from: the options, and what the analyses share.
struct AnalysisSetup {
    let options: AnalysisOptions
    /// One redactor for every analysis, so that a key gets the same token wherever it appears.
    let redactor: KeyRedactor?
    let prefixRule: KeyPrefixRule

    init(options: AnalysisOptions) {
        self.options = options
        redactor = options.redactKeys ? KeyRedactor() : nil
        prefixRule = KeyPrefixRule(delimiters: options.keyDelimiters)
    }
}
