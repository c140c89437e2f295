import RedisSemantics

// The built-in analyses are listed once, in BuiltInAnalyses.txt; AnalysisCatalogPlugin generates the class
// `BuiltInAnalyses` from it (a property and a direct call per analysis).

/// An analysis the pipeline runs on every capture, made from the run's options.
package protocol BuiltInAnalysis: TrafficAnalysis {
    init(setup: AnalysisSetup)
}

/// What a built-in analysis is made from: the run's tracking limits, and what the analyses share.
package struct AnalysisSetup {
    /// Distinct keys each key analysis (keys, queues, blocking pops) tracks (`--max-tracked-keys`).
    let maxTrackedKeys: Int
    /// Distinct client addresses tracked by the connection analyses (`--max-tracked-clients`).
    let maxTrackedClients: Int
    /// Distinct scripts and functions `ScriptStats` tracks (`--max-tracked-scripts`).
    let maxTrackedScripts: Int
    /// One redactor for every analysis, so that a key gets the same token wherever it appears.
    let redactor: KeyRedactor?
    let prefixRule: KeyPrefixRule

    package init(maxTrackedKeys: Int, maxTrackedClients: Int, maxTrackedScripts: Int = 1_000, redactKeys: Bool,
                 keyDelimiters: String) {
        self.maxTrackedKeys = maxTrackedKeys
        self.maxTrackedClients = maxTrackedClients
        self.maxTrackedScripts = maxTrackedScripts
        redactor = redactKeys ? KeyRedactor() : nil
        prefixRule = KeyPrefixRule(delimiters: keyDelimiters)
    }
}
