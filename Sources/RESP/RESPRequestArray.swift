/// A client's request lying whole in the chunk being decoded: an array of bulk strings, every header and body (with
/// its CRLF) in the chunk and within the decoder's limits. What `RESPTokenHandler.wholeRequest(_:)` gets.
///
/// BORROWED, like a token's content: it points into the chunk and is valid only during the call. Its elements are
/// read by position: `element(at: firstElement)` gives the first and where the next starts, and so on; `lastElement`
/// is where the last one starts, so that the elements in between can be counted without being read. The first
/// `leadingCount` are also given as the decoder found them (`leadingElement(_:)`), their headers not read again.
public struct RESPRequestArray {
    @usableFromInline let base: UnsafeRawPointer
    /// Where the chunk ends: no element is read past it.
    @usableFromInline let end: Int
    @usableFromInline let keptPrefix: Int
    /// Elements: the array's length (at least 1).
    public let count: Int
    /// The request's size on the wire, header included.
    public let byteCount: Int
    /// Where the first element's `$` lies.
    public let firstElement: Int
    /// Where the last element's `$` lies.
    public let lastElement: Int
    /// How many of the first elements `leadingElement(_:)` gives. (Computed: a constant global is read through a
    /// call from another module.)
    @inlinable @inline(__always)
    public static var leadingCount: Int { 4 }
    /// Where the first `leadingCount` elements' bodies start, then their lengths (at `leadingCount + index`), as
    /// the decoder found them while checking the request; its own storage, valid during the call. Most requests
    /// have no more elements, and reading each header a second time was a tenth of the session's work per request.
    @usableFromInline let leading: UnsafePointer<Int>

    /// One element: its first `keptPrefix` bytes (borrowed) and its full length.
    public struct Element {
        public let content: UnsafeRawBufferPointer
        public let length: Int

        @inlinable
        init(content: UnsafeRawBufferPointer, length: Int) {
            self.content = content
            self.length = length
        }
    }

    init(base: UnsafeRawPointer, end: Int, keptPrefix: Int, count: Int, byteCount: Int, firstElement: Int, lastElement: Int,
         leading: UnsafePointer<Int>) {
        self.base = base
        self.end = end
        self.keptPrefix = keptPrefix
        self.count = count
        self.byteCount = byteCount
        self.firstElement = firstElement
        self.lastElement = lastElement
        self.leading = leading
    }

    /// Element `index` (below `leadingCount`) and where the one after it starts, as `element(at:)` gives it, from
    /// what the decoder found. Past `count` (or `leadingCount`) an empty element at the chunk's end.
    @inlinable @inline(__always)
    public func leadingElement(_ index: Int) -> (element: Element, next: Int) {
        // One unsigned comparison for all three bounds (a negative index is a large unsigned one).
        guard UInt(bitPattern: index) < UInt(bitPattern: min(count, Self.leadingCount)) else {
            return (Element(content: UnsafeRawBufferPointer(start: nil, count: 0), length: 0), end)
        }
        let bodyStart = leading[index]
        let length = leading[Self.leadingCount &+ index]
        let content = UnsafeRawBufferPointer(start: base + bodyStart, count: min(keptPrefix, length))
        return (Element(content: content, length: length), bodyStart &+ length &+ 2)
    }

    /// The element whose `$` lies at `position` (`firstElement`, or a `next` this returned, up to `lastElement`) and
    /// where the one after it starts. The decoder checked every element before handing the request over; a position
    /// that is not one gives an empty element at the end, never a read outside the chunk. Inlined where it is used
    /// (the session reads a request's first arguments with it): lengths of one or two digits, most of them, are read
    /// here from one word.
    @inlinable @inline(__always)
    public func element(at position: Int) -> (element: Element, next: Int) {
        if position >= 0 && end &- position >= 5 {
            let word = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: position &+ 1, as: UInt32.self))
            let first = (word & 0xFF) &- 0x30
            let second = (word >> 8 & 0xFF) &- 0x30
            var length = -1
            var bodyStart = 0
            if first <= 9 && word & 0xFF_FF00 == 0x0A_0D00 {
                length = Int(first)
                bodyStart = position &+ 4
            } else if first <= 9 && second <= 9 && word >> 16 == 0x0A0D {
                length = Int(first &* 10 &+ second)
                bodyStart = position &+ 5
            }
            if length >= 0 && end &- bodyStart &- 2 >= length {
                let content = UnsafeRawBufferPointer(start: base + bodyStart, count: min(keptPrefix, length))
                return (Element(content: content, length: length), bodyStart &+ length &+ 2)
            }
        }
        return longerElement(at: position)
    }

    /// `element(at:)` for lengths of more than two digits.
    @usableFromInline
    func longerElement(at position: Int) -> (element: Element, next: Int) {
        guard position >= 0, position < end, let (length, bodyStart) = RESPDecoder.wholeBulkHeader(base, position, end),
              length >= 0, end &- bodyStart &- 2 >= length
        else { return (Element(content: UnsafeRawBufferPointer(start: nil, count: 0), length: 0), end) }
        let content = UnsafeRawBufferPointer(start: base + bodyStart, count: min(keptPrefix, length))
        return (Element(content: content, length: length), bodyStart &+ length &+ 2)
    }

    /// Hands the request to `handler` as the decoder's token path would: the array's token, one per element, the
    /// message's end. For handlers that take whole requests only in some cases.
    public func replay<H: RESPTokenHandler>(into handler: inout H) {
        handler.token(RESPToken(kind: .array, depth: 0, length: count, integer: Int64(count),
                                content: UnsafeRawBufferPointer(start: nil, count: 0), insideAttribute: false))
        var position = firstElement
        for _ in 0..<count {
            let (element, next) = element(at: position)
            handler.token(RESPToken(kind: .bulkString, depth: 1, length: element.length, integer: Int64(element.length),
                                    content: element.content, insideAttribute: false))
            position = next
        }
        handler.messageEnd(byteCount: byteCount)
    }
}
