import Packets

/// Connections seen: how they started (handshake or mid-stream) and how they ended (FIN, RST, idle, still open).
public final class ConnectionStats: TrafficAnalysis {
    private var summary = AnalysisReport.ConnectionSummary()
    private var clients = Set<IPAddress>()
    private var servers = Set<Endpoint>()
    /// Distinct client addresses tracked before counting stops growing (memory bound).
    public let maxClients: Int

    public init(maxClients: Int = 100_000) { self.maxClients = maxClients }

    public func connectionOpened(_ connection: ConnectionInfo) {
        summary.total += 1
        if connection.handshakeSeen { summary.withHandshake += 1 } else { summary.withoutHandshake += 1 }
        if clients.count < maxClients { clients.insert(connection.client.address) }
        if servers.count < 1000 { servers.insert(connection.server) }
    }

    public func connectionClosed(_ connection: ConnectionInfo) {
        switch connection.closeReason {
        case .fin: summary.closedByFin += 1
        case .reset: summary.closedByReset += 1
        case .idle: summary.closedByIdle += 1
        case .evicted: summary.evicted += 1
        case .endOfCapture, nil: summary.openAtEnd += 1
        }
        switch connection.closedBy {
        case .toServer: summary.closedByClient += 1
        case .toClient: summary.closedByServer += 1
        case nil: break
        }
        if connection.protocolVersion == 3 { summary.resp3 += 1 }
    }

    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {
        summary.clients = clients.count
        report.connections = summary
        report.capture.servers = servers.sorted().map(\.description)
    }
}

extension ConnectionStats: BuiltInAnalysis {
    package convenience init(setup: AnalysisSetup) {
        self.init()
    }
}
