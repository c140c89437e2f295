/// The SUBSCRIBE family: each command is confirmed by one message per channel, named like the command.
enum SubscriptionKind: Sendable, Hashable {
    case subscribe, psubscribe, ssubscribe, unsubscribe, punsubscribe, sunsubscribe

    init?(commandName: String) {
        switch commandName {
        case "subscribe": self = .subscribe
        case "psubscribe": self = .psubscribe
        case "ssubscribe": self = .ssubscribe
        case "unsubscribe": self = .unsubscribe
        case "punsubscribe": self = .punsubscribe
        case "sunsubscribe": self = .sunsubscribe
        default: return nil
        }
    }

    init?(messageName: PubSubHead) {
        switch messageName {
        case .subscribe: self = .subscribe
        case .psubscribe: self = .psubscribe
        case .ssubscribe: self = .ssubscribe
        case .unsubscribe: self = .unsubscribe
        case .punsubscribe: self = .punsubscribe
        case .sunsubscribe: self = .sunsubscribe
        default: return nil
        }
    }

    var isUnsubscribe: Bool { self == .unsubscribe || self == .punsubscribe || self == .sunsubscribe }
}

/// The first element of a pub/sub message array (RESP2) or push (RESP3).
enum PubSubHead: Sendable, Hashable {
    case message, pmessage, smessage, subscribe, psubscribe, ssubscribe, unsubscribe, punsubscribe, sunsubscribe
    case invalidate

    /// Recognises the head without allocating (ASCII, case-sensitive as Redis sends it).
    init?(_ bytes: UnsafeRawBufferPointer) {
        func equals(_ word: StaticString) -> Bool {
            guard bytes.count == word.utf8CodeUnitCount else { return false }
            let w = word.utf8Start
            for i in 0..<bytes.count where bytes[i] != w[i] { return false }
            return true
        }
        switch bytes.count {
        case 7 where equals("message"): self = .message
        case 8 where equals("pmessage"): self = .pmessage
        case 8 where equals("smessage"): self = .smessage
        case 9 where equals("subscribe"): self = .subscribe
        case 10 where equals("psubscribe"): self = .psubscribe
        case 10 where equals("ssubscribe"): self = .ssubscribe
        case 10 where equals("invalidate"): self = .invalidate
        case 11 where equals("unsubscribe"): self = .unsubscribe
        case 12 where equals("punsubscribe"): self = .punsubscribe
        case 12 where equals("sunsubscribe"): self = .sunsubscribe
        default: return nil
        }
    }
}
