/// Command flags as `COMMAND INFO` reports them (Redis 7 names in comments).
public struct CommandFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Written out rather than the standard library's generic one: the generated command table builds ~1,100 option-set
    /// literals, unoptimised, at every start, and each cost ~3,000 instructions through `SetAlgebra`.
    public init(arrayLiteral elements: CommandFlags...) {
        var rawValue: UInt32 = 0
        for element in elements { rawValue |= element.rawValue }
        self.init(rawValue: rawValue)
    }

    public static let write = CommandFlags(rawValue: 1 << 0)
    public static let readonly = CommandFlags(rawValue: 1 << 1)
    public static let denyoom = CommandFlags(rawValue: 1 << 2)
    public static let module = CommandFlags(rawValue: 1 << 3)
    public static let admin = CommandFlags(rawValue: 1 << 4)
    public static let pubsub = CommandFlags(rawValue: 1 << 5)
    public static let noscript = CommandFlags(rawValue: 1 << 6)
    /// The command may block the client (BLPOP, WAIT, ...). XREAD/XREADGROUP carry it too:
    /// Redis 7 flags them `blocking` although they only block with the BLOCK option.
    public static let blocking = CommandFlags(rawValue: 1 << 7)
    public static let loading = CommandFlags(rawValue: 1 << 8)
    public static let stale = CommandFlags(rawValue: 1 << 9)
    /// `skip_monitor`
    public static let skipMonitor = CommandFlags(rawValue: 1 << 10)
    /// `skip_slowlog`
    public static let skipSlowlog = CommandFlags(rawValue: 1 << 11)
    public static let asking = CommandFlags(rawValue: 1 << 12)
    public static let fast = CommandFlags(rawValue: 1 << 13)
    /// `no_auth`
    public static let noAuth = CommandFlags(rawValue: 1 << 14)
    /// `may_replicate`
    public static let mayReplicate = CommandFlags(rawValue: 1 << 15)
    /// Hidden by the server in `COMMAND INFO`; present for completeness.
    public static let sentinel = CommandFlags(rawValue: 1 << 16)
    /// Hidden by the server in `COMMAND INFO`; present for completeness.
    public static let onlySentinel = CommandFlags(rawValue: 1 << 17)
    /// `no_mandatory_keys`
    public static let noMandatoryKeys = CommandFlags(rawValue: 1 << 18)
    /// Hidden by the server in `COMMAND INFO`; present for completeness.
    public static let protected = CommandFlags(rawValue: 1 << 19)
    /// `movablekeys`: key positions depend on the arguments (computed by the server from the key specs).
    public static let movableKeys = CommandFlags(rawValue: 1 << 20)
    /// `no_multi`
    public static let noMulti = CommandFlags(rawValue: 1 << 21)
    /// `allow_busy`
    public static let allowBusy = CommandFlags(rawValue: 1 << 22)
    /// `no_async_loading`
    public static let noAsyncLoading = CommandFlags(rawValue: 1 << 23)
    /// `skip_commandlog` (Valkey 8.1+; Valkey's successor of `skip_slowlog`)
    public static let skipCommandlog = CommandFlags(rawValue: 1 << 24)
}

/// Where the search for a key spec's keys starts (`begin_search`).
public enum KeyBeginSearch: Sendable, Hashable {
    /// Keys start at this argument index (argv[0] is the command name).
    case index(Int)
    /// Keys start right after `keyword` (ASCII case-insensitive). A positive `startFrom` searches
    /// forwards from that index; a negative one searches backwards from `argc + startFrom`.
    case keyword(String, startFrom: Int)
    /// The server cannot tell (e.g. SORT ... STORE); no keys are derived from this spec.
    case unknown
}

/// How many keys follow the begin-search position (`find_keys`).
public enum KeyFindKeys: Sendable, Hashable {
    /// Keys run from the start to `start + lastKey`; a negative `lastKey` counts from the end of the
    /// arguments (-1 = last). With `limit > 1` and `lastKey == -1`, only 1/limit of the rest are keys.
    case range(lastKey: Int, step: Int, limit: Int)
    /// The argument at `start + keyNumIndex` is the key count; keys begin at `start + firstKey`.
    case keyNum(keyNumIndex: Int, firstKey: Int, step: Int)
    /// The server cannot tell; no keys are derived from this spec.
    case unknown
}

/// Key spec flags as `COMMAND INFO` reports them.
public struct KeySpecFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// As `CommandFlags.init(arrayLiteral:)`, and for the same reason.
    public init(arrayLiteral elements: KeySpecFlags...) {
        var rawValue: UInt16 = 0
        for element in elements { rawValue |= element.rawValue }
        self.init(rawValue: rawValue)
    }

    /// `RO`: read-only access to the key.
    public static let ro = KeySpecFlags(rawValue: 1 << 0)
    /// `RW`: read and modify.
    public static let rw = KeySpecFlags(rawValue: 1 << 1)
    /// `OW`: overwrite.
    public static let ow = KeySpecFlags(rawValue: 1 << 2)
    /// `RM`: remove.
    public static let rm = KeySpecFlags(rawValue: 1 << 3)
    public static let access = KeySpecFlags(rawValue: 1 << 4)
    public static let update = KeySpecFlags(rawValue: 1 << 5)
    public static let insert = KeySpecFlags(rawValue: 1 << 6)
    public static let delete = KeySpecFlags(rawValue: 1 << 7)
    /// `not_key`: the argument is not a key (e.g. a channel); skipped by key extraction.
    public static let notKey = KeySpecFlags(rawValue: 1 << 8)
    /// `incomplete`: the spec may miss keys or report a non-key (MIGRATE, SORT).
    public static let incomplete = KeySpecFlags(rawValue: 1 << 9)
    /// `variable_flags`: the access flags depend on the arguments.
    public static let variableFlags = KeySpecFlags(rawValue: 1 << 10)
}

/// One `key_specs` entry of `COMMAND INFO`.
public struct KeySpec: Sendable, Hashable {
    public let beginSearch: KeyBeginSearch
    public let findKeys: KeyFindKeys
    public let flags: KeySpecFlags

    public init(beginSearch: KeyBeginSearch, findKeys: KeyFindKeys, flags: KeySpecFlags) {
        self.beginSearch = beginSearch
        self.findKeys = findKeys
        self.flags = flags
    }
}

/// Which of the servers the command table was generated from have a command: one bit per server (kind and
/// version), declared with the generated table (`.redis7_0`, `.valkey8_1`, `.sentinel7_0`, ...).
public struct CommandOrigin: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// As `CommandFlags.init(arrayLiteral:)`, and for the same reason.
    public init(arrayLiteral elements: CommandOrigin...) {
        var rawValue: UInt16 = 0
        for element in elements { rawValue |= element.rawValue }
        self.init(rawValue: rawValue)
    }
}

/// One server the command table was generated from.
public struct CommandTableSource: Sendable {
    public let origin: CommandOrigin
    /// `redis`, `valkey`, `sentinel` or `valkey-sentinel` (a server in sentinel mode has its own command table).
    public let server: String
    public let version: String
    /// That server's `COMMAND COUNT` (top-level commands) and its number of subcommands.
    public let commandCount: Int
    public let subcommandCount: Int

    public init(origin: CommandOrigin, server: String, version: String, commandCount: Int, subcommandCount: Int) {
        self.origin = origin
        self.server = server
        self.version = version
        self.commandCount = commandCount
        self.subcommandCount = subcommandCount
    }
}

/// A Redis command (or a subcommand of a container command) as the server describes it in
/// `COMMAND INFO` and `COMMAND DOCS`.
public struct CommandSpec: Sendable {
    /// As `INFO commandstats` names it: `get`, `client|setname`; a module command as its module registered it
    /// (Redis 8's vector sets: `VADD`).
    public let name: String
    /// The servers (of the table's sources) that have this command; where they describe it differently, the
    /// description is the first source's (Redis before Valkey before Sentinel).
    public let origin: CommandOrigin
    /// Redis convention: positive = exactly `arity` arguments, negative = at least `-arity`;
    /// the command name (and for a subcommand, the subcommand name) counts.
    public let arity: Int
    public let flags: CommandFlags
    /// Legacy key range (`first key`, `last key`, `step` of `COMMAND INFO`); prefer `keySpecs`.
    public let firstKey: Int, lastKey: Int, keyStep: Int
    public let keySpecs: [KeySpec]
    /// `COMMAND DOCS` group: `string`, `list`, `server`, ...
    public let group: String
    /// Sorted by name; empty unless this is a container command (`client`, `config`, ...).
    public let subcommands: [CommandSpec]
    /// `@read`, `@write`, `@slow`, `@blocking`, ...
    public let aclCategories: [String]
    /// Command tips: `nondeterministic_output`, `request_policy:all_shards`, ...
    public let tips: [String]
    /// `COMMAND DOCS` fields: the version that introduced the command, a one-line summary, complexity.
    public let since: String
    public let summary: String
    public let complexity: String

    public init(
        name: String, origin: CommandOrigin = [], arity: Int, flags: CommandFlags,
        firstKey: Int, lastKey: Int, keyStep: Int,
        keySpecs: [KeySpec],
        group: String,
        subcommands: [CommandSpec],
        aclCategories: [String],
        tips: [String] = [],
        since: String = "",
        summary: String = "",
        complexity: String = ""
    ) {
        self.name = name
        self.origin = origin
        self.arity = arity
        self.flags = flags
        self.firstKey = firstKey
        self.lastKey = lastKey
        self.keyStep = keyStep
        self.keySpecs = keySpecs
        self.group = group
        self.subcommands = subcommands
        self.aclCategories = aclCategories
        self.tips = tips
        self.since = since
        self.summary = summary
        self.complexity = complexity
    }
}
