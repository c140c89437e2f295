import Capture
import FuzzSupport
import Packets

// fuzz-packets: the input is one captured frame, decoded as every supported link type (and one unsupported).
// The bytes are copied into an exact-size allocation so AddressSanitizer catches any read past the frame; a
// decoded segment's payload must lie inside the frame and its missing-byte count must be sane.

let linkTypes: [LinkType] = [.ethernet, .linuxSLL, .linuxSLL2, .null, .loop, .raw, .ipv4, .ipv6, LinkType(rawValue: 147)]
let decoder = PacketDecoder()

let testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt = { data, size in
    let frame = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 1)
    defer { frame.deallocate() }
    if size > 0, let data { frame.copyMemory(from: UnsafeRawBufferPointer(start: data, count: size)) }
    let bytes = UnsafeRawBufferPointer(frame)
    // The original length is derived from the input too, so snaplen-cut frames are exercised.
    let extra = size > 0 ? Int(bytes[size - 1]) * 37 : 0
    for linkType in linkTypes {
        for originalLength in [size, size + extra] {
            let packet = CapturedPacket(timestampNanos: 1, linkType: linkType, originalLength: originalLength, bytes: bytes)
            switch decoder.decode(packet) {
            case .skipped:
                break
            case .tcp(let segment):
                let payload = segment.payload
                if payload.count > 0 {
                    guard let start = payload.baseAddress, let frameStart = bytes.baseAddress,
                          start >= frameStart, start + payload.count <= frameStart + size else {
                        fatalError("payload outside the frame (\(linkType))")
                    }
                    // Touch every byte so ASan checks the range.
                    var sum: UInt8 = 0
                    for byte in payload { sum &+= byte }
                    _ = sum
                }
                if segment.missingPayloadBytes < 0 {
                    fatalError("negative missingPayloadBytes \(segment.missingPayloadBytes) (\(linkType))")
                }
            }
        }
    }
    return 0
}

@_cdecl("fuzz_packets_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv, testOneInput)
}

/// libFuzzer's runtime references this symbol even when the driver is started through `LLVMFuzzerRunDriver`.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    testOneInput(data, size)
}
