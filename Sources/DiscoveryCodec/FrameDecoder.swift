import WireBytes
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `decodeFrame` with a memory of the last FULL it accepted. A registry repeats its
/// FULL, byte for byte, every few seconds; the same bytes from the same sender decode
/// to the same frame and warnings, so a repeat is recognised by one comparison
/// instead of being walked and validated again.
public final class FrameDecoder {
    private var lastFull: UnsafeMutableRawPointer? = nil
    private var lastFullCapacity = 0
    private var lastFullLength = -1
    private var lastSender: IPv4Address? = nil
    private var lastWarnings: FrameWarnings = []

    public init() {}

    deinit { lastFull?.deallocate() }

    public func decode(_ payload: UnsafeRawBufferPointer, sender: IPv4Address?) -> DecodeResult {
        let length = payload.count
        if length == lastFullLength, sender == lastSender, let kept = lastFull, let bytes = payload.baseAddress,
           memcmp(kept, bytes, length) == 0 {
            return .frame(FrameView(type: .full, payload: payload, warnings: lastWarnings, legacy: nil))
        }
        let result = decodeFrame(payload, sender: sender)
        if case let .frame(view) = result, view.type == .full, let bytes = payload.baseAddress {
            keep(bytes, length: length, sender: sender, warnings: view.warnings)
        }
        return result
    }

    private func keep(_ bytes: UnsafeRawPointer, length: Int, sender: IPv4Address?, warnings: FrameWarnings) {
        if length > lastFullCapacity {
            lastFull?.deallocate()
            lastFullCapacity = max(length, 2048)
            lastFull = .allocate(byteCount: lastFullCapacity, alignment: 16)
        }
        lastFull!.copyMemory(from: bytes, byteCount: length)
        lastFullLength = length
        lastSender = sender
        lastWarnings = warnings
    }
}
