import WireBytes

/// The time precision a capture file was written with, read from its first bytes:
/// the pcap magic (a1b2c3d4 micro, a1b23c4d nano, either byte order) or, for
/// pcapng, the first interface's `if_tsresol` option (default microseconds).
public func nativePrecision(ofCaptureHeader bytes: UnsafeRawBufferPointer) -> Timestamp.Precision {
    guard bytes.count >= 4 else { return .microseconds }
    let big = bytes.loadBigEndianUInt32(at: 0)
    let little = bytes.loadLittleEndianUInt32(at: 0)
    if big == 0xA1B2_3C4D || little == 0xA1B2_3C4D { return .nanoseconds }
    if big == 0xA1B2_C3D4 || little == 0xA1B2_C3D4 { return .microseconds }
    guard big == 0x0A0D_0D0A, bytes.count >= 12 else { return .microseconds }
    // pcapng: the byte-order magic tells how to read the rest.
    let isLittle = bytes.loadLittleEndianUInt32(at: 8) == 0x1A2B_3C4D
    func u32(_ at: Int) -> UInt32 { isLittle ? bytes.loadLittleEndianUInt32(at: at) : bytes.loadBigEndianUInt32(at: at) }
    func u16(_ at: Int) -> UInt16 {
        isLittle ? UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 : bytes.loadBigEndianUInt16(at: at)
    }
    var block = 0
    while block + 12 <= bytes.count {
        let type = u32(block)
        let length = Int(u32(block + 4))
        guard length >= 12, length % 4 == 0 else { return .microseconds }
        if type == 1 {  // Interface Description Block: options after 16 bytes.
            var option = block + 16
            let end = min(block + length - 4, bytes.count)
            while option + 4 <= end {
                let code = u16(option)
                let optionLength = Int(u16(option + 2))
                if code == 0 { break }
                if code == 9, optionLength >= 1, option + 4 < end {
                    let resolution = bytes[option + 4]
                    // High bit clear: a power of ten. 9 and above is nanoseconds or finer.
                    if resolution & 0x80 == 0 { return resolution >= 9 ? .nanoseconds : .microseconds }
                    return resolution & 0x7F >= 30 ? .nanoseconds : .microseconds
                }
                option += 4 + (optionLength + 3) / 4 * 4
            }
            return .microseconds
        }
        block += length
    }
    return .microseconds
}

/// The most `captureHead` reads looking for a pcapng file's first interface.
let captureHeadLimit = 1 << 20

/// Reads the head of a capture through `read` (which returns up to the count of
/// bytes asked for): 4 bytes of a pcap file, or a pcapng file's blocks up to and
/// including its first Interface Description Block, which holds `if_tsresol`.
/// Stops early at the end of the input or at a block length that cannot be right.
func captureHead(read: (Int) -> [UInt8]) -> [UInt8] {
    var head: [UInt8] = []
    /// Reads until `head` holds `count` bytes; false at the end of the input.
    func fill(to count: Int) -> Bool {
        while head.count < count {
            let more = read(count - head.count)
            if more.isEmpty { return false }
            head += more
        }
        return true
    }
    guard fill(to: 12) else { return head }
    let magic = head.withUnsafeBytes { $0.loadBigEndianUInt32(at: 0) }
    guard magic == 0x0A0D_0D0A else { return head }
    let isLittle = head.withUnsafeBytes { $0.loadLittleEndianUInt32(at: 8) } == 0x1A2B_3C4D
    func u32(_ at: Int) -> UInt32 {
        head.withUnsafeBytes { isLittle ? $0.loadLittleEndianUInt32(at: at) : $0.loadBigEndianUInt32(at: at) }
    }
    var block = 0
    for _ in 0..<64 {
        guard fill(to: block + 8) else { break }
        let type = u32(block)
        let length = Int(u32(block + 4))
        guard length >= 12, length % 4 == 0, block + length <= captureHeadLimit, fill(to: block + length) else { break }
        if type == 1 { break }
        block += length
    }
    return head
}
