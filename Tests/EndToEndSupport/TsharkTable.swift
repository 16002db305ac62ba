import Foundation
import WireBytes

/// tshark's reading of a capture as Fixtures and ../shared keep it (`frames.tsv`,
/// `frames-board-view.tsv`, gzip-compressed for `big`): a header, then one row a
/// datagram, made by
/// `tshark -o ip.defragment:TRUE -Y udp.port==37020 -T fields -e frame.number
/// -e frame.time_epoch -e ip.src -e ip.dst -e udp.srcport -e udp.dstport -e udp.length
/// -e udp.payload`. The one reader of these tables for every test: the independent
/// oracle peersniff's output is checked against.
public struct TsharkTable: Sendable {
    public static let header = "frame.number\tframe.time_epoch\tip.src\tip.dst\tudp.srcport\tudp.dstport\tudp.length\tudp.payload"

    public struct Row: Sendable {
        /// The packet's number (for a reassembled datagram, the packet that completed it).
        public var number: Int
        /// frame.time_epoch as tshark printed it (nanoseconds).
        public var epoch: String
        public var source: String
        public var destination: String
        public var sourcePort: Int
        public var destinationPort: Int
        public var udpLength: Int
        /// udp.payload in hex.
        public var payloadHex: String

        public init(number: Int, epoch: String, source: String, destination: String, sourcePort: Int, destinationPort: Int,
                    udpLength: Int, payloadHex: String) {
            self.number = number; self.epoch = epoch; self.source = source; self.destination = destination
            self.sourcePort = sourcePort; self.destinationPort = destinationPort; self.udpLength = udpLength; self.payloadHex = payloadHex
        }

        /// The payload's bytes (nil when the hex is broken).
        public var payload: [UInt8]? { bytesFromHex(payloadHex) }
        public var payloadLength: Int { payloadHex.count / 2 }
        /// The discovery frame type the first byte names (nil: none).
        public var type: String? {
            switch payloadHex.prefix(2).lowercased() {
            case "01": "HELLO"
            case "02": "FULL"
            case "03": "PING"
            case "04": "PONG"
            case "05": "OFFLINE"
            case "7b": "LEGACY"
            default: nil
            }
        }
    }

    /// The header line as it stands in the file, and the rows.
    public var headerLine: String
    public var rows: [Row]

    /// The table at `path` (`.gz` read through gzip -dc). A row that does not read is an error naming it.
    public init(path: String) throws {
        let text: String
        if path.hasSuffix(".gz") {
            let gzip = systemToolPath("gzip") ?? "/usr/bin/gzip"
            let result = try runProgram(gzip, ["-dc", path])
            guard result.status == 0 else { throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path]) }
            text = result.stdout
        } else {
            text = try String(contentsOfFile: path, encoding: .utf8)
        }
        try self.init(text: text, name: path)
    }

    public init(text: String, name: String = "table") throws {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        headerLine = lines.first.map(String.init) ?? ""
        rows = try lines.dropFirst().map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 8, let number = Int(f[0]), let sport = Int(f[4]), let dport = Int(f[5]), let length = Int(f[6]) else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: name, NSLocalizedDescriptionKey: "\(name): a row that does not read: \(line)"])
            }
            return Row(number: number, epoch: f[1], source: f[2], destination: f[3], sourcePort: sport, destinationPort: dport,
                       udpLength: length, payloadHex: f[7])
        }
    }
}
