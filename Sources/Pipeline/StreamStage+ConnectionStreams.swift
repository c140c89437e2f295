import RedisSemantics
import TCPReassembly
import TLSDecryption

extension StreamStage {
    /// A connection's state in this stage, a handle on its entry in `ConnectionStreams`: the pairing session, created
    /// with its first bytes (a connection that never carries data, a SYN flood, costs no decoders), and how its bytes
    /// are read. Valid until the connection is forgotten; the entry is then cleared and its slot reused.
    struct ConnectionStream {
        fileprivate let entry: UnsafeMutablePointer<ConnectionStreams.Entry>
        /// The entry's slot (the ID's, nil for an ID without one): the entry keeps only the number.
        fileprivate let slot: Int?

        var id: ConnectionID { entry.pointee.id(slot: slot) }

        var session: ConnectionSession? {
            get { entry.pointee.session }
            nonmutating set { entry.pointee.session = newValue }
        }

        var handshakeSeen: Bool { entry.pointee.flags.contains(.handshakeSeen) }

        /// Set by the first bytes when they are not TLS: from then on nothing TLS is looked at.
        var isPlain: Bool {
            get { entry.pointee.flags.contains(.plain) }
            nonmutating set { entry.pointee.set(.plain, newValue) }
        }

        /// Found to be Redis with its sides the other way round from the reassembler's: directions are swapped.
        var swapped: Bool {
            get { entry.pointee.flags.contains(.swapped) }
            nonmutating set { entry.pointee.set(.swapped, newValue) }
        }

        /// `.opened` went to the analysis stage.
        var announced: Bool {
            get { entry.pointee.flags.contains(.announced) }
            nonmutating set { entry.pointee.set(.announced, newValue) }
        }

        var tls: TLSConnectionDecryptor? {
            get { entry.pointee.unusual?.tls }
            nonmutating set { entry.pointee.unusualForWriting(newValue != nil)?.tls = newValue }
        }

        /// On a port not named as a Redis port, until its bytes tell whether it is Redis (StreamStage+PortSearch.swift).
        var search: OpeningSearch? {
            get { entry.pointee.unusual?.search }
            nonmutating set { entry.pointee.unusualForWriting(newValue != nil)?.search = newValue }
        }

        /// The handshake's SYN/ACK-to-ACK time, once timed (-1 before), kept until `.opened` is sent (it follows it).
        var handshakeConfirmNanos: Int64 {
            get { entry.pointee.unusual?.handshakeConfirmNanos ?? -1 }
            nonmutating set { entry.pointee.unusualForWriting(newValue >= 0)?.handshakeConfirmNanos = newValue }
        }

        static func === (lhs: ConnectionStream, rhs: ConnectionStream) -> Bool { lhs.entry == rhs.entry }
    }
}

/// The stream stage's connections: an entry of 24 bytes per slot of the reassembler's, in blocks that never move
/// (handles point into them), where a dictionary entry and an object took about 72. A connection whose ID carries no
/// slot gets an entry of its own.
final class ConnectionStreams {
    struct Entry {
        /// The connection's number in the low 56 bits (zero, no connection's, when the entry is free), the flags in
        /// the high 8.
        private var numberAndFlags: UInt64
        var session: ConnectionSession?
        /// What few connections need: TLS decryption, a port search and the handshake time held for it.
        fileprivate(set) var unusual: Unusual?

        fileprivate init(number: UInt64, flags: Flags) {
            numberAndFlags = number | UInt64(flags.rawValue) << 56
        }

        static var free: Entry { Entry(number: 0, flags: []) }

        fileprivate var number: UInt64 { numberAndFlags & (1 << 56 - 1) }

        fileprivate func id(slot: Int?) -> ConnectionID { ConnectionID(number: number, slot: slot) }

        fileprivate var flags: Flags { Flags(rawValue: UInt8(truncatingIfNeeded: numberAndFlags >> 56)) }

        fileprivate mutating func set(_ flag: Flags, _ on: Bool) {
            let bit = UInt64(flag.rawValue) << 56
            if on { numberAndFlags |= bit } else { numberAndFlags &= ~bit }
        }

        /// The box, made first if `create`; nil when there is none and none is needed.
        fileprivate mutating func unusualForWriting(_ create: Bool) -> Unusual? {
            if unusual == nil, create { unusual = Unusual() }
            return unusual
        }
    }

    struct Flags: OptionSet {
        let rawValue: UInt8
        static let handshakeSeen = Flags(rawValue: 1 << 0)
        static let plain = Flags(rawValue: 1 << 1)
        static let swapped = Flags(rawValue: 1 << 2)
        static let announced = Flags(rawValue: 1 << 3)
    }

    final class Unusual {
        var tls: TLSConnectionDecryptor?
        var search: OpeningSearch?
        var handshakeConfirmNanos: Int64 = -1
    }

    private static let blockShift = 12
    private static let blockSize = 1 << blockShift
    private var blocks: [UnsafeMutablePointer<Entry>] = []
    private var unslotted: [ConnectionID: UnsafeMutablePointer<Entry>] = [:]

    deinit {
        for block in blocks {
            block.deinitialize(count: Self.blockSize)
            block.deallocate()
        }
        for entry in unslotted.values {
            entry.deinitialize(count: 1)
            entry.deallocate()
        }
    }

    /// A new connection's entry (its slot's, cleared before).
    func add(_ id: ConnectionID, handshakeSeen: Bool) -> StreamStage.ConnectionStream {
        let entry: UnsafeMutablePointer<Entry>
        if let slot = id.slot {
            while slot >> Self.blockShift >= blocks.count {
                let block = UnsafeMutablePointer<Entry>.allocate(capacity: Self.blockSize)
                block.initialize(repeating: .free, count: Self.blockSize)
                blocks.append(block)
            }
            entry = blocks[slot >> Self.blockShift] + (slot & (Self.blockSize - 1))
        } else {
            entry = unslotted[id] ?? {
                let single = UnsafeMutablePointer<Entry>.allocate(capacity: 1)
                single.initialize(to: .free)
                unslotted[id] = single
                return single
            }()
        }
        entry.pointee = Entry(number: id.rawValue, flags: handshakeSeen ? .handshakeSeen : [])
        return StreamStage.ConnectionStream(entry: entry, slot: id.slot)
    }

    /// The connection's entry while it is open (not forgotten).
    @inline(__always)
    func find(_ id: ConnectionID) -> StreamStage.ConnectionStream? {
        let entry: UnsafeMutablePointer<Entry>
        if let slot = id.slot {
            let block = slot >> Self.blockShift
            guard block < blocks.count else { return nil }
            entry = blocks[block] + (slot & (Self.blockSize - 1))
        } else {
            guard let single = unslotted[id] else { return nil }
            entry = single
        }
        guard entry.pointee.number == id.rawValue else { return nil }
        return StreamStage.ConnectionStream(entry: entry, slot: id.slot)
    }

    /// Clears the connection's entry, releasing its session; handles on it must not be used after.
    func remove(_ stream: StreamStage.ConnectionStream) {
        let id = stream.id
        stream.entry.pointee = .free
        if id.slot == nil, let single = unslotted.removeValue(forKey: id) {
            single.deinitialize(count: 1)
            single.deallocate()
        }
    }
}
