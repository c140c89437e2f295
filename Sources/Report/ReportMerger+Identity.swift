import Analysis
import Crypto

extension ReportMerger {
    /// A report given again (the same file twice, or a copy): its index, and the index of the first one like it.
    public struct Duplicate: Sendable, Equatable {
        public var index: Int
        public var sameAs: Int
    }

    /// Reports of the same capture: equal `capture.fingerprint`s, or, when either lacks one (older versions),
    /// identical capture sections. Merging one twice would double every count and raise findings it does not have.
    public static func duplicates(_ documents: [ReportDocument]) -> [Duplicate] {
        var found: [Duplicate] = []
        for index in documents.indices {
            if let first = documents[..<index].indices.first(where: { earlier in
                !found.contains { $0.index == earlier } && sameCapture(documents[earlier].report, documents[index].report)
            }) {
                found.append(Duplicate(index: index, sameAs: first))
            }
        }
        return found
    }

    static func sameCapture(_ a: AnalysisReport, _ b: AnalysisReport) -> Bool {
        if let x = a.capture.fingerprint, let y = b.capture.fingerprint { return x == y }
        var x = a.capture, y = b.capture
        x.fingerprint = nil
        y.fingerprint = nil
        guard let left = try? JSONValue(encoding: x), let right = try? JSONValue(encoding: y) else { return false }
        return left == right
    }

    /// The message for a duplicate, for stderr and the merged report's warnings.
    public static func describe(_ duplicate: Duplicate, in documents: [ReportDocument]) -> String {
        let a = documents[duplicate.sameAs], b = documents[duplicate.index]
        let how = a.report.capture.fingerprint != nil && b.report.capture.fingerprint != nil
            ? "capture fingerprint \(b.report.capture.fingerprint!.prefix(12))" : "identical capture sections"
        let names = a.label == b.label ? "\(b.label) is given more than once" : "\(b.label) is the same capture as \(a.label)"
        return "\(names) (\(how)): counted once"
    }

    /// Why reports with hashed keys cannot be merged, or nil when they can: their keys must have been hashed with
    /// one shared `--redact-salt`, or in one run; otherwise every key would be split into as many unrelated hashes.
    public static func redactionConflict(_ documents: [ReportDocument]) -> String? {
        let redacted = documents.filter { $0.report.capture.keyRedaction != nil || ($0.report.keys?.redacted ?? false) }
        guard redacted.count > 1 else { return nil }
        let identifiers = redacted.map(\.report.capture.keyRedaction)
        if let common = identifiers.first!, identifiers.allSatisfy({ $0 == common }) { return nil }
        let described = redacted.map { document in
            let id = document.report.capture.keyRedaction
            let how = id.map { KeyRedactor.isPerRun($0) ? "a per-run random salt (\($0))" : "salt \($0)" } ?? "an unrecorded salt"
            return "\(document.label): \(how)"
        }
        return "cannot merge reports whose keys were hashed with different salts (\(described.joined(separator: "; "))): "
            + "the same key would appear under several hashes; hash them alike with the same --redact-salt (or "
            + "--redact-salt-file) on every host, or merge the captures in one run with --redact-keys"
    }

    /// The merged report's fingerprint: one over its parts' (so merging it with one of them again is seen), nil
    /// when a part has none.
    static func mergedFingerprint(_ reports: [AnalysisReport]) -> String? {
        let parts = reports.map(\.capture.fingerprint)
        if parts.count == 1 { return parts[0] }
        guard parts.allSatisfy({ $0 != nil }) else { return nil }
        var hasher = SHA256()
        hasher.update(data: Array("respcap-merged\0".utf8))
        for part in parts.compactMap({ $0 }).sorted() { hasher.update(data: Array(part.utf8) + [0]) }
        return SHA256.hex(hasher.finalize(), count: 16)
    }
}
