import Analysis
import Formatting

extension MarkdownReportRenderer {
    /// The TLS lines of the quality section: how many connections were decrypted, with which version and suite,
    /// and why the others were not. Names the key log file, never a secret.
    static func tlsQuality(_ tls: AnalysisReport.TLSSummary, quality: AnalysisReport.QualitySummary, into out: inout MarkdownWriter) {
        var line = "TLS: \(NumberFormatting.grouped(tls.decrypted)) of \(NumberFormatting.grouped(tls.connections)) "
            + (tls.connections == 1 ? "connection" : "connections") + " decrypted"
        if let keyLog = tls.keyLog { line += " with the key log \(MarkdownText.code(keyLog))" }
        if let inCapture = tls.secretsInCapture {
            line += (tls.keyLog == nil ? " with" : " and") + " the secrets of \(NumberFormatting.grouped(inCapture)) "
                + (inCapture == 1 ? "connection" : "connections") + " in the capture"
        }
        if !tls.byVersionAndSuite.isEmpty {
            line += " (" + tls.byVersionAndSuite.map {
                "\(MarkdownText.text($0.version)) \(MarkdownText.text($0.cipherSuite)): \(NumberFormatting.grouped($0.connections))"
            }.joined(separator: ", ") + ")"
        }
        var notDecrypted: [String] = []
        if tls.withoutKeys > 0 { notDecrypted.append("\(NumberFormatting.grouped(tls.withoutKeys)) without keys") }
        if tls.handshakeNotSeen > 0 { notDecrypted.append("\(NumberFormatting.grouped(tls.handshakeNotSeen)) whose handshake is not in the capture") }
        if tls.authenticationFailures > 0 {
            notDecrypted.append("\(NumberFormatting.grouped(tls.authenticationFailures)) failing record authentication")
        }
        for (reason, count) in tls.otherFailures.sorted(by: { $0.key < $1.key }) {
            notDecrypted.append("\(NumberFormatting.grouped(count)) \(MarkdownText.text(reason))")
        }
        out.line(line + (notDecrypted.isEmpty ? "." : "; not decrypted: " + notDecrypted.joined(separator: ", ") + "."))
        out.blank()
        if let names = quality.tls, names.contains(where: { $0.sni != nil }) {
            out.table(header: ["TLS version", "server name (SNI)", "connections", "decrypted"], alignRight: [false, false, true, true],
                      rows: names.prefix(10).map {
                          [MarkdownText.text($0.version), $0.sni.map { MarkdownText.code($0, inTable: true) } ?? "(none sent)",
                           NumberFormatting.grouped($0.connections), NumberFormatting.grouped($0.decrypted)]
                      })
            out.blank()
        }
        guard !tls.problems.isEmpty else { return }
        out.table(header: ["connection", "not decrypted", "why, and what to do"], alignRight: [true, false, false],
                  rows: tls.problems.prefix(10).map { ["\($0.connection)", MarkdownText.text($0.reason), MarkdownText.text($0.detail)] })
        out.blank()
    }
}
