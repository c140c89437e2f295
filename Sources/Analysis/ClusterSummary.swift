/// The `cluster` section: present when more than one server received keyed commands, or any cluster error reply
/// (MOVED, ASK, TRYAGAIN, CLUSTERDOWN, CROSSSLOT) or ASKING was seen.
public struct ClusterSummary: Codable, Sendable, Equatable {
    /// Servers that received keyed commands or answered with a redirect, most calls first.
    public var nodes: [Node] = []
    /// Every hash slot a keyed command named (its first key), by slot number.
    public var slots: [Slot] = []
    public var redirects = Redirects()
    /// Commands that named a key.
    public var keyedCalls = 0
    /// Keyed commands whose key was cut before its slot could be told (longer than the kept bytes, no hash tag in
    /// them): in `keyedCalls`, in no slot.
    public var slotUnknownCalls: Int?
    /// CLUSTER subcommands, READONLY and READWRITE: only a cluster client sends them (with redirects and ASKING,
    /// what shows the servers are one cluster rather than separate servers).
    public var clusterCommands: Int?
    /// Commands to servers past `--max-tracked-clients` servers, in no node.
    public var untrackedNodeCalls: Int?

    public init() {}

    /// One server (address and port).
    public struct Node: Codable, Sendable, Equatable {
        public var address: String
        /// Every command it was sent.
        public var calls = 0
        /// `calls` over the calls of all listed nodes.
        public var share: Double = 0
        public var keyedCalls = 0
        /// Request plus reply bytes.
        public var bytes: Int64 = 0
        /// Service time (request's last byte to reply's first byte) of its commands, blocking ones left out.
        public var serverMicros: Double = 0
        /// Redirects it answered.
        public var moved = 0
        public var ask = 0

        public init(address: String) { self.address = address }
    }

    public struct Slot: Codable, Sendable, Equatable {
        public var slot: Int
        /// Keyed commands whose first key is in this slot, redirected ones included.
        public var calls = 0
        public var bytes: Int64 = 0
        public var serverMicros: Double = 0
        /// The node that answered most of its commands (without a redirect); nil when none did.
        public var node: String?

        public init(slot: Int) { self.slot = slot }
    }

    public struct Redirects: Codable, Sendable, Equatable {
        public var moved = 0
        public var ask = 0
        public var tryagain = 0
        public var clusterdown = 0
        public var crossslot = 0
        /// ASKING commands (a client following an ASK sends one before the command).
        public var asking = 0
        /// MOVED replies for a slot the same connection had already been told had moved, to a request sent after
        /// that: the client did not update its slot map.
        public var movedRepeated = 0
        /// Slots that were redirected, by slot number; `target` is the latest redirect's `host:port`.
        public var bySlot: [SlotRedirects] = []
        /// Client addresses that received cluster errors or sent ASKING, most redirects first.
        public var byClient: [ClientRedirects] = []

        public init() {}
    }

    public struct SlotRedirects: Codable, Sendable, Equatable {
        public var slot: Int
        public var moved = 0
        public var ask = 0
        public var target: String?

        public init(slot: Int, moved: Int, ask: Int, target: String?) {
            self.slot = slot
            self.moved = moved
            self.ask = ask
            self.target = target
        }
    }

    public struct ClientRedirects: Codable, Sendable, Equatable {
        public var client: String
        public var moved = 0
        public var ask = 0
        public var tryagain = 0
        public var clusterdown = 0
        public var crossslot = 0
        public var asking = 0
        public var movedRepeated = 0
        /// Request's first byte to reply's last byte of its MOVED commands, summed: round trips that did nothing.
        public var movedRoundTripMicros: Double?

        public init(client: String) { self.client = client }
    }

    /// A fraction to four decimals (0 when there is no whole).
    static func share(_ part: Int, of whole: Int) -> Double {
        whole > 0 ? (Double(part) / Double(whole) * 10_000).rounded() / 10_000 : 0
    }

    /// Nanoseconds as microseconds, one decimal.
    static func micros(_ nanos: Int64) -> Double { (Double(nanos) / 100).rounded() / 10 }
}
