/// One half of a connection: the bytes a client sends to the server, or those the server sends back.
public enum StreamDirection: UInt8, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case toServer
    case toClient

    public var opposite: StreamDirection { self == .toServer ? .toClient : .toServer }

    public var description: String { self == .toServer ? "toServer" : "toClient" }
}
