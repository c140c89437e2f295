/// What pairing needs to know of a command beyond its flags, decided once per command name (when the registry
/// names the command) rather than by comparing name strings on every request and reply.
enum PairingRole: Sendable, Equatable {
    case ordinary
    case clientReply
    case reset
    case hello
    case multi
    case exec
    case discard
    /// WATCH and UNWATCH: transaction control, not queued inside MULTI.
    case watch
    case monitor
    /// XREAD and XREADGROUP: blocking only with the BLOCK option.
    case streamRead
    case subscription(SubscriptionKind)
    /// PSYNC and SYNC: a replica's request; what follows from the server is the RDB and then propagated commands.
    case sync
    /// REPLCONF: ACK and GETACK get no reply.
    case replconf

    init(name: String) {
        switch name {
        case "client|reply": self = .clientReply
        case "reset": self = .reset
        case "hello": self = .hello
        case "multi": self = .multi
        case "exec": self = .exec
        case "discard": self = .discard
        case "watch", "unwatch": self = .watch
        case "monitor": self = .monitor
        case "xread", "xreadgroup": self = .streamRead
        case "psync", "sync": self = .sync
        case "replconf": self = .replconf
        default:
            if let kind = SubscriptionKind(commandName: name) { self = .subscription(kind) } else { self = .ordinary }
        }
    }

    /// MULTI, EXEC, DISCARD, WATCH, UNWATCH and RESET run at once inside a transaction; everything else is queued.
    var isTransactionControl: Bool {
        switch self {
        case .multi, .exec, .discard, .watch, .reset: true
        default: false
        }
    }

    var subscription: SubscriptionKind? {
        if case .subscription(let kind) = self { return kind }
        return nil
    }
}
