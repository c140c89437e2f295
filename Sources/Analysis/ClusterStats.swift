import CPrefetch
import Packets
import RedisSemantics

/// Redis Cluster as the wire shows it: the hash slot of every keyed command (its first key, `HashSlot`), calls,
/// bytes and server time per slot and per node (server address), and the cluster's error replies — `MOVED` and
/// `ASK` redirects with their slot and target, `TRYAGAIN`, `CLUSTERDOWN`, `CROSSSLOT` — per client address, with the
/// `ASKING` commands that follow an ASK.
///
/// A MOVED is *repeated* when the connection's request was sent after the same connection had already received a
/// MOVED for that slot: the client did not update its slot map from the first one.
///
/// Memory: 16,384 slot counters (0.5 MB, made at the first keyed command; 0.2 MB more at the first redirect), one
/// entry per node (servers past `maxTrackedNodes` are counted together), per client address with cluster errors (at
/// most `maxTrackedClients`), per redirect target (at most `maxTargets`), and per connection the slots it was told
/// had moved (at most `ConnectionState.maxToldSlots`). Per command: a slot computation over the kept key bytes and
/// array increments; a dictionary look-up only for cluster error replies and ASKING.
public final class ClusterStats: TrafficAnalysis {
    public let maxTrackedNodes: Int
    public let maxTrackedClients: Int
    /// Distinct redirect targets kept by name; later ones are reported as `(other)`.
    public static let maxTargets = 1_024

    /// What a slot's commands cost, written per keyed command: 32 bytes, so the 16,384 of them take half a
    /// megabyte of cache, not the 0.8 MB they took with the redirect counters beside them.
    struct SlotLoad {
        var calls = 0
        var bytes: Int64 = 0
        var serverNanos: Int64 = 0
        /// The node that answered this slot's commands (index into `nodes`), by a running majority vote.
        var node: Int32 = -1
        var votes: Int32 = 0
    }

    /// A slot's redirects, written only per MOVED or ASK reply.
    struct SlotRedirects {
        var moved: Int32 = 0
        var ask: Int32 = 0
        /// Target of the latest redirect for this slot (index into `targets`), -1 before any.
        var target: Int32 = -1
    }

    struct Node {
        let endpoint: Endpoint
        var calls = 0
        var keyedCalls = 0
        var bytes: Int64 = 0
        var serverNanos: Int64 = 0
        var moved = 0
        var ask = 0
    }

    struct Client {
        var redirects = ClusterSummary.ClientRedirects(client: "")
        var redirectNanos: Int64 = 0
    }

    /// Per connection: the node it talks to, and when it was first told (MOVED) that a slot lives elsewhere.
    struct ConnectionState {
        static let maxToldSlots = 64
        var node: Int32 = -1
        var told: [UInt16: Int64] = [:]
    }

    /// What a command is to this analysis, decided once per command id.
    enum Role: UInt8 { case unknown, unkeyed, keyed, movableKeys, asking, clusterCommand }

    private var roles: [Role] = []
    private var tableIndexes: [Int] = []
    /// First key position of commands whose keys do not move (0: none).
    private var fixedKeyPositions: [Int] = []
    /// 16,384 slot counters, made at the first keyed command, and their redirects, made at the first redirect.
    /// Pointer storage: this is written per command, and an array property would pay a uniqueness and an
    /// exclusivity check per field written.
    private var slotLoads: UnsafeMutablePointer<SlotLoad>?
    private var slotRedirects: UnsafeMutablePointer<SlotRedirects>?
    private var nodes: [Node] = []
    private var nodeIndex: [Endpoint: Int32] = [:]
    private var untrackedNodeCalls = 0
    private var targets: [String] = []
    private var targetIndex: [UInt64: Int32] = [:]
    private var clients: [IPAddress: Client] = [:]
    private var untrackedClientErrors = 0
    private var keyedCalls = 0
    private var clusterCommands = 0
    private var unknownSlotCalls = 0
    private var totals = ClusterSummary.Redirects()
    /// ASK replies per command id: the share of them their clients followed with ASKING are expected errors.
    private var askByCommand: [Int32: Int] = [:]
    /// `benignErrors[].kind` of the ASK replies a client followed with ASKING.
    public static let followedRedirect = "cluster-redirect"

    private static let moved = ErrorCode("MOVED"), ask = ErrorCode("ASK"), tryAgain = ErrorCode("TRYAGAIN"),
        clusterDown = ErrorCode("CLUSTERDOWN"), crossSlot = ErrorCode("CROSSSLOT")

    public init(maxTrackedNodes: Int = 1_000, maxTrackedClients: Int = 10_000) {
        self.maxTrackedNodes = maxTrackedNodes
        self.maxTrackedClients = maxTrackedClients
    }

    deinit {
        slotLoads?.deinitialize(count: HashSlot.count)
        slotLoads?.deallocate()
        slotRedirects?.deinitialize(count: HashSlot.count)
        slotRedirects?.deallocate()
    }

    /// Looks ahead: asks for the load counters of the next command's key slot (a table of 0.5 MB).
    @inline(__always)
    package func prefetch(_ digest: ArgumentDigest) {
        guard digest.keySlot >= 0, let table = slotLoads else { return }
        respcap_prefetch(table + Int(digest.keySlot))
    }

    /// The counters of `slot` (0..<16384), made with the table when first needed.
    @inline(__always)
    private func load(of slot: Int) -> UnsafeMutablePointer<SlotLoad> {
        if let table = slotLoads { return table + slot }
        let table = Self.makeTable(of: SlotLoad())
        slotLoads = table
        return table + slot
    }

    /// The redirect counters of `slot`, made with their table when first needed.
    private func redirects(of slot: Int) -> UnsafeMutablePointer<SlotRedirects> {
        if let table = slotRedirects { return table + slot }
        let table = Self.makeTable(of: SlotRedirects())
        slotRedirects = table
        return table + slot
    }

    private static func makeTable<T>(of initial: T) -> UnsafeMutablePointer<T> {
        let table = UnsafeMutablePointer<T>.allocate(capacity: HashSlot.count)
        table.initialize(repeating: initial, count: HashSlot.count)
        return table
    }

    public func connectionOpened(_ connection: ConnectionInfo) {
        if let index = nodeIndex[connection.server] {
            connection.cluster.node = index
        } else if nodes.count < maxTrackedNodes {
            connection.cluster.node = Int32(nodes.count)
            nodeIndex[connection.server] = Int32(nodes.count)
            nodes.append(Node(endpoint: connection.server))
        }
    }

    public func command(_ record: CommandRecord, on connection: ConnectionInfo) {
        withUnsafePointer(to: record) { command(at: $0, on: connection) }
    }

    public func command(at location: UnsafePointer<CommandRecord>, on connection: ConnectionInfo) {
        var record: CommandRecord { location.pointee }
        let node = Int(connection.cluster.node)
        var service: Int64 = 0
        if !record.isBlocking && !record.isQueuedInTransaction, let latency = record.latencyNanos { service = latency }
        let bytes = Int64(record.requestBytes + record.replyBytes)
        let errorKind = record.outcome == .replied && record.errorCode.isSet ? Self.kind(of: record.errorCode) : .none
        let role = role(of: record.command, registry: connection.registry)
        if role == .asking { noteClient(connection) { $0.redirects.asking += 1 } }
        if role == .clusterCommand { clusterCommands += 1 }
        var slot = -1
        var keyed = false
        if role == .keyed || role == .movableKeys {
            let position = role == .keyed ? fixedKeyPositions[Int(record.command.rawValue)]
                : location.keptArguments.withArguments { argument in
                    CommandTable.firstKeyIndex(spec: tableIndexes[Int(record.command.rawValue)],
                                               argumentCount: record.argumentCount, argument: argument)
                } ?? 0
            if position > 0, position < record.argumentCount {
                keyedCalls += 1
                keyed = true
                // Worked out where the record was packed, when it was (for the same key).
                let digest = record.digest
                let found = digest.isSet && Int(digest.keyPosition) == position ? (digest.keySlot >= 0 ? Int(digest.keySlot) : nil)
                    : location.keptArguments.withArgumentAndLength(position) { key, fullLength in
                        HashSlot.slot(of: key, fullLength: fullLength)
                    } ?? nil
                if let found {
                    slot = found
                    let counters = load(of: found)
                    counters.pointee.calls += 1
                    counters.pointee.bytes += bytes
                    counters.pointee.serverNanos += service
                    if errorKind == .none && record.outcome == .replied && node >= 0 { Self.vote(counters, node: Int32(node)) }
                } else {
                    unknownSlotCalls += 1
                }
            }
        }
        if node >= 0 {
            // One access to the array for the node's whole update: each subscript of a class's array property
            // checked uniqueness and bounds again.
            precondition(node < nodes.count)
            nodes.withUnsafeMutableBufferPointer { Self.count(&$0[node], bytes: bytes, serverNanos: service, keyed: keyed) }
        } else {
            untrackedNodeCalls += 1
        }
        guard errorKind != .none else { return }
        noteError(errorKind, record, keySlot: slot, node: node, connection: connection)
    }

    // MARK: cluster errors

    enum ErrorKind { case none, moved, ask, tryAgain, clusterDown, crossSlot }

    @inline(__always)
    static func kind(of code: ErrorCode) -> ErrorKind {
        if code == moved { return .moved }
        if code == ask { return .ask }
        if code == tryAgain { return .tryAgain }
        if code == clusterDown { return .clusterDown }
        if code == crossSlot { return .crossSlot }
        return .none
    }

    private func noteError(_ kind: ErrorKind, _ record: CommandRecord, keySlot: Int, node: Int, connection: ConnectionInfo) {
        switch kind {
        case .none: return
        case .tryAgain:
            totals.tryagain += 1
            noteClient(connection) { $0.redirects.tryagain += 1 }
        case .clusterDown:
            totals.clusterdown += 1
            noteClient(connection) { $0.redirects.clusterdown += 1 }
        case .crossSlot:
            totals.crossslot += 1
            noteClient(connection) { $0.redirects.crossslot += 1 }
        case .moved, .ask:
            // The target's bytes are borrowed: named inside the closure.
            let redirect = record.replyFirstElement.isSet
                ? record.replyFirstElement.withUnsafeBytes { text in
                    Self.parseRedirect(text).map { (slot: $0.slot, target: self.target(named: $0.target)) }
                } : nil
            let slot = redirect?.slot ?? (keySlot >= 0 ? keySlot : nil)
            let targetIndex = redirect?.target ?? -1
            if let slot {
                let counters = redirects(of: slot)
                if kind == .moved { counters.pointee.moved += 1 } else { counters.pointee.ask += 1 }
                if targetIndex >= 0 { counters.pointee.target = targetIndex }
            }
            let elapsed = record.replyEndNanos >= record.requestStartNanos ? record.replyEndNanos - record.requestStartNanos : 0
            if kind == .ask {
                totals.ask += 1
                askByCommand[record.command.rawValue, default: 0] += 1
                if node >= 0 { nodes[node].ask += 1 }
                noteClient(connection) { $0.redirects.ask += 1 }
                return
            }
            totals.moved += 1
            if node >= 0 { nodes[node].moved += 1 }
            var repeated = false
            if let slot {
                let key = UInt16(slot)
                if let toldAt = connection.cluster.told[key] {
                    repeated = record.requestStartNanos >= toldAt
                } else if connection.cluster.told.count < ConnectionState.maxToldSlots {
                    connection.cluster.told[key] = record.replyEndNanos
                }
            }
            if repeated { totals.movedRepeated += 1 }
            noteClient(connection) { client in
                client.redirects.moved += 1
                client.redirectNanos += elapsed
                if repeated { client.redirects.movedRepeated += 1 }
            }
        }
    }

    private func noteClient(_ connection: ConnectionInfo, _ update: (inout Client) -> Void) {
        let address = connection.client.address
        if clients[address] == nil {
            guard clients.count < maxTrackedClients else {
                untrackedClientErrors += 1
                return
            }
            clients[address] = Client()
        }
        update(&clients[address]!)
    }

    /// `MOVED 3999 127.0.0.1:6381` / `ASK 3999 host:port`: the slot and the target's text (nil when malformed).
    static func parseRedirect(_ text: UnsafeRawBufferPointer) -> (slot: Int, target: UnsafeRawBufferPointer)? {
        var firstSpace = 0
        while firstSpace < text.count && text[firstSpace] != UInt8(ascii: " ") { firstSpace += 1 }
        guard firstSpace < text.count else { return nil }
        var i = firstSpace + 1
        var slot = 0
        let digitsStart = i
        while i < text.count, text[i] >= UInt8(ascii: "0"), text[i] <= UInt8(ascii: "9"), i - digitsStart < 5 {
            slot = slot * 10 + Int(text[i] - UInt8(ascii: "0"))
            i += 1
        }
        guard i > digitsStart, slot < HashSlot.count, i < text.count, text[i] == UInt8(ascii: " ") else { return nil }
        var end = i + 1
        while end < text.count && text[end] != UInt8(ascii: " ") && text[end] != UInt8(ascii: "\r") { end += 1 }
        guard end > i + 1 else { return nil }
        return (slot, UnsafeRawBufferPointer(rebasing: text[(i + 1)..<end]))
    }

    /// The index of a redirect target, made when first seen (at most `maxTargets`; the rest share `(other)`).
    private func target(named bytes: UnsafeRawBufferPointer) -> Int32 {
        let hash = keyHash(bytes)
        if let index = targetIndex[hash] { return index }
        if targets.count >= Self.maxTargets {
            if let other = targetIndex[0] { return other }
            targetIndex[0] = Int32(targets.count)
            targets.append("(other)")
            return Int32(targets.count - 1)
        }
        targetIndex[hash] = Int32(targets.count)
        targets.append(KeyText.printable(Array(bytes)))
        return Int32(targets.count - 1)
    }

    /// Boyer–Moore majority: the slot's node is the one that answered most of its commands whenever one answered
    /// more than half of them.
    @inline(__always)
    private static func vote(_ slot: UnsafeMutablePointer<SlotLoad>, node: Int32) {
        if slot.pointee.node == node {
            slot.pointee.votes += 1
        } else if slot.pointee.votes == 0 {
            slot.pointee.node = node
            slot.pointee.votes = 1
        } else {
            slot.pointee.votes -= 1
        }
    }

    /// The fields of the node's entry written per command.
    @inline(__always)
    private static func count(_ node: inout Node, bytes: Int64, serverNanos: Int64, keyed: Bool) {
        node.calls += 1
        if keyed { node.keyedCalls += 1 }
        node.bytes += bytes
        node.serverNanos += serverNanos
    }

    @inline(__always)
    private func role(of id: CommandID, registry: CommandRegistry) -> Role {
        let index = Int(id.rawValue)
        if index < roles.count, roles[index] != .unknown { return roles[index] }
        return lookUpRole(of: id, registry: registry)
    }

    /// A command id's first time: its role, table index and fixed key position (out of line: the string
    /// comparisons inlined into the read per command cost more than they save).
    @inline(never)
    private func lookUpRole(of id: CommandID, registry: CommandRegistry) -> Role {
        let index = Int(id.rawValue)
        if index >= roles.count {
            roles += repeatElement(.unknown, count: index + 1 - roles.count)
            tableIndexes += repeatElement(-1, count: index + 1 - tableIndexes.count)
            fixedKeyPositions += repeatElement(0, count: index + 1 - fixedKeyPositions.count)
        }
        let role: Role
        let name = registry.name(of: id)
        if name == "asking" {
            role = .asking
        } else if name == "cluster" || name.hasPrefix("cluster|") || name == "readonly" || name == "readwrite" {
            role = .clusterCommand
        } else if let tableIndex = registry.tableIndex(of: id) {
            tableIndexes[index] = tableIndex
            if CommandTable.flags(at: tableIndex).contains(.movableKeys) {
                role = .movableKeys
            } else {
                // With as many arguments as a request can have, the fixed position is the begin-search index.
                let position = CommandTable.firstKeyIndex(spec: tableIndex, argumentCount: Int(Int32.max), argument: { _ in nil }) ?? 0
                fixedKeyPositions[index] = position
                role = position > 0 ? .keyed : .unkeyed
            }
        } else {
            role = .unkeyed
        }
        roles[index] = role
        return role
    }

    // MARK: report

    public func finish(into report: inout AnalysisReport, context: AnalysisContext) {
        let listed = nodes.indices.filter { nodes[$0].keyedCalls > 0 || nodes[$0].moved + nodes[$0].ask > 0 }
        let anyError = totals.moved + totals.ask + totals.tryagain + totals.clusterdown + totals.crossslot > 0
            || clients.values.contains { $0.redirects.asking > 0 }
        guard listed.count > 1 || anyError else { return }
        var summary = ClusterSummary()
        let allCalls = listed.reduce(0) { $0 + nodes[$1].calls }
        summary.nodes = listed.map { i in
            let n = nodes[i]
            var row = ClusterSummary.Node(address: n.endpoint.description)
            row.calls = n.calls
            row.share = ClusterSummary.share(n.calls, of: allCalls)
            row.keyedCalls = n.keyedCalls
            row.bytes = n.bytes
            row.serverMicros = ClusterSummary.micros(n.serverNanos)
            row.moved = n.moved
            row.ask = n.ask
            return row
        }.sorted { ($0.calls, $1.address) > ($1.calls, $0.address) }
        summary.keyedCalls = keyedCalls
        if clusterCommands > 0 { summary.clusterCommands = clusterCommands }
        if unknownSlotCalls > 0 { summary.slotUnknownCalls = unknownSlotCalls }
        if untrackedNodeCalls > 0 { summary.untrackedNodeCalls = untrackedNodeCalls }
        var bySlot: [ClusterSummary.SlotRedirects] = []
        for index in 0..<((slotLoads != nil || slotRedirects != nil) ? HashSlot.count : 0) {
            let s = slotLoads?[index] ?? SlotLoad()
            let r = slotRedirects?[index] ?? SlotRedirects()
            if s.calls > 0 {
                var row = ClusterSummary.Slot(slot: index)
                row.calls = s.calls
                row.bytes = s.bytes
                row.serverMicros = ClusterSummary.micros(s.serverNanos)
                if s.node >= 0 { row.node = nodes[Int(s.node)].endpoint.description }
                summary.slots.append(row)
            }
            if r.moved + r.ask > 0 {
                bySlot.append(ClusterSummary.SlotRedirects(slot: index, moved: Int(r.moved), ask: Int(r.ask),
                                                           target: r.target >= 0 ? targets[Int(r.target)] : nil))
            }
        }
        summary.redirects = totals
        summary.redirects.bySlot = bySlot
        summary.redirects.asking = clients.values.reduce(0) { $0 + $1.redirects.asking }
        summary.redirects.byClient = clients.map { address, client in
            var row = client.redirects
            row.client = address.description
            if row.moved > 0 { row.movedRoundTripMicros = ClusterSummary.micros(client.redirectNanos) }
            return row
        }.sorted { ($0.moved + $0.ask, $1.client) > ($1.moved + $1.ask, $0.client) }
        if untrackedClientErrors > 0 {
            report.quality.noteLimitHit(AnalysisReport.LimitHit(
                limit: "--max-tracked-clients", value: maxTrackedClients, scope: "clusterClients", count: untrackedClientErrors,
                effect: "cluster error replies of client addresses past the limit are counted only in the totals"))
        }
        report.cluster = summary
        noteFollowedAsks(into: &report, context: context)
    }

    /// ASK is how a slot being migrated answers for a key already moved: a cluster client sends ASKING and the
    /// command to the importing node, as it should. As many ASKs as each client followed with ASKING go to
    /// `benignErrors` (and out of the `error-rate` finding), attributed to the commands with the most ASKs first.
    private func noteFollowedAsks(into report: inout AnalysisReport, context: AnalysisContext) {
        var followed = clients.values.reduce(0) { $0 + min($1.redirects.ask, $1.redirects.asking) }
        guard followed > 0 else { return }
        var entries = report.benignErrors ?? []
        let byCount = askByCommand.map { (name: context.registry.name(of: CommandID(rawValue: $0.key)), count: $0.value) }
            .sorted { ($0.count, $1.name) > ($1.count, $0.name) }
        for command in byCount where followed > 0 {
            let count = min(command.count, followed)
            followed -= count
            entries.append(BenignErrorSummary(
                command: command.name, code: "ASK", count: count, kind: Self.followedRedirect,
                why: "a slot being migrated; the client followed the redirect with ASKING on the importing node, as a "
                    + "cluster client should"))
        }
        report.benignErrors = entries.sorted { ($0.count, $1.command, $1.code) > ($1.count, $0.command, $0.code) }
    }
}

extension ClusterStats: BuiltInAnalysis {
    package convenience init(setup: AnalysisSetup) {
        self.init(maxTrackedNodes: setup.maxTrackedClients, maxTrackedClients: setup.maxTrackedClients)
    }
}
