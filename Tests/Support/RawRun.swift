import Foundation

/// A run's output as the bytes the terminal would receive (no UTF-8 decoding on the way).
struct RawRunResult {
    var status: Int32
    var stdout: [UInt8]
    var stderr: [UInt8]
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs `peersniff` with `arguments` and keeps its output as raw bytes.
func runPeersniffRaw(_ arguments: [String], environment: [String: String]? = nil) throws -> RawRunResult {
    try runProgramRaw(Paths.peersniff.path, arguments, environment: environment)
}

/// The packets of a classic pcap file (either byte order), for checking what
/// peersniff wrote with `-w` or `--write-malformed`.
struct ReadPacket: Hashable {
    var seconds: UInt32
    var fraction: UInt32
    var bytes: [UInt8]
    var originalLength: Int
}

func readClassicPcap(_ path: String) throws -> (linkType: UInt32, packets: [ReadPacket]) {
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
func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}
