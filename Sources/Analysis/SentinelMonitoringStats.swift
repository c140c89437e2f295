import Packets
import RedisSemantics

/// Redis Sentinel's own monitoring of the servers in the capture: the connections a Sentinel keeps to each server
/// it watches (PING every second, INFO every ten, `PUBLISH __sentinel__:hello` every two, a `SUBSCRIBE` to the same
/// channel), shown apart so that they are not read as the application's traffic. A connection is a Sentinel's from
/// the first command that names the hello channel, or from its `CLIENT SETNAME sentinel-<id>-cmd|pubsub`; the few
/// commands it sent before that are counted too (a Sentinel's link uses few commands: past `maxEarlyCommands`
/// distinct ones a connection is not a Sentinel's). Its subscriber link, which only receives the hello messages, is
/// the connection from the same host to the same server that sent no command and received pushes (or, joined
/// mid-stream, server messages without a request). Their commands
/// stay in every other figure too: the server counts them.
public final class SentinelMonitoringStats: TrafficAnalysis {
    private var roles = CommandIDTable<Role>()
    private enum Role { case other, namesChannel, setName }

    private var connections = 0
    private var sentinels: Set<IPAddress> = []
    private var commands = 0
    private var byCommand: [Int32: Int] = [:]

    public init() {}

    @inline(__always)
    private func role(of id: CommandID, registry: CommandRegistry) -> Role {
        roles.value(of: id) { Self.role(named: registry.name(of: $0)) }
    }

    @inline(never)
    private static func role(named name: String) -> Role {
        switch name {
        case "publish", "subscribe": .namesChannel
        case "client|setname": .setName
        default: .other
        }
    }

    /// Distinct commands a connection may send before it shows it is a Sentinel's.
    static let maxEarlyCommands = 4

    /// Per connection until it shows it is a Sentinel's: the commands it sent so far, by id (at most
    /// `maxEarlyCommands` distinct ones, held inline: no allocation per connection; `overflowed` past them, after
    /// which an ordinary connection costs one flag test per command).
    /// Four-byte alignment (a SIMD4 is aligned to 16, which padded every `ConnectionInfo`).
    struct ConnectionState {
        var earlyIDs = EarlyInts(-1)
        var earlyCounts = EarlyInts(0)
        var earlyCount: UInt8 = 0
        var isSentinel = false
        var overflowed = false
        var receivedPushes = false

        /// Counts one more early command `id`: a new one while there is room for it, else the connection is not a
        /// Sentinel's (`overflowed`).
        @inline(__always)
        mutating func countEarly(_ id: Int32) {
            for index in 0..<Int(earlyCount) where earlyIDs[index] == id {
                earlyCounts[index] += 1
                return
            }
            if earlyCount < SentinelMonitoringStats.maxEarlyCommands {
                earlyIDs[Int(earlyCount)] = id
                earlyCounts[Int(earlyCount)] = 1
                earlyCount += 1
            } else {
                overflowed = true
            }
        }
    }

    /// `maxEarlyCommands` integers held inline.
    struct EarlyInts {
        private var values: (Int32, Int32, Int32, Int32)

        init(_ value: Int32) { values = (value, value, value, value) }

        /// `index` is below `maxEarlyCommands` (the callers count up to it).
        subscript(index: Int) -> Int32 {
            get {
                switch index {
                case 0: return values.0
                case 1: return values.1
                case 2: return values.2
                default: return values.3
                }
            }
            set {
                switch index {
                case 0: values.0 = newValue
                case 1: values.1 = newValue
                case 2: values.2 = newValue
                default: values.3 = newValue
                }
            }
        }
    }

    public func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        withUnsafePointer(to: record) { command(at: $0, on: connection) }
    }

    public func command(at location: UnsafePointer<CommandRecord>, on connection: ConnectionInfo) {
        var record: CommandRecord { location.pointee }
        if !connection.sentinelMonitoring.isSentinel {
            if connection.sentinelMonitoring.overflowed { return }
            // Inlined as far as the count: this runs for every command of an ordinary connection that uses few
            // commands, and most of them neither name a channel nor set a name.
            let role = role(of: record.command, registry: connection.registry)
            guard role != .other, Self.proves(location, role: role) else {
                // Edited where it lies: a copy of the state out and back cost more than the count.
                connection.sentinelMonitoring.countEarly(record.command.rawValue)
                return
            }
            becomeSentinel(connection)
        }
        commands += 1
        byCommand[record.command.rawValue, default: 0] += 1
    }

    /// Whether a command naming a channel or setting a name shows that its connection is a Sentinel's.
    @inline(never)
    private static func proves(_ location: UnsafePointer<CommandRecord>, role: Role) -> Bool {
        var record: CommandRecord { location.pointee }
        switch role {
        case .other: return false
        case .namesChannel: return record.arguments.argument(1, equalsLowercase: "__sentinel__:hello")
        case .setName: return record.arguments.bytes(ofArgument: 2)?.starts(with: namePrefix) ?? false
        }
    }

    /// The connection proved to be a Sentinel's: the commands held among its early ones count.
    @inline(never)
    private func becomeSentinel(_ connection: ConnectionInfo) {
        var state = connection.sentinelMonitoring
        defer { connection.sentinelMonitoring = state }
        state.isSentinel = true
        connections += 1
        sentinels.insert(connection.client.address)
        for index in 0..<Int(state.earlyCount) {
            commands += Int(state.earlyCounts[index])
            byCommand[state.earlyIDs[index], default: 0] += Int(state.earlyCounts[index])
        }
    }

    public func push(_ record: PushRecord, on connection: ConnectionInfo) {
        if !connection.sentinelMonitoring.receivedPushes { connection.sentinelMonitoring.receivedPushes = true }
    }

    /// A subscriber joined mid-stream (its SUBSCRIBE before the capture): its messages arrive as replies without a
    /// request.
    public func unpairedReply(_ reply: UnpairedReply, on connection: ConnectionInfo) {
        if !connection.sentinelMonitoring.receivedPushes { connection.sentinelMonitoring.receivedPushes = true }
    }

    /// Connections that only received pushes, by client host and server: a Sentinel's subscriber link when the host
    /// is a Sentinel's.
    private var subscribersOnly: [Endpoint: [IPAddress]] = [:]
    static let maxSubscriberServers = 1000

    public func connectionClosed(_ connection: ConnectionInfo) {
        let state = connection.sentinelMonitoring
        guard !state.isSentinel, state.receivedPushes, connection.commands == 0 else { return }
        if subscribersOnly[connection.server] != nil || subscribersOnly.count < Self.maxSubscriberServers {
            subscribersOnly[connection.server, default: []].append(connection.client.address)
        }
    }

    /// Sentinel names its links `sentinel-<first 8 of its run id>-cmd` and `...-pubsub`.
    static let namePrefix = Array("sentinel-".utf8)

    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {
        guard connections > 0 else { return }
        let links = subscribersOnly.values.reduce(0) { $0 + $1.filter { sentinels.contains($0) }.count }
        report.sentinelMonitoring = SentinelMonitoringSummary(
            sentinels: sentinels.count, connections: connections + links, commands: commands,
            // Two ids may share a name (a command one server knows and another does not): added up.
            byCommand: Dictionary(byCommand.map { (context.registry.name(of: CommandID(rawValue: $0.key)), $0.value) }, uniquingKeysWith: +))
    }
}

/// The `sentinelMonitoring` section: what Sentinels sent to the servers they watch.
public struct SentinelMonitoringSummary: Codable, Sendable, Equatable {
    /// Distinct Sentinel hosts (client addresses).
    public var sentinels: Int
    public var connections: Int
    /// Their commands, by name.
    public var commands: Int
    public var byCommand: [String: Int]
}

extension SentinelMonitoringStats: BuiltInAnalysis {
    package convenience init(setup: AnalysisSetup) {
        self.init()
    }
}
