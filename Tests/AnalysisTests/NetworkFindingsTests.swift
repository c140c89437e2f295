import Analysis
import Findings
import Foundation
import Pipeline
import Testing

/// The findings whose figures hold the network round trip take the measured one into account, so that a capture
/// taken at the clients and one taken at the server say the same about the same traffic.
@Suite struct NetworkFindingsTests {
    /// The same unpipelined traffic over a 0.5 ms round trip, seen from both ends: at the server the wait a pipeline
    /// saves is the gap from a reply to the next request, at the clients it is mostly inside the reply time. Both
    /// captures must price the pipeline alike (within 10%); without the measured round trip the clients' capture
    /// would price it at a tenth.
    @Test func pipelineSavingIsTheSameFromBothEnds() throws {
        func saving(_ side: String) throws -> Double {
            let report = try NetworkTimingTests.analyze("rtt-0.5ms", side: side)
            let finding = try #require(report.findings.first { $0.id == UnpipelinedRoundTripsRule.id })
            return try #require(finding.metrics["pipelineSavingSeconds"])
        }
        let atClients = try saving("client"), atServer = try saving("server")
        #expect(abs(atClients - atServer) <= 0.1 * atServer, "at the clients \(atClients) s, at the server \(atServer) s")
        let report = try NetworkTimingTests.analyze("rtt-0.5ms", side: "client")
        let latency = try #require(report.latency)
        let rtt = try #require(report.network?.roundTripP50Micros)
        let expected = ((latency.chainedWaitMicros ?? 0) + Double(latency.chainedRoundTrips) * rtt) / 1e6
        #expect(abs(atClients - expected) < 1e-9)
        let evidence = report.findings.first { $0.id == UnpipelinedRoundTripsRule.id }?.evidence ?? []
        #expect(evidence.contains { $0.hasPrefix("each costs a network round trip (p50 ") && $0.contains("captured at the clients") })
    }

    /// The workload of every delayed-network fixture is unpipelined (one command at a time per connection) and
    /// otherwise healthy. From either end and at every delay the findings must say exactly that: the chains are
    /// found at the server however long the round trip (the gap from a reply to the next request holds it there,
    /// and the handshake measured how much), and no rule built on server time counts the round trip as the server's
    /// when the capture was taken at the clients.
    @Test(arguments: NetworkTimingTests.cases)
    func bothEndsFindTheUnpipelinedClientsAndNothingElse(delay: String, side: String) throws {
        let report = try NetworkTimingTests.analyze(delay, side: side)
        let raised = report.findings.filter { $0.severity != .info }.map(\.id)
        #expect(raised == [UnpipelinedRoundTripsRule.id], "\(delay) at the \(side): \(raised)")
    }

    /// The pool-saturation fixture (loopback) as if taken at the server of a 2 ms network: every gap from a reply to
    /// the next request grows by the round trip. With the measured round trip the pool is still found saturated;
    /// the same figures without it are not.
    @Test func poolSaturationTakesTheRoundTripOffTheGapsAtTheServer() throws {
        let (base, _) = try SeedIncidentTests.report("pool-saturation")
        #expect(FindingRules.evaluate(base, thresholds: .init()).contains { $0.id == PoolSaturationRule.id })
        var delayed = base
        let gaps = try #require(delayed.connections.utilisation?.idleGapMicros)
        delayed.connections.utilisation?.idleGapMicros = shifted(gaps, by: 2000)
        #expect(!FindingRules.evaluate(delayed, thresholds: .init()).contains { $0.id == PoolSaturationRule.id })
        delayed.network = network(vantage: "server", roundTripMicros: 2000)
        let finding = try #require(FindingRules.evaluate(delayed, thresholds: .init()).first { $0.id == PoolSaturationRule.id })
        #expect(finding.evidence.contains { $0.contains("the gaps seen at the server less a network round trip") })
    }

    /// Taken at the clients, the request-to-reply time holds the round trip: the server-time ceiling applies to it
    /// less the measured round trip.
    @Test func poolSaturationTakesTheRoundTripOffTheServiceTimeAtTheClients() throws {
        let (base, _) = try SeedIncidentTests.report("pool-saturation")
        var delayed = base
        let latency = try #require(delayed.latency)
        delayed.latency?.allMicros = shifted(latency.allMicros, by: 2000)
        #expect(!FindingRules.evaluate(delayed, thresholds: .init()).contains { $0.id == PoolSaturationRule.id })
        delayed.network = network(vantage: "client", roundTripMicros: 2000)
        let finding = try #require(FindingRules.evaluate(delayed, thresholds: .init()).first { $0.id == PoolSaturationRule.id })
        #expect(abs((finding.metrics["serviceP50Micros"] ?? 0) - latency.allMicros.p50) < 1e-9)
    }

    func shifted(_ l: AnalysisReport.Latency, by micros: Double) -> AnalysisReport.Latency {
        var l = l
        l.p50 += micros
        l.p90 += micros
        l.p99 += micros
        l.p999 += micros
        l.max += micros
        l.mean += micros
        return l
    }

    /// One host whose handshakes all took `roundTripMicros`.
    func network(vantage: String, roundTripMicros: Double) -> NetworkSummary {
        var handshakes = LatencyHistogram()
        for _ in 0..<10 { handshakes.record(nanos: Int64(roundTripMicros * 1000)) }
        var summary = NetworkSummary(vantage: vantage)
        summary.hosts = [NetworkSummary.Host(host: "10.0.3.2", connections: 10, handshakes: handshakes, data: LatencyHistogram())]
        return summary
    }
}
