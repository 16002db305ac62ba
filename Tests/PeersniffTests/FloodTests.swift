import Foundation
import Testing
import EndToEndSupport
import TestSupport

/// Spoofed traffic at scale, made at test time: 1 million HELLOs from 1 million
/// addresses, and 20,000 FULLs of 255 distinct addresses each. peersniff must finish
/// with memory capped (the node cap), name the flood in its summary and keep the
/// output bounded. Time is measured by Benchmarks/flood.sh, not here.
@Suite("Floods of spoofed addresses",
       .enabled(if: ReleaseBuild.peersniff != nil, "a release build reads millions of packets in seconds; scripts/test.sh builds one"),
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "GNU time measures peak memory"))
struct FloodTests {
    /// A pcap of `count` Ethernet/IPv4/UDP datagrams to port 37020, datagram `k`
    /// from `source(k)` with `payload(k)`, 1 µs apart (UDP checksum 0: none).
    static func capture(count: Int, source: (Int) -> UInt32, payload: (Int) -> [UInt8]) -> Data {
        var out = Data()
        out.reserveCapacity(24 + count * 80)
        func le32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        le32(0xA1B2_C3D4); out.append(contentsOf: [2, 0, 4, 0]); le32(0); le32(0); le32(262_144); le32(1)
        for k in 0..<count {
            let body = payload(k)
            let ip = source(k)
            var packet: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0, UInt8(ip >> 24), UInt8(ip >> 16 & 0xFF), UInt8(ip >> 8 & 0xFF), UInt8(ip & 0xFF), 0x08, 0x00]
            let total = 20 + 8 + body.count
            var header: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 0, 0x40, 0, 64, 17, 0, 0,
                                   UInt8(ip >> 24), UInt8(ip >> 16 & 0xFF), UInt8(ip >> 8 & 0xFF), UInt8(ip & 0xFF), 255, 255, 255, 255]
            let sum = PacketBuilder.checksum(header)
            header[10] = UInt8(sum >> 8); header[11] = UInt8(sum & 0xFF)
            packet += header
            packet += [0x9C, 0x40, 0x90, 0x9C, UInt8((8 + body.count) >> 8), UInt8((8 + body.count) & 0xFF), 0, 0]
            packet += body
            le32(UInt32(1_795_608_000 + k / 1_000_000)); le32(UInt32(k % 1_000_000)); le32(UInt32(packet.count)); le32(UInt32(packet.count))
            out.append(contentsOf: packet)
        }
        return out
    }

    /// Runs the release binary on `path` under GNU time: the summary and the peak RSS in kB.
    static func run(_ path: String) throws -> (status: Int32, summary: [String: Any], peakKB: Int, output: Int) {
        let timing = path + ".time"
        let result = try runProgram("/usr/bin/time", ["-f", "%M", "-o", timing, ReleaseBuild.peersniff!, "-r", path, "--json", "-q"])
        let peak = Int((try String(contentsOfFile: timing, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        let summary = result.stdout.split(separator: "\n").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
        return (result.status, summary, peak, result.stdout.utf8.count)
    }

    func check(_ name: String, count: Int, spoofed: Int, source: (Int) -> UInt32, payload: (Int) -> [UInt8]) throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("\(name).pcap").path
        try Self.capture(count: count, source: source, payload: payload).write(to: URL(fileURLWithPath: path))
        let run = try Self.run(path)
        #expect(run.status == 0)
        let nodes = run.summary["nodes"] as? [[String: Any]] ?? []
        #expect(nodes.count == 4096, "\(name): the node cap keeps 4096 nodes, the summary lists \(nodes.count)")
        let notKept = run.summary["nodes_not_kept"] as? [String: Any]
        let addresses = notKept?["addresses"] as? Int ?? 0
        #expect(abs(addresses - (spoofed - 4096)) <= spoofed / 50, "\(name): \(addresses) addresses not kept of \(spoofed - 4096)")
        let codes = (run.summary["diagnoses"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(codes == ["address-flood"], "\(name): \(codes)")
        // Flat memory: a few MB of node table whatever the flood (it was 1 GB and more).
        #expect(run.peakKB > 0 && run.peakKB < 64 * 1024, "\(name): peak RSS \(run.peakKB) kB")
        #expect(run.output < 2_000_000, "\(name): the summary is \(run.output) bytes")
    }

    @Test("1 million HELLOs from 1 million addresses")
    func hellos() throws {
        let hello = DiscoveryPayload.hello("spoofed")
        try check("hellos", count: 1_000_000, spoofed: 1_000_000, source: { 0x0A80_0001 + UInt32($0) }, payload: { _ in hello })
    }

    @Test("20,000 FULLs of 255 distinct addresses each")
    func fulls() throws {
        try check("fulls", count: 20_000, spoofed: 20_000 * 255, source: { 0x0A80_0001 + UInt32($0 * 255) }, payload: { k in
            var out: [UInt8] = [0x02, 255]
            for j in 0..<255 {
                let ip = 0x0A80_0001 + UInt32(k * 255 + j)
                out += [UInt8(ip >> 24), UInt8(ip >> 16 & 0xFF), UInt8(ip >> 8 & 0xFF), UInt8(ip & 0xFF), 0]
            }
            return out
        })
    }
}
