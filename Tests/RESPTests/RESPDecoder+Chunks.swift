@testable import RESP

extension RESPDecoder {
    /// Feeds `input` to `handler` in chunks of `chunks` sizes (cycled; whole when nil): the segmentations the
    /// decoder must give the same events for.
    mutating func feed<H: RESPTokenHandler>(_ input: [UInt8], chunks: [Int]?, handler: inout H) {
        var offset = 0, index = 0
        while offset < input.count {
            let size = chunks.map { max(1, $0[index % $0.count]) } ?? input.count
            index += 1
            let end = min(input.count, offset + size)
            Array(input[offset..<end]).withUnsafeBytes { feed($0, handler: &handler) }
            offset = end
        }
    }
}
