import Packets
import RedisSemantics

/// Connection churn and pool behaviour: connections opened and closed per second, concurrency over time,
/// lifetimes, commands per connection, short-lived connections, setup commands (AUTH, HELLO, SELECT, CLIENT
/// SETNAME...) and their share of all traffic, per client address and per server, and per connection utilisation
/// (share of its life with a command outstanding) with the idle gap between a reply and the client's next command.
///
/// Memory: per open connection a few counters (dropped at close); per second of capture four integers (at most
/// `maxSeconds`, the rest folded into the last); per client address and server one accumulator (at most
/// `maxTrackedClients`, the rest counted as untracked); fixed histograms.
public final class ConnectionChurn: TrafficAnalysis {
    public let maxTrackedClients: Int
    public let topN: Int
    public let maxSeconds: Int
    /// A connection shorter than this is short-lived.
    public let shortLivedNanos: Int64
    /// A connection with at most this many commands besides setup ones is short-lived too.
    public let shortLivedMaxCommands: Int
    /// A pause between a reply and the connection's next request longer than this is idle time: the client had no
    /// work for the connection. Shorter turnarounds are the client handing the connection to its next request.
    public let idlePauseNanos: Int64

    private var opened = 0, closed = 0, complete = 0
    private var current = 0, peak = 0
    private var connectionNanos: Double = 0
    /// Where the per-second series start: the capture's first packet, as for the timeline.
    private var origin: Int64?
    /// Connections open before the capture started (no handshake), by the second they were first seen: they were
    /// open in every earlier second too, which `finish` adds to the concurrency series.
    private var preExistingFirstSeen: [Int] = []
    /// Connections still open when the capture ended.
    private var openAtEnd = 0
    private var openedPerSecond: [Int] = []
    private var closedPerSecond: [Int] = []
    private var resetPerSecond: [Int] = []
    private var closeKinds: [String: Int] = [:]
    private var concurrentPerSecond: [Int] = []
    private var lifetimes = LatencyHistogram()
    private var commandsPerConnection = LatencyHistogram()
    private var shortLived = 0, fewCommands = 0
    /// Short-lived connections that sent commands, and their commands: the work the churn paid its handshakes for.
    private var shortLivedWithCommands = 0, shortLivedCommands = 0
    private var setupByCommand: [Int32: Int] = [:]
    private var setupTotal = 0
    private var allCommands = 0
    private var clients: [IPAddress: ClientAccumulator] = [:]
    private var servers: [Endpoint: ClientAccumulator] = [:]
    private var untrackedClients = 0
    private var idleGaps = LatencyHistogram()
    private var utilisation = LatencyHistogram()
    private var busyNanosTotal: Double = 0
    private var observedNanosTotal: Double = 0
    private var occupancy = LatencyHistogram()
    private var inUseNanosTotal: Double = 0
    private var spanNanosTotal: Double = 0
    private var roles = CommandIDTable<Role>()
    /// Busy time (a command outstanding, blocking ones left out) summed over connections, per second of capture:
    /// the connections the load kept busy on average in that second (Little's law).
    private var busyPerSecond: [Int64] = []
    /// Connections that blocked or subscribed: each holds its connection by design, however idle it looks.
    private var heldByDesign = 0
    /// Handshake-bound connections (see `ConnectionHandshakes`) whose client opened another connection after they
    /// closed: replaced, that is churn.
    private var replaced = HandshakeTally()
    /// Round trips with work, on every connection: the base the churned connections' work is a share of.
    private var workRoundTrips = 0

    /// Kept in every open connection's `ConnectionInfo`, with its `ConnectionFlags` apart (they fit in padding there).
    struct ConnectionState {
        var busyNanos: Int64 = 0
        /// The latest end (reply, or request when unanswered) of the connection's commands: busy time is counted up
        /// to it, and the connection was last in use then.
        var busyUntil: Int64 = 0
        var lastReplyEnd: Int64 = 0
        var firstRequest: Int64 = 0
        /// Pauses longer than `idlePauseNanos` between a reply and the next request.
        var pausedNanos: Int64 = 0
        var commands = 0
        var setupCommands = 0
        /// Round trips (requests sent with nothing outstanding on the connection), and those that carried at least
        /// one command besides setup and teardown ones.
        var roundTrips = 0
        var workRoundTrips = 0
    }

    struct ConnectionFlags: OptionSet {
        let rawValue: UInt8
        /// Pushed onto a list queue (LPUSH, RPUSH...): a producer's connection.
        static let enqueued = ConnectionFlags(rawValue: 1 << 0)
        static let blocking = ConnectionFlags(rawValue: 1 << 1)
        /// Blocked or subscribed at least once.
        static let holds = ConnectionFlags(rawValue: 1 << 2)
        /// The current round trip carried a command besides setup and teardown ones.
        static let roundTripHasWork = ConnectionFlags(rawValue: 1 << 3)
    }

    struct ClientAccumulator {
        var opened = 0
        var connections = 0
        var commands = 0
        var current = 0
        var peak = 0
        var shortLived = 0
        /// Handshake-bound connections closed since this client last opened one: churn if it opens another, its
        /// shutdown if it never does.
        var pending = HandshakeTally()
    }

    /// What a command is to the connection: work, or part of setting it up or tearing it down.
    enum Role: UInt8 {
        case work = 1, setup, teardown, holding
    }

    /// Commands that put a job on a list queue: a connection that sends one is a producer's.
    static let enqueueCommandNames: Set<String> = ["lpush", "rpush", "lpushx", "rpushx"]
    private var enqueues = CommandIDTable<Bool>()

    @inline(__always)
    private func enqueues(_ id: CommandID, registry: CommandRegistry) -> Bool {
        enqueues.isNamed(id, oneOf: Self.enqueueCommandNames, in: registry)
    }

    /// Commands that end a connection: a round trip the client pays for the connection, not for work.
    static let teardownCommandNames: Set<String> = ["quit"]
    /// Commands after which a connection waits for pushes by design (its idleness is not spare capacity).
    static let holdingCommandNames: Set<String> = ["subscribe", "psubscribe", "ssubscribe", "monitor"]

    /// Commands a client sends to set a connection up (or to check it), not to do work.
    static let setupCommandNames: Set<String> = [
        "auth", "hello", "select", "client|setname", "client|setinfo", "client|maint_notifications", "client|id", "client|tracking", "ping",
        "script|load", "function|load", "readonly", "readwrite", "cluster|slots", "cluster|shards", "cluster|nodes",
        "cluster|info", "command", "command|docs", "command|count", "command|info", "info", "echo",
    ]

    public init(maxTrackedClients: Int = 10_000, topN: Int = 20, maxSeconds: Int = 86_400,
                shortLivedNanos: Int64 = 1_000_000_000, shortLivedMaxCommands: Int = 3, idlePauseNanos: Int64 = 50_000_000) {
        self.idlePauseNanos = idlePauseNanos
        self.maxTrackedClients = maxTrackedClients
        self.topN = topN
        self.maxSeconds = maxSeconds
        self.shortLivedNanos = shortLivedNanos
        self.shortLivedMaxCommands = shortLivedMaxCommands
    }

    // MARK: events

    public func connectionOpened(_ connection: ConnectionInfo) {
        connection.churn = ConnectionState()
        connection.churnFlags = []
        if origin == nil { origin = connection.captureStartNanos }
        let second = self.second(connection.openedNanos)
        if connection.handshakeSeen {
            opened += 1
            openedPerSecond[second] += 1
        } else {
            preExistingFirstSeen[second] += 1
        }
        current += 1
        peak = max(peak, current)
        concurrentPerSecond[second] = max(concurrentPerSecond[second], current)
        // A new connection from this client: the handshake-bound ones it closed before were replaced.
        if connection.handshakeSeen, let index = clients.index(forKey: connection.client.address) {
            replaced.add(clients.values[index].pending)
            clients.values[index].pending = HandshakeTally()
        }
        updateGroup(client: connection.client.address, server: connection.server, opening: true) { g in
            if connection.handshakeSeen { g.opened += 1 }
            g.connections += 1
            g.current += 1
            g.peak = max(g.peak, g.current)
        }
    }

    public func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        withUnsafePointer(to: record) { command(at: $0, on: connection) }
    }

    public func command(at location: UnsafePointer<CommandRecord>, on connection: ConnectionInfo) {
        var record: CommandRecord { location.pointee }
        allCommands += 1
        let role = self.role(of: record.command, registry: connection.registry)
        let isSetup = role == .setup
        if isSetup {
            setupTotal += 1
            setupByCommand[record.command.rawValue, default: 0] += 1
        }
        count(location, role: role, isSetup: isSetup, registry: connection.registry, state: &connection.churn,
              flags: &connection.churnFlags)
    }

    /// One command's part of its connection's state, edited where it lies (a copy of it out and back cost more).
    @inline(__always)
    private func count(_ location: UnsafePointer<CommandRecord>, role: Role, isSetup: Bool, registry: CommandRegistry,
                       state: inout ConnectionState, flags: inout ConnectionFlags) {
        var record: CommandRecord { location.pointee }
        state.commands += 1
        if isSetup { state.setupCommands += 1 }
        if record.isBlocking { flags.insert(.blocking) }
        if !flags.contains(.enqueued) && enqueues(record.command, registry: registry) { flags.insert(.enqueued) }
        if record.isBlocking || role == .holding { flags.insert(.holds) }
        let start = record.requestStartNanos
        let end = record.outcome == .replied ? record.replyEndNanos : record.requestEndNanos
        if state.commands == 1 { state.firstRequest = start }
        // A round trip starts when nothing is outstanding; it is work as soon as one of its commands is.
        if state.commands == 1 || start >= state.busyUntil {
            state.roundTrips += 1
            flags.remove(.roundTripHasWork)
        }
        if role == .work || role == .holding, !flags.contains(.roundTripHasWork) {
            flags.insert(.roundTripHasWork)
            state.workRoundTrips += 1
        }
        // Idle gap: the client had its previous reply and waited this long before asking again (pipelined requests
        // sent before the previous reply have no gap).
        if state.lastReplyEnd > 0 && start >= state.lastReplyEnd {
            let gap = start - state.lastReplyEnd
            idleGaps.record(nanos: gap)
            if gap > idlePauseNanos { state.pausedNanos += gap }
        }
        if record.outcome == .replied { state.lastReplyEnd = max(state.lastReplyEnd, record.replyEndNanos) }
        // Busy time is the union of [request start, reply end] intervals; records come in request order.
        if end > state.busyUntil {
            let added = end - max(start, state.busyUntil)
            state.busyNanos += added
            state.busyUntil = end
            if !record.isBlocking { noteBusy(added, at: start) }
        }
    }

    public func connectionClosed(_ connection: ConnectionInfo) {
        let state = connection.churn
        let flags = connection.churnFlags
        connection.churn = ConnectionState()
        connection.churnFlags = []
        let end = connection.closedNanos ?? connection.lastActivityNanos
        let observed = max(0, end - connection.openedNanos)
        // Open from the capture's start when it was already open then.
        let openedAt = connection.handshakeSeen ? connection.openedNanos : min(connection.openedNanos, connection.captureStartNanos)
        connectionNanos += Double(max(0, end - openedAt))
        current -= 1
        let endedInCapture = connection.closeReason == .fin || connection.closeReason == .reset
        if connection.closeReason == .endOfCapture { openAtEnd += 1 }
        if endedInCapture {
            closed += 1
            let index = second(end)
            closedPerSecond[index] += 1
            let isReset = connection.closeReason == .reset
            if isReset { resetPerSecond[index] += 1 }
            // Literal names: building them per close cost string allocations on every connection.
            let kind: String
            switch (isReset, connection.closedBy) {
            case (false, .toServer): kind = "finByClient"
            case (false, .toClient): kind = "finByServer"
            case (false, nil): kind = "finByUnknown"
            case (true, .toServer): kind = "resetByClient"
            case (true, .toClient): kind = "resetByServer"
            case (true, nil): kind = "resetByUnknown"
            }
            closeKinds[kind, default: 0] += 1
        }
        commandsPerConnection.record(value: state.commands)
        var isShort = false
        if endedInCapture && connection.handshakeSeen {
            complete += 1
            lifetimes.record(nanos: observed)
            if observed < shortLivedNanos {
                shortLived += 1
                isShort = true
                if state.commands > 0 {
                    shortLivedWithCommands += 1
                    shortLivedCommands += state.commands
                }
            }
            if state.commands - state.setupCommands <= shortLivedMaxCommands { fewCommands += 1 }
        }
        workRoundTrips += state.workRoundTrips
        if flags.contains(.holds) { heldByDesign += 1 }
        // Handshake-bound: the TCP connect (one round trip) and the setup and teardown round trips are at least as
        // many as the round trips of work; the work waited on Redis at least twice as long as it needed to.
        let handshakeRoundTrips = 1 + state.roundTrips - state.workRoundTrips
        if endedInCapture && connection.handshakeSeen && state.workRoundTrips > 0 && !flags.contains(.holds)
            && handshakeRoundTrips >= state.workRoundTrips {
            var tally = HandshakeTally()
            tally.connections = 1
            tally.handshakeRoundTrips = handshakeRoundTrips
            tally.workRoundTrips = state.workRoundTrips
            tally.commands = state.commands
            tally.setupCommands = state.setupCommands
            tally.closedByClient = connection.closedBy == .toServer ? 1 : 0
            tally.enqueued = flags.contains(.enqueued) ? 1 : 0
            if let index = clients.index(forKey: connection.client.address) {
                clients.values[index].pending.add(tally)
            } else {
                replaced.add(tally)  // an untracked client: counted as churn, as before the limit
            }
        }
        if !flags.contains(.blocking) && state.commands > 0 && observed > 0 {
            // Per mille of the connection's observed life with a command outstanding.
            utilisation.record(value: Int((Double(state.busyNanos) / Double(observed) * 1000).rounded()))
            busyNanosTotal += Double(state.busyNanos)
            observedNanosTotal += Double(observed)
            // In use: from its first request to its last reply, less the pauses.
            let span = state.busyUntil - state.firstRequest
            if state.commands >= 2 && span > 0 {
                let inUse = max(0, span - state.pausedNanos)
                occupancy.record(value: Int((Double(inUse) / Double(span) * 1000).rounded()))
                inUseNanosTotal += Double(inUse)
                spanNanosTotal += Double(span)
            }
        }
        updateGroup(client: connection.client.address, server: connection.server) { g in
            g.current -= 1
            g.commands += state.commands
            if isShort { g.shortLived += 1 }
        }
    }

    // MARK: helpers

    @inline(__always)
    private func role(of id: CommandID, registry: CommandRegistry) -> Role {
        roles.value(of: id) { Self.role(named: registry.name(of: $0)) }
    }

    @inline(never)
    private static func role(named name: String) -> Role {
        setupCommandNames.contains(name) ? .setup : teardownCommandNames.contains(name) ? .teardown
            : holdingCommandNames.contains(name) ? .holding : .work
    }

    /// Index of the second containing `nanos` in the per-second arrays: whole seconds from the capture's first
    /// packet, the timeline's buckets (grown as needed, the last one absorbing everything past `maxSeconds`).
    private func second(_ nanos: Int64, carrying carried: Int? = nil) -> Int {
        let offset = max(0, nanos - (origin ?? nanos))
        let index = Int(min(offset / 1_000_000_000, Int64(maxSeconds - 1)))
        if index >= openedPerSecond.count {
            let grow = index + 1 - openedPerSecond.count
            let carried = carried ?? (concurrentPerSecond.last.map { _ in current } ?? 0)
            openedPerSecond += repeatElement(0, count: grow)
            closedPerSecond += repeatElement(0, count: grow)
            resetPerSecond += repeatElement(0, count: grow)
            concurrentPerSecond += repeatElement(carried, count: grow)
            preExistingFirstSeen += repeatElement(0, count: grow)
        }
        return index
    }

    /// Adds busy time to its second. Its own array: growing the connection series here would carry the current
    /// concurrency into seconds that a later close fills in.
    private func noteBusy(_ nanos: Int64, at start: Int64) {
        let index = Int(min(max(0, start - (origin ?? start)) / 1_000_000_000, Int64(maxSeconds - 1)))
        if index >= busyPerSecond.count { busyPerSecond += repeatElement(0, count: index + 1 - busyPerSecond.count) }
        busyPerSecond[index] += nanos
    }

    /// Concurrency per second counting each connection from when it was open, not from when it was first seen: one
    /// open before the capture was open from its first second; one open at its end, in its last second.
    private func completeConcurrency(lastNanos: Int64?) {
        if let lastNanos, origin != nil {
            let last = second(lastNanos, carrying: openAtEnd)
            concurrentPerSecond[last] = max(concurrentPerSecond[last], openAtEnd)
        }
        var seenLater = 0
        for index in concurrentPerSecond.indices.reversed() {
            concurrentPerSecond[index] += seenLater
            seenLater += preExistingFirstSeen[index]
            peak = max(peak, concurrentPerSecond[index])
        }
    }

    private func updateGroup(client: IPAddress, server: Endpoint, opening: Bool = false, _ body: (inout ClientAccumulator) -> Void) {
        // One lookup for a known group (through its index), two only for a new one.
        if let index = clients.index(forKey: client) {
            body(&clients.values[index])
        } else if clients.count < maxTrackedClients {
            var group = ClientAccumulator()
            body(&group)
            clients[client] = group
        } else if opening {
            untrackedClients += 1  // connections, not updates: counted when one opens
        }
        if let index = servers.index(forKey: server) {
            body(&servers.values[index])
        } else if servers.count < maxTrackedClients {
            var group = ClientAccumulator()
            body(&group)
            servers[server] = group
        }
    }

    // MARK: report

    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {
        completeConcurrency(lastNanos: context.lastTimestampNanos)
        var summary = report.connections
        summary.opened = opened
        summary.closed = closed
        summary.peakConcurrent = peak
        let duration = context.durationSeconds
        summary.averageConcurrent = duration > 0 ? (connectionNanos / 1e9 / duration * 10).rounded() / 10 : Double(peak)
        // Seconds from the capture's first packet (the timeline's buckets), within `maxSeconds` in all: a forged
        // timestamp years after the rest folds into the last second instead of padding by years of zeros.
        summary.openedPerSecond = openedPerSecond
        summary.closedPerSecond = closedPerSecond
        summary.concurrentPerSecond = concurrentPerSecond
        summary.resetPerSecond = resetPerSecond
        summary.closes = closeKinds
        if duration > 0 { summary.openedPerSecondAverage = (Double(opened) / duration * 100).rounded() / 100 }
        summary.completeConnections = complete
        if lifetimes.count > 0 { summary.lifetimeSeconds = lifetimes.percentiles(scale: 1e-9) }
        if commandsPerConnection.count > 0 { summary.commandsPerConnection = commandsPerConnection.percentiles(scale: 1) }
        summary.shortLived = ShortLivedConnections(
            count: shortLived, share: complete > 0 ? Self.round3(Double(shortLived) / Double(complete)) : 0,
            thresholdSeconds: Double(shortLivedNanos) / 1e9, fewCommands: fewCommands,
            fewCommandsShare: complete > 0 ? Self.round3(Double(fewCommands) / Double(complete)) : 0,
            maxCommands: shortLivedMaxCommands, ofConnections: complete, withCommands: shortLivedWithCommands,
            commands: shortLivedCommands)
        var byCommand: [String: Int] = [:]
        for (id, count) in setupByCommand { byCommand[context.registry.name(of: CommandID(rawValue: id))] = count }
        let connectionsSeen = summary.total
        // Those still pending were closed after their client's last new connection: its shutdown, not churn.
        let atShutdown = clients.values.reduce(0) { $0 + $1.pending.connections }
        summary.setupCommands = SetupCommands(
            total: setupTotal, share: allCommands > 0 ? Self.round3(Double(setupTotal) / Double(allCommands)) : 0,
            perConnection: connectionsSeen > 0 ? (Double(setupTotal) / Double(connectionsSeen) * 100).rounded() / 100 : 0,
            byCommand: byCommand,
            handshakes: ConnectionHandshakes(
                handshakeBound: replaced.connections, handshakeRoundTrips: replaced.handshakeRoundTrips,
                workRoundTrips: replaced.workRoundTrips, commands: replaced.commands, setupCommands: replaced.setupCommands,
                closedByClient: replaced.closedByClient, allWorkRoundTrips: workRoundTrips, closedAtShutdown: atShutdown,
                enqueued: replaced.enqueued))
        summary.byClient = Self.top(clients.map { ($0.key.description, $0.value) }, topN)
        summary.byServer = Self.top(servers.map { ($0.key.description, $0.value) }, topN)
        summary.clientsUntracked = untrackedClients > 0 ? untrackedClients : nil
        if untrackedClients > 0 {
            report.quality.noteLimitHit(AnalysisReport.LimitHit(
                limit: "--max-tracked-clients", value: maxTrackedClients, scope: "clients", count: untrackedClients,
                effect: "connections from client addresses past the limit are in the totals, not in the per-client table"))
        }
        if utilisation.count > 0 || idleGaps.count > 0 {
            summary.utilisation = ConnectionUtilisation(
                connections: utilisation.count,
                busyShare: observedNanosTotal > 0 ? Self.round3(busyNanosTotal / observedNanosTotal) : 0,
                perConnection: utilisation.count > 0 ? utilisation.percentiles(scale: 0.001) : nil,
                idleGapMicros: idleGaps.count > 0 ? idleGaps.summaryMicros : nil,
                inUseShare: spanNanosTotal > 0 ? Self.round3(inUseNanosTotal / spanNanosTotal) : 0,
                inUsePerConnection: occupancy.count > 0 ? occupancy.percentiles(scale: 0.001) : nil,
                pauseThresholdMillis: Double(idlePauseNanos) / 1e6,
                peakBusyConnections: Self.round3(Double(busyPerSecond.max() ?? 0) / 1e9),
                connectionsHeldByDesign: heldByDesign)
        }
        report.connections = summary
    }

    static func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

    private static func top(_ groups: [(String, ClientAccumulator)], _ n: Int) -> [ClientConnections] {
        groups.sorted { ($0.1.connections, $0.1.commands, $1.0) > ($1.1.connections, $1.1.commands, $0.0) }
            .prefix(n)
            .map { ClientConnections(address: $0.0, opened: $0.1.opened, connections: $0.1.connections,
                                     commands: $0.1.commands, peakConcurrent: $0.1.peak, shortLived: $0.1.shortLived) }
    }
}

public struct ShortLivedConnections: Codable, Sendable, Equatable {
    /// Connections (opened and closed in the capture) that lasted less than `thresholdSeconds`.
    public var count: Int
    public var share: Double
    public var thresholdSeconds: Double
    /// Connections that sent at most `maxCommands` commands besides setup ones.
    public var fewCommands: Int
    public var fewCommandsShare: Double
    public var maxCommands: Int
    /// Connections whose whole life is in the capture (handshake and close seen): the base of the shares.
    public var ofConnections: Int
    /// Of the short-lived connections, those that sent at least one command, and all their commands (setup ones
    /// included); nil in older reports.
    public var withCommands: Int?
    public var commands: Int?
}


public struct SetupCommands: Codable, Sendable, Equatable {
    /// AUTH, HELLO, SELECT, CLIENT SETNAME/SETINFO, PING, SCRIPT LOAD, READONLY, CLUSTER SLOTS...: commands that
    /// set a connection up or check it rather than do work.
    public var total: Int
    /// Share of all commands.
    public var share: Double
    public var perConnection: Double
    public var byCommand: [String: Int]
    /// What setting connections up cost the connections that churned; nil in older reports.
    public var handshakes: ConnectionHandshakes?
}

/// Connections opened and closed in the capture that carried work but spent at least as many round trips on their
/// handshake — the TCP connect, setup commands (HELLO, AUTH, SELECT, CLIENT SETINFO...) and QUIT — as on that
/// work, and whose client opened another connection after closing them (replaced: churn). Those closed after their
/// client's last new connection are its shutdown, counted apart. Blocking and subscribed connections are left out.
public struct ConnectionHandshakes: Codable, Sendable, Equatable {
    public var handshakeBound: Int
    /// Of those connections: round trips spent on the handshake (one for TCP, plus setup and teardown ones)...
    public var handshakeRoundTrips: Int
    /// ... and round trips that carried work.
    public var workRoundTrips: Int
    public var commands: Int
    public var setupCommands: Int
    /// Of those, closed by the client: each leaves a socket in TIME_WAIT on the client's side.
    public var closedByClient: Int
    /// Round trips with work on all the connections of the capture.
    public var allWorkRoundTrips: Int
    /// Handshake-bound connections closed after their client's last new connection (its shutdown): not churn.
    public var closedAtShutdown: Int
    /// Of the handshake-bound connections, those that pushed onto a list queue (LPUSH, RPUSH...): producers'. Nil in
    /// older reports.
    public var enqueued: Int?
}

/// Running sums for `ConnectionHandshakes`.
struct HandshakeTally {
    var connections = 0, handshakeRoundTrips = 0, workRoundTrips = 0, commands = 0, setupCommands = 0, closedByClient = 0
    var enqueued = 0

    mutating func add(_ other: HandshakeTally) {
        connections += other.connections
        handshakeRoundTrips += other.handshakeRoundTrips
        workRoundTrips += other.workRoundTrips
        commands += other.commands
        setupCommands += other.setupCommands
        closedByClient += other.closedByClient
        enqueued += other.enqueued
    }
}

public struct ClientConnections: Codable, Sendable, Equatable {
    /// Client IP address (in `byClient`) or server address and port (in `byServer`).
    public var address: String
    /// Connections opened in the capture (handshake seen).
    public var opened: Int
    /// Connections seen, including those already open when the capture started.
    public var connections: Int
    public var commands: Int
    public var peakConcurrent: Int
    public var shortLived: Int
}

public struct ConnectionUtilisation: Codable, Sendable, Equatable {
    /// Connections measured (those with commands and no blocking command).
    public var connections: Int
    /// Time with a command outstanding over time observed, all measured connections together.
    public var busyShare: Double
    /// Distribution over connections of their busy share (0...1).
    public var perConnection: Percentiles?
    /// Between a reply's last byte and the same connection's next request: the client's think time, or its wait
    /// for work; near zero on every connection when a pool is saturated.
    public var idleGapMicros: AnalysisReport.Latency?
    /// Share of the time from a connection's first request to its last reply not spent in pauses longer than
    /// `pauseThresholdMillis`: near 1 when the client always had a next request waiting for the connection.
    public var inUseShare: Double = 0
    public var inUsePerConnection: Percentiles?
    public var pauseThresholdMillis: Double = 0
    /// The connections the load kept busy in its busiest second: busy time (a command outstanding, blocking commands
    /// left out) summed over connections, over one second (Little's law); what the load needed, as an average.
    public var peakBusyConnections: Double?
    /// Connections that sent a blocking command or subscribed: they hold a connection by design.
    public var connectionsHeldByDesign: Int?
}

extension ConnectionChurn: BuiltInAnalysis {
    package convenience init(setup: AnalysisSetup) {
        self.init(maxTrackedClients: setup.maxTrackedClients)
    }
}
