import Analysis
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A respcap report with its JSON tree: the typed `AnalysisReport` for what this build knows, and the tree as read,
/// where a section this build cannot decode stays (`sectionsLeftOut`). Made from a report file's bytes or from a
/// fresh analysis.
public struct ReportDocument: Sendable {
    public var report: AnalysisReport
    public var json: JSONValue
    /// What the report is called in messages and titles (its file name, or the capture files it came from).
    public var label: String
    /// Sections of the file that did not decode with this build's types (a report of another version), left out of
    /// `report`: `merge` says so. Empty for a fresh analysis.
    public var sectionsLeftOut: [String] = []

    public init(report: AnalysisReport, label: String? = nil) throws(ReportLoadError) {
        self.report = report
        do {
            json = try JSONValue(encoding: report)
        } catch {
            throw ReportLoadError(.notAReport, label ?? "report", "cannot encode the report: \(error)")
        }
        self.label = label ?? (report.capture.files.isEmpty ? "capture" : report.capture.files.joined(separator: ", "))
    }

    /// Parses a JSON report (`respcap analyze --format json` or `respcap merge --format json`). `label` names it in errors.
    public init(jsonData data: Data, label: String) throws(ReportLoadError) {
        let tree: JSONValue
        do {
            tree = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            let last = data.last { ![UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t")].contains($0) }
            let hint = last == UInt8(ascii: "}") ? Self.describe(error) : "it is cut short: it does not end with '}'"
            throw ReportLoadError(.invalidJSON, label, "not valid JSON (\(hint))")
        }
        guard case .object = tree else {
            throw ReportLoadError(.notAReport, label, "not a respcap report: the JSON document is not an object")
        }
        guard let schema = tree["schema"]?.string else {
            throw ReportLoadError(.notAReport, label, "not a respcap report: no \"schema\" field (expected \"respcap.report/1\")")
        }
        guard schema.hasPrefix("respcap.report/") else {
            let hint = schema.hasPrefix("respcap.diff/") ? " (a diff cannot be compared or merged; give the reports it came from)" : ""
            throw ReportLoadError(.notAReport, label, "not a respcap report: schema is \"\(schema)\", expected \"respcap.report/1\"\(hint)")
        }
        guard schema == "respcap.report/1" else {
            throw ReportLoadError(.unsupportedSchema, label, "report schema \"\(schema)\" is not supported by respcap \(RespcapVersion.string) (it reads \"respcap.report/1\")")
        }
        do {
            (report, sectionsLeftOut) = try Self.decodeReport(tree)
        } catch {
            throw ReportLoadError(.notAReport, label, "not a complete respcap report: \(Self.describe(error))")
        }
        json = tree
        self.label = label
    }

    /// Sections whose fields changed most between versions: when one does not decode with this build's type (a
    /// report from another version), the report still loads without it in `report` (`sectionsLeftOut`), and the
    /// section stays in `json`.
    static let sectionsLeftOutWhenUndecodable: [[String]] = [
        ["blockingPops"], ["queues"], ["queuePrefixes"], ["queuesNotConsumed"],
        ["connections", "shortLived"], ["connections", "setupCommands"], ["connections", "byClient"], ["connections", "byServer"],
        ["connections", "clientsUntracked"], ["connections", "utilisation"],
    ]

    /// Decodes the typed report from a tree, leaving out the `sectionsLeftOutWhenUndecodable` that do not decode.
    static func decodeReport(_ tree: JSONValue) throws -> (report: AnalysisReport, leftOut: [String]) {
        var tree = tree
        var leftOut: [String] = []
        while true {
            do {
                return (try tree.decode(AnalysisReport.self), leftOut)
            } catch let error as DecodingError {
                let context: DecodingError.Context
                switch error {
                case .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): context = c
                @unknown default: throw error
                }
                let path = context.codingPath.map(\.stringValue)
                guard let section = sectionsLeftOutWhenUndecodable.first(where: { path.starts(with: $0) }), !leftOut.contains(section.joined(separator: ".")),
                      let without = Self.removing(section, from: tree) else { throw error }
                leftOut.append(section.joined(separator: "."))
                tree = without
            }
        }
    }

    static func removing(_ path: [String], from tree: JSONValue) -> JSONValue? {
        guard let key = path.first, case .object(var fields) = tree, let child = fields[key] else { return nil }
        if path.count == 1 {
            fields.removeValue(forKey: key)
        } else {
            guard let inner = removing(Array(path.dropFirst()), from: child) else { return nil }
            fields[key] = inner
        }
        return .object(fields)
    }

    /// True when the bytes look like a JSON document rather than a capture file: the first non-blank byte is `{`.
    public static func looksLikeJSON(_ prefix: some Sequence<UInt8>) -> Bool {
        for byte in prefix {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): continue
            case UInt8(ascii: "{"): return true
            default: return false
            }
        }
        return false
    }

    /// A decoding error in one line, with the field path where it happened.
    static func describe(_ error: any Error) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let parts = codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }
            let text = parts.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text
        }
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "missing field \"\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "field \"\(path(context.codingPath))\" has the wrong type"
        case .dataCorrupted(let context):
            let at = path(context.codingPath)
            return context.debugDescription + (at.isEmpty ? "" : " at \"\(at)\"")
        @unknown default:
            return "\(error)"
        }
    }
}
