/// A compact id for a command name, as `INFO commandstats` names it (`get`, `client|setname`, or an unknown
/// command's lowercase name). Ids are dense, so per-command statistics can live in arrays.
public struct CommandID: Hashable, Sendable, Comparable, BitwiseCopyable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static func < (a: CommandID, b: CommandID) -> Bool { a.rawValue < b.rawValue }
}

/// Names commands from the raw bytes of a request's first two arguments, without allocating for known commands.
///
/// Known commands (and subcommands of container commands) get the id of their command-table entry. Unknown
/// names are interned on first sight, up to `maxUnknownNames`; past that they all share the id of `(other)`.
public final class CommandRegistry {
    public struct Entry: Sendable {
        public let name: String
        /// Index into `CommandTable`, nil for unknown commands.
        public let tableIndex: Int?
        public let flags: CommandFlags
        public let isContainer: Bool
        /// How pairing treats it (CLIENT REPLY, MULTI/EXEC, SUBSCRIBE...), from its name.
        let role: PairingRole

        init(name: String, tableIndex: Int?, flags: CommandFlags, isContainer: Bool) {
            self.name = name
            self.tableIndex = tableIndex
            self.flags = flags
            self.isContainer = isContainer
            role = PairingRole(name: name)
        }
    }

    public private(set) var entries: [Entry]
    /// What the per-command paths read of each entry, without its name: reading an `Entry` copies (retains and
    /// releases) its `String`.
    private struct Traits {
        var flags: CommandFlags
        var role: PairingRole
        var tableIndex: Int32
        var isContainer: Bool

        init(_ entry: Entry) {
            flags = entry.flags
            role = entry.role
            tableIndex = entry.tableIndex.map { Int32($0) } ?? -1
            isContainer = entry.isContainer
        }
    }
    private var traits: [Traits] = []
    /// Command-table names looked up lately, by their bytes as sent: a request stream repeats a few names, and a
    /// hit spares the table's case folding, hashing and probing.
    private let recentNames = RecentNames()
    private var unknownIDs: [String: CommandID] = [:]
    public let maxUnknownNames: Int
    /// Unknown names that could not be interned because `maxUnknownNames` was reached.
    public private(set) var unknownNamesDropped = 0
    public let otherID: CommandID

    public init(maxUnknownNames: Int = 1000) {
        self.maxUnknownNames = maxUnknownNames
        var entries: [Entry] = []
        entries.reserveCapacity(CommandTable.count + 16)
        for index in 0..<CommandTable.count {
            let spec = CommandTable.spec(at: index)
            entries.append(Entry(name: spec.name, tableIndex: index, flags: spec.flags, isContainer: !spec.subcommands.isEmpty))
        }
        otherID = CommandID(rawValue: Int32(entries.count))
        entries.append(Entry(name: "(other)", tableIndex: nil, flags: [], isContainer: false))
        self.entries = entries
        traits = entries.map(Traits.init)
    }

    deinit {
        recentNames.deallocate()
    }

    @inline(__always) public func flags(of id: CommandID) -> CommandFlags { traits[Int(id.rawValue)].flags }
    @inline(__always) func role(of id: CommandID) -> PairingRole { traits[Int(id.rawValue)].role }
    @inline(__always) func isContainer(_ id: CommandID) -> Bool { traits[Int(id.rawValue)].isContainer }
    /// Index into `CommandTable`, nil for unknown commands.
    @inline(__always) public func tableIndex(of id: CommandID) -> Int? {
        let index = traits[Int(id.rawValue)].tableIndex
        return index < 0 ? nil : Int(index)
    }

    public subscript(id: CommandID) -> Entry { entries[Int(id.rawValue)] }

    public func name(of id: CommandID) -> String { entries[Int(id.rawValue)].name }

    /// The id for a command whose first argument is `name`. Container commands resolve to the parent here; call
    /// `resolveSubcommand` with the second argument.
    /// Inlined into the request path: a hit in `recentNames` is a few instructions, less than the call was.
    @inline(__always)
    public func id(forName name: UnsafeRawBufferPointer) -> CommandID {
        let key = RecentNameKey(name)
        let entry = recentNames.entry(for: key)
        if key.count > 0 && entry.pointee.key == key { return entry.pointee.id }
        return lookUp(name, key: key, entry: entry)
    }

    /// `id(forName:)` past `recentNames`: the table (remembering what it finds), or an unknown name.
    @inline(never)
    private func lookUp(_ name: UnsafeRawBufferPointer, key: RecentNameKey, entry: UnsafeMutablePointer<RecentNames.Entry>) -> CommandID {
        guard let index = CommandTable.lookup(name) else { return unknown(name, prefix: nil) }
        let id = CommandID(rawValue: Int32(index))
        if key.count > 0 { entry.pointee = RecentNames.Entry(key: key, id: id) }
        return id
    }

    /// For a container command (`client`, `config`, ...): the `parent|sub` id, or an unknown `parent|sub` name.
    public func resolveSubcommand(parent: CommandID, _ sub: UnsafeRawBufferPointer) -> CommandID {
        let entry = entries[Int(parent.rawValue)]
        guard let parentIndex = entry.tableIndex, entry.isContainer else { return parent }
        if let index = CommandTable.lookupSubcommand(parent: parentIndex, sub) {
            return CommandID(rawValue: Int32(index))
        }
        return unknown(sub, prefix: entry.name)
    }

    /// For a command the server answered `-ERR unknown command`: an unknown command named as the request's first
    /// argument (in lowercase) when the table had it, from another server; `id` itself when already unknown.
    public func unknownToServer(_ id: CommandID) -> CommandID {
        guard isKnown(id) else { return id }
        let name = entries[Int(id.rawValue)].name
        let top = name.split(separator: "|", maxSplits: 1).first.map(String.init) ?? name
        return Array(top.lowercased().utf8).withUnsafeBytes { unknown($0, prefix: nil) }
    }

    private func unknown(_ bytes: UnsafeRawBufferPointer, prefix: String?) -> CommandID {
        var name = String(decoding: bytes.prefix(64), as: UTF8.self).lowercased()
        if let prefix { name = prefix + "|" + name }
        if let id = unknownIDs[name] { return id }
        guard unknownIDs.count < maxUnknownNames else {
            unknownNamesDropped += 1
            return otherID
        }
        let id = CommandID(rawValue: Int32(entries.count))
        entries.append(Entry(name: name, tableIndex: nil, flags: [], isContainer: false))
        traits.append(Traits(entries[entries.count - 1]))
        unknownIDs[name] = id
        return id
    }

    public func isKnown(_ id: CommandID) -> Bool { traits[Int(id.rawValue)].tableIndex >= 0 }

    /// Entries so far: ids `0..<count` are given.
    public var count: Int { entries.count }

    /// Takes over an entry another registry (built with the same table) interned at id `count`: a second thread keeps
    /// its own registry in step from a stream of these, instead of reading one another thread writes to.
    public func mirror(_ entry: Entry) {
        if entry.tableIndex == nil { unknownIDs[entry.name] = CommandID(rawValue: Int32(entries.count)) }
        entries.append(entry)
        traits.append(Traits(entry))
    }
}
