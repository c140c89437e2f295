import ArgumentParser

enum ReportFormat: String, CaseIterable, ExpressibleByArgument {
    case markdown, json, ndjson
}
