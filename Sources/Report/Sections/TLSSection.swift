import Analysis

/// TLS connections and their decryption (`tls`). Shown inside the quality section (`MarkdownReportRenderer.tlsQuality`):
/// how much of the capture could be read is a matter of its quality. Here: how the section merges and compares.
enum TLSSection: ReportSection {
    /// Connection counts, reasons, records and bytes add; suites add per (version, suite); the first problems of each
    /// report are kept, as many as one report lists; key log names are kept when the reports agree.
    static func merge(_ reports: [AnalysisReport], into merged: inout AnalysisReport, context: inout MergeContext) {
        let parts = reports.compactMap(\.tls)
        guard var m = parts.first else { return }
        guard parts.count > 1 else { merged.tls = m; return }
        for p in parts.dropFirst() {
            m.connections += p.connections
            m.decrypted += p.decrypted
            m.withoutKeys += p.withoutKeys
            m.handshakeNotSeen += p.handshakeNotSeen
            m.authenticationFailures += p.authenticationFailures
            for (reason, count) in p.otherFailures { m.otherFailures[reason, default: 0] += count }
            m.recordsDecrypted += p.recordsDecrypted
            m.bytesDecrypted += p.bytesDecrypted
            if let secrets = p.secretsInCapture { m.secretsInCapture = (m.secretsInCapture ?? 0) + secrets }
            if let rejected = p.secretsBlocksRejected { m.secretsBlocksRejected = (m.secretsBlocksRejected ?? 0) + rejected }
        }
        let keyLogs = ReportMerger.distinct(parts.compactMap(\.keyLog))
        m.keyLog = keyLogs.count == 1 ? keyLogs[0] : (keyLogs.isEmpty ? nil : keyLogs.joined(separator: ", "))
        m.byVersionAndSuite = ReportMerger.combined(parts.map(\.byVersionAndSuite), by: { [$0.version, $0.cipherSuite] }) {
            $0.connections += $1.connections
        }.sorted { ($0.version, $0.cipherSuite) < ($1.version, $1.cipherSuite) }
        m.problems = Array(parts.flatMap(\.problems).prefix(parts.map(\.problems.count).max() ?? 0))
        merged.tls = m
    }

    /// The share of TLS connections decrypted: what a key log that misses connections changes.
    static func compare(_ before: AnalysisReport, _ after: AnalysisReport, into diff: inout ReportDiff, context: DiffContext) {
        guard before.tls != nil || after.tls != nil else { return }
        func share(_ t: AnalysisReport.TLSSummary?) -> Double? {
            guard let t, t.connections > 0 else { return nil }
            return Double(t.decrypted) / Double(t.connections)
        }
        diff.setMetrics("tls", [
            ReportDiff.Metric(id: "tls.connections", label: "TLS connections", unit: .count,
                              before: before.tls.map { Double($0.connections) }, after: after.tls.map { Double($0.connections) }),
            ReportDiff.Metric(id: "tls.decryptedShare", label: "TLS connections decrypted", unit: .share,
                              before: share(before.tls), after: share(after.tls)),
        ])
    }

    static func renderDiff(_ diff: ReportDiff, into out: inout MarkdownWriter) {
        MarkdownDiffRenderer.metricTable("TLS", diff.metrics("tls"), into: &out)
    }
}
