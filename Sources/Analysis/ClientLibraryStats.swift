import RedisSemantics

/// Which client libraries and client names the connections declared: `CLIENT SETINFO LIB-NAME/LIB-VER` (sent by
/// redis-py 5+, Jedis, go-redis, node-redis 4.6+ on every new connection, answered or refused alike), `CLIENT
/// SETNAME` and `HELLO ... SETNAME`. A connection counts for the last library and name it declared, with all its
/// commands. Knowing the client lets advice name its settings; a connection that declared nothing is counted as such.
///
/// Memory: a few strings per connection while it is open; one entry per (library, version), and per client name up
/// to `maxTrackedNames` (further names are counted, not listed).
public final class ClientLibraryStats: TrafficAnalysis {
    public let maxTrackedNames: Int
    /// Client names listed in the report, most connections first.
    public let listedNames: Int

    enum Role: UInt8 {
        case other, setInfo, setName, hello
    }

    /// Per-connection state, kept in `ConnectionInfo` once the connection names a library or itself (a reference
    /// there: most connections of a capture carry none, and inline it cost 48 bytes each).
    final class ConnectionState {
        var libraryName: String?
        var libraryVersion: String?
        var clientName: String?
    }

    struct Library: Hashable {
        var name: String
        var version: String?
    }

    struct Usage {
        var connections = 0
        var commands = 0
    }

    private var roles = CommandIDTable<Role>()
    private var libraries: [Library: Usage] = [:]
    private var names: [String: Usage] = [:]
    private var namesNotTracked = Usage()
    private var connectionsWithoutLibrary = 0
    private var connectionsWithCommands = 0

    public init(maxTrackedNames: Int = 1000, listedNames: Int = 50) {
        self.maxTrackedNames = maxTrackedNames
        self.listedNames = listedNames
    }

    public func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        withUnsafePointer(to: record) { command(at: $0, on: connection) }
    }

    public func command(at location: UnsafePointer<CommandRecord>, on connection: ConnectionInfo) {
        var record: CommandRecord { location.pointee }
        switch role(of: record.command, registry: connection.registry) {
        case .other:
            return
        case .setInfo:
            // CLIENT SETINFO LIB-NAME|LIB-VER value: the library said what it is, whether the server knew the command.
            guard let value = record.arguments.string(ofArgument: 3) else { return }
            if record.arguments.argument(2, equalsLowercase: "lib-name") {
                state(of: connection).libraryName = value
            } else if record.arguments.argument(2, equalsLowercase: "lib-ver") {
                state(of: connection).libraryVersion = value
            }
        case .setName:
            guard !record.repliedError, let name = record.arguments.string(ofArgument: 2) else { return }
            state(of: connection).clientName = name.isEmpty ? nil : name
        case .hello:
            // HELLO [protover [AUTH username password] [SETNAME clientname]]: the name follows SETNAME, second
            // argument or, after AUTH's three, fifth (the last, always kept).
            guard !record.repliedError else { return }
            var name: String?
            if record.arguments.argument(2, equalsLowercase: "setname") {
                name = record.arguments.string(ofArgument: 3)
            } else if record.arguments.argument(2, equalsLowercase: "auth") && record.argumentCount == 7 {
                name = record.arguments.string(ofArgument: 6)
            }
            if let name { state(of: connection).clientName = name.isEmpty ? nil : name }
        }
    }

    private func state(of connection: ConnectionInfo) -> ConnectionState {
        if let state = connection.clientLibrary { return state }
        let state = ConnectionState()
        connection.clientLibrary = state
        return state
    }

    public func connectionClosed(_ connection: ConnectionInfo) {
        guard connection.commands > 0 else { return }
        connectionsWithCommands += 1
        let state = connection.clientLibrary
        connection.clientLibrary = nil
        if let state, state.libraryName != nil || state.libraryVersion != nil {
            let library = Library(name: state.libraryName ?? "", version: state.libraryVersion)
            libraries[library, default: Usage()].connections += 1
            libraries[library, default: Usage()].commands += connection.commands
        } else {
            connectionsWithoutLibrary += 1
        }
        if let name = state?.clientName {
            if names[name] != nil || names.count < maxTrackedNames {
                names[name, default: Usage()].connections += 1
                names[name, default: Usage()].commands += connection.commands
            } else {
                namesNotTracked.connections += 1
                namesNotTracked.commands += connection.commands
            }
        }
    }

    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {
        if !libraries.isEmpty {
            report.clientLibraries = libraries.map { library, usage in
                ClientLibrarySummary(name: library.name, version: library.version, connections: usage.connections,
                                     commands: usage.commands)
            }.sorted(by: ClientLibrarySummary.ranking)
            report.connectionsWithoutClientLibrary = connectionsWithoutLibrary
        }
        if !names.isEmpty {
            let all = names.map { ClientNameSummary(name: $0.key, connections: $0.value.connections, commands: $0.value.commands) }
                .sorted { ($0.connections, $0.commands, $1.name) > ($1.connections, $1.commands, $0.name) }
            report.clientNames = Array(all.prefix(listedNames))
            let notListed = all.dropFirst(listedNames).reduce(namesNotTracked.connections) { $0 + $1.connections }
            if notListed > 0 { report.connectionsWithNamesNotListed = notListed }
        }
    }

    @inline(__always)
    private func role(of id: CommandID, registry: CommandRegistry) -> Role {
        roles.value(of: id) { Self.role(named: registry.name(of: $0)) }
    }

    @inline(never)
    private static func role(named name: String) -> Role {
        switch name {
        case "client|setinfo": .setInfo
        case "client|setname": .setName
        case "hello": .hello
        default: .other
        }
    }
}

/// A client library as its connections declared it (`CLIENT SETINFO LIB-NAME`/`LIB-VER`), and what they carried.
public struct ClientLibrarySummary: Codable, Sendable, Equatable {
    /// As the client sent it (`redis-py`, `jedis`, `go-redis(,go1.22.1)`); empty when only a version was sent.
    public var name: String
    /// Nil when the connections sent no LIB-VER.
    public var version: String?
    /// Connections that declared this library (with commands in the capture).
    public var connections: Int
    /// All the commands of those connections.
    public var commands: Int

    public init(name: String, version: String?, connections: Int, commands: Int) {
        self.name = name
        self.version = version
        self.connections = connections
        self.commands = commands
    }

    /// Most connections first, then by name and version.
    public static func ranking(_ a: ClientLibrarySummary, _ b: ClientLibrarySummary) -> Bool {
        (a.connections, a.commands, b.name, b.version ?? "") > (b.connections, b.commands, a.name, a.version ?? "")
    }
}

/// A client name (`CLIENT SETNAME`, `HELLO ... SETNAME`), with the connections that last set it and their commands.
public struct ClientNameSummary: Codable, Sendable, Equatable {
    public var name: String
    public var connections: Int
    public var commands: Int

    public init(name: String, connections: Int, commands: Int) {
        self.name = name
        self.connections = connections
        self.commands = commands
    }
}

extension ClientLibraryStats: BuiltInAnalysis {
    package convenience init(setup: AnalysisSetup) {
        self.init()
    }
}
