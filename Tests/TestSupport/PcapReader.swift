import Foundation

/// The packets of a classic pcap file (either byte order), for checking what
/// peersniff wrote with `-w` or `--write-malformed`.
public struct ReadPacket: Hashable, Sendable {
    public var seconds: UInt32
    public var fraction: UInt32
    public var bytes: [UInt8]
    public var originalLength: Int

    public init(seconds: UInt32, fraction: UInt32, bytes: [UInt8], originalLength: Int) {
        self.seconds = seconds; self.fraction = fraction; self.bytes = bytes; self.originalLength = originalLength
    }
}

public func readClassicPcap(_ path: String) throws -> (linkType: UInt32, packets: [ReadPacket]) {
    let data = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    guard data.count >= 24 else { throw CocoaError(.fileReadCorruptFile) }
    let magicLE = UInt32(data[0]) | UInt32(data[1]) << 8 | UInt32(data[2]) << 16 | UInt32(data[3]) << 24
    let big: Bool
    switch magicLE {
    case 0xA1B2_C3D4, 0xA1B2_3C4D: big = false
    case 0xD4C3_B2A1, 0x4D3C_B2A1: big = true
    default: throw CocoaError(.fileReadCorruptFile)
    }
    func u32(_ at: Int) -> UInt32 {
        let b = data[at..<at + 4].map(UInt32.init)
        return big ? b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3] : b[3] << 24 | b[2] << 16 | b[1] << 8 | b[0]
    }
    var packets: [ReadPacket] = []
    var at = 24
    while at + 16 <= data.count {
        let captured = Int(u32(at + 8))
        guard at + 16 + captured <= data.count else { throw CocoaError(.fileReadCorruptFile) }
        packets.append(ReadPacket(seconds: u32(at), fraction: u32(at + 4), bytes: Array(data[at + 16..<at + 16 + captured]),
                                  originalLength: Int(u32(at + 12))))
        at += 16 + captured
    }
    return (u32(20), packets)
}

/// Lowercase hex of bytes, as the JSON `hex` field and tshark's `udp.payload` write them.
public func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}
