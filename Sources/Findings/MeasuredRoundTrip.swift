import Analysis
import Formatting

/// The network round trip a report measured (its `network` section), for the rules whose figures hold it: where
/// the capture was taken decides which. At the clients, the request-to-reply time seen is the server's time plus a
/// round trip; at the server, the gap from a reply to the connection's next request is the client's own time plus
/// a round trip. Nil when the report has no round trip (older reports, no handshake and no known vantage).
struct MeasuredRoundTrip {
    /// Median over every client host's samples, in microseconds.
    let micros: Double
    let vantage: String
    let network: NetworkSummary

    init?(_ report: AnalysisReport) {
        guard let network = report.network, let p50 = network.roundTripP50Micros else { return nil }
        micros = p50
        vantage = network.vantage
        self.network = network
    }

    /// "32 µs (median server time)", "under 404 µs (median server time)", or at an unknown vantage "32 µs (median
    /// service time seen here)".
    func serverTime(seen: Double) -> String {
        guard let server = network.serverTimeMicros(seen: seen) else {
            return "\(NumberFormatting.micros(seen)) (median service time seen here)"
        }
        return (server.isUpperBound ? "under " : "") + "\(NumberFormatting.micros(server.micros)) (median server time)"
    }

    /// The part of the request-to-reply time seen at the capture that is network.
    var inServiceTime: Double { vantage == "client" ? micros : 0 }

    /// The part of the gap from a reply to the next request seen at the capture that is network.
    var inReplyToRequestGap: Double { vantage == "server" ? micros : 0 }

    /// "a network round trip (p50 1.90 ms measured, captured at the server)".
    var phrase: String {
        "a network round trip (p50 \(NumberFormatting.micros(micros)) measured"
            + (vantage == "unknown" ? ")" : ", captured at the \(vantage == "server" ? "server" : "clients"))")
    }
}
