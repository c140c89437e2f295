import Foundation

extension CapturePerturbation {
    /// Indices of the packets that open a TCP connection (SYN without ACK) in an Ethernet/IPv4 capture, nearest
    /// to the middle of the capture first: the candidate places to cut a capture in two windows.
    static func connectionStarts(_ packets: [Packet]) -> [Int] {
        packets.indices.filter { i in
            guard payloadRange(packets[i]) != nil else { return false }
            let tcpStart = 14 + Int(packets[i].bytes[14] & 0x0F) * 4
            return packets[i].bytes[tcpStart + 13] & 0x12 == 0x02
        }.sorted { abs($0 - packets.count / 2) < abs($1 - packets.count / 2) }
    }

    /// The capture as two consecutive windows, cut before packet `index`.
    static func split(_ packets: [Packet], at index: Int) -> ([Packet], [Packet]) {
        (Array(packets[..<index]), Array(packets[index...]))
    }
}
