import Analysis
import TCPReassembly

extension NetworkSummary {
    /// The sampler's hosts as the report shows them: handshakes always, and the data samples that measure the network
    /// at this vantage (bytes from the client at the client's end, from the server at the server's end).
    static func describe(_ sampler: RoundTripSampler, in report: inout AnalysisReport) {
        guard !sampler.hosts.isEmpty || sampler.connectionsFromUntrackedHosts > 0 else { return }
        let votes = sampler.votes
        let vantage = Vantage(votes)
        var summary = NetworkSummary(vantage: vantage.rawValue)
        summary.vantageEvidence.serverSide = votes.serverSide
        summary.vantageEvidence.clientSide = votes.clientSide
        summary.vantageEvidence.unclear = votes.unclear
        summary.hosts = ordered(sampler.hosts.map { host in
            let data: RoundTripHistogram? = switch vantage {
            case .client: host.clientDataAcked
            case .server: host.serverDataAcked
            case .unknown: nil
            }
            return Host(host: host.address.description, connections: host.connections,
                        handshakes: LatencyHistogram(buckets: host.handshakes.buckets),
                        data: LatencyHistogram(buckets: data?.buckets ?? []))
        })
        let untracked = sampler.connectionsFromUntrackedHosts
        if untracked > 0 {
            summary.connectionsFromUntrackedHosts = untracked
            report.quality.noteLimitHit(AnalysisReport.LimitHit(
                limit: "--max-tracked-clients", value: sampler.maxHosts, scope: "networkHosts", count: untracked,
                effect: "connections from client addresses past the limit have no round trips in the network section"))
        }
        if sampler.samplesOverBudget > 0 {
            report.quality.noteLimitHit(AnalysisReport.LimitHit(
                limit: "network round-trip buckets", value: RoundTripSampler.bucketBudget, scope: "networkSamples", count: sampler.samplesOverBudget,
                effect: "round-trip samples past the memory set aside for the network section's histograms were not recorded"))
        }
        report.network = summary
    }
}
