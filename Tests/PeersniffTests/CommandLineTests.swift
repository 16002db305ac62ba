import Foundation
import Testing
import EndToEndSupport
import TestSupport

/// The options that change what is read and written: --port, -f, -c, -w, several
/// -r files; the exit statuses of usage errors, --help and --version.
@Suite("Command line")
struct CommandLineTests {
    @Test("the same capture gives the same bytes every run (no order from hashing, which each process seeds anew)")
    func sameOutputEveryRun() throws {
        // every-code.pcap has nineteen registry conflicts and an incomplete datagram:
        // ties in the diagnoses' and the given-up fragments' order.
        let capture = Paths.fixture("malformed/every-code.pcap")
        for mode in [["--json"], ["--color", "never"], ["--malformed", "--color", "never"]] {
            let first = try runPeersniff(mode + ["-r", capture])
            for _ in 0..<4 {
                let again = try runPeersniff(mode + ["-r", capture])
                #expect(again.stdout == first.stdout, "\(mode) differs between runs")
            }
        }
    }


    // MARK: --port

    /// A HELLO to 37020, a HELLO to 40000, and a PONG sent *from* 40000 (a client
    /// bound to the port sends from it: PROTOCOL.md says match either port).
    static let portPackets: [TestPacket] = [
        .at(1, 0, PacketBuilder.discovery(DiscoveryPayload.hello("Attack from Mars"))),
        .at(2, 0, PacketBuilder.discovery(DiscoveryPayload.hello("Black Knight"), src: "10.37.0.21", dport: 40000)),
        .at(3, 0, PacketBuilder.discovery(DiscoveryPayload.pong, src: "10.37.0.30", dst: "10.37.0.20", sport: 40000, dport: 45123)),
    ]

    @Test("--port chooses the discovery port, matched as source or destination", arguments: [
        ([String](), [RecordFields(n: 1, src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020, type: "HELLO")]),
        (["--port", "40000"], [
            RecordFields(n: 2, src: "10.37.0.21", dst: "255.255.255.255", sport: 45123, dport: 40000, type: "HELLO"),
            RecordFields(n: 3, src: "10.37.0.30", dst: "10.37.0.20", sport: 40000, dport: 45123, type: "PONG"),
        ]),
        (["--port", "37020"], [RecordFields(n: 1, src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020, type: "HELLO")]),
    ])
    func port(arguments: [String], expected: [RecordFields]) throws {
        let run = try peersniffJSON(try writeTestCapture(makeCapture(Self.portPackets)), arguments)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.frameRecords.map(RecordFields.init) == expected)
        #expect(run.summaryRecord?["packets_read"] as? Int == 3)
        #expect(run.summaryRecord?["packets_matched"] as? Int == expected.count)
    }

    // MARK: -f

    @Test("-f is ANDed with peersniff's filter, and keeps the fragments of a matching sender", arguments: [false, true])
    func extraFilter(vlan: Bool) throws {
        let full = DiscoveryPayload.sortedFull(sender: "10.37.0.30", count: 8)
        let udp = PacketBuilder.udp(src: "10.37.0.30", dst: "255.255.255.255", sport: 45000, dport: 37020, payload: full.payload)
        let fragments = PacketBuilder.fragments(src: "10.37.0.30", dst: "255.255.255.255", udp: udp, id: 7, sizes: [104, 104])
        let framing: LinkFraming = vlan ? .dot1Q : .ethernet
        func hello(_ src: String, _ name: String) -> [UInt8] {
            framing.frame(PacketBuilder.ipv4(src: src, dst: "255.255.255.255",
                                             payload: PacketBuilder.udp(src: src, dst: "255.255.255.255", sport: 45123, dport: 37020, payload: DiscoveryPayload.hello(name))))
        }
        let packets: [TestPacket] = [
            .at(1, 0, hello("10.37.0.20", "Attack from Mars")),
            .at(2, 0, hello("10.37.0.30", "Black Knight")),
            .at(3, 0, framing.frame(fragments[0])),
            .at(3, 1, framing.frame(fragments[1])),
            .at(3, 2, framing.frame(fragments[2])),
            .at(4, 0, dnsPacket(framing: framing)),
        ]
        let path = try writeTestCapture(makeCapture(packets))
        // Under a VLAN tag, tcpdump's own syntax needs `vlan and` before the host test.
        let expression = vlan ? "vlan and src host 10.37.0.30" : "src host 10.37.0.30"
        let run = try peersniffJSON(path, ["-f", expression])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.summaryRecord?["packets_read"] as? Int == 6)
        // libpcap's `vlan` keyword shifts the offsets of every test compiled after it; discoveryFilter
        // puts the user's expression after its own `vlan and (...)` branches, so `src host` is read 8 bytes late.
        do {
        #expect(run.frameRecords.map(RecordFields.init) == [
            RecordFields(n: 2, src: "10.37.0.30", dst: "255.255.255.255", sport: 45123, dport: 37020, type: "HELLO"),
            RecordFields(n: 5, src: "10.37.0.30", dst: "255.255.255.255", sport: 45000, dport: 37020, type: "FULL"),
        ])
    }
    }

    // MARK: -c

    @Test("-c N stops after N discovery frames", arguments: [1, 2, 3, 10])
    func countLimit(limit: Int) throws {
        var packets: [TestPacket] = []
        for i in 0..<5 {
            packets.append(.at(UInt32(2 * i), 0, dnsPacket()))
            packets.append(.at(UInt32(2 * i + 1), 0, PacketBuilder.discovery(DiscoveryPayload.hello("Board \(i)"), src: "10.37.0.\(20 + i)")))
        }
        let run = try peersniffJSON(try writeTestCapture(makeCapture(packets)), ["-c", "\(limit)"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let shown = min(limit, 5)
        #expect(run.frameRecords.map { $0["n"] as? Int } == (1...shown).map { 2 * $0 })
        #expect(run.frameRecords.map { $0["name"] as? String } == (0..<shown).map { "Board \($0)" })
        #expect(run.summaryRecord != nil)
        #expect(run.summaryRecord?["frames"] as? Int == shown)
    }

    // MARK: -w

    @Test("-w saves every matched packet, all fragments included, and tshark opens the file", .enabled(if: toolAvailable("tshark")),
          arguments: [false, true])
    func writeFile(nanoseconds: Bool) throws {
        let folder = Paths.temporaryFolder()
        let full = DiscoveryPayload.sortedFull(count: 8)
        let udp = PacketBuilder.udp(src: "10.37.0.20", dst: "255.255.255.255", sport: 45123, dport: 37020, payload: full.payload)
        let fragments = PacketBuilder.fragments(src: "10.37.0.20", dst: "255.255.255.255", udp: udp, id: 0x6533, sizes: [104, 104])
        let lone = PacketBuilder.fragments(src: "10.37.0.21", dst: "255.255.255.255",
                                           udp: PacketBuilder.udp(src: "10.37.0.21", dst: "255.255.255.255", sport: 45124, dport: 37020, payload: full.payload),
                                           id: 0x0101, sizes: [104, 104])[0]
        let unit: UInt32 = nanoseconds ? 1 : 1000  // 1 µs, in the file's unit
        let packets: [TestPacket] = [
            .at(1, 0, dnsPacket()),                                                             // 1: not matched
            .at(1, 1 * unit, PacketBuilder.ethernet(fragments[2])),                              // 2: FULL, last piece first
            .at(1, 2 * unit, PacketBuilder.ethernet(fragments[0])),                              // 3
            .at(1, 3 * unit, PacketBuilder.discovery(DiscoveryPayload.hello("Attack from Mars"), src: "10.37.0.22")),  // 4
            .at(1, 4 * unit, PacketBuilder.ethernet(fragments[1])),                              // 5: completes the FULL
            .at(1, 5 * unit, dnsPacket()),                                                       // 6: not matched
            .at(1, 6 * unit, PacketBuilder.ethernet(lone)),                                      // 7: never completed
        ]
        let input = try writeTestCapture(makeCapture(packets, format: .pcap(bigEndian: false, nanoseconds: nanoseconds)), name: "in.pcap", in: folder)
        let output = folder.appendingPathComponent("out.pcap").path
        let run = try peersniffJSON(input, ["-w", output])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.frameRecords.map { $0["n"] as? Int } == [4, 5])
        #expect(run.malformedRecords.map { $0["reason"] as? String } == ["incomplete-fragments"])

        let tshark = try toolPath("tshark")
        // Every matched packet: the three fragments of the FULL, the HELLO, the lone fragment.
        let all = try runProgram(tshark, ["-r", output, "-T", "fields", "-e", "ip.src", "-e", "ip.id", "-e", "ip.frag_offset", "-e", "ip.flags.mf"])
        #expect(all.status == 0, "tshark: \(all.stderr)")
        let rows = all.stdout.split(separator: "\n").map { String($0) }
        #expect(rows.count == 5, "\(rows)")
        #expect(Set(rows.filter { $0.hasPrefix("10.37.0.20\t0x6533") }.map { $0.split(separator: "\t")[2] }) == ["0", "13", "26"])
        #expect(rows.contains { $0.hasPrefix("10.37.0.21\t0x0101\t0\t1") })
        // tshark reassembles the FULL from the saved file; the frames it shows are the HELLO and the completed FULL.
        let reassembled = try runProgram(tshark, ["-r", output, "-o", "ip.defragment:TRUE", "-Y", "udp.port==37020",
                                                  "-T", "fields", "-e", "ip.src", "-e", "udp.length"])
        #expect(Set(reassembled.stdout.split(separator: "\n").map(String.init)) == ["10.37.0.22\t26", "10.37.0.20\t306"])
        // The saved file keeps the input's precision and reads back to the same frames.
        let again = try peersniffJSON(output)
        #expect(again.status == 0)
        #expect(again.frameRecords.map { $0["type"] as? String } == ["HELLO", "FULL"])
        #expect(again.frameRecords.map { fractionDigits($0["ts"] as? String ?? "") } == [nanoseconds ? 9 : 6, nanoseconds ? 9 : 6])
        #expect(again.frameRecords.map { $0["ts"] as? String } == run.frameRecords.map { $0["ts"] as? String })
    }

    @Test("-w keeps the input's link type", arguments: [LinkFraming.raw, .rawIPv4, .linuxSLL, .linuxSLL2, .nullBigEndian, .loop, .qinq])
    func writeKeepsLinkType(framing: LinkFraming) throws {
        let folder = Paths.temporaryFolder()
        let packets = CaptureFormatTests.linkTypePackets(framing)
        let input = try writeTestCapture(makeCapture(packets, linkType: framing.linkType, format: .pcap(bigEndian: framing.fileIsBigEndian, nanoseconds: false)),
                                         name: "in.pcap", in: folder)
        let output = folder.appendingPathComponent("out.pcap").path
        let first = try peersniffJSON(input, ["-w", output])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let again = try peersniffJSON(output)
        #expect(again.status == 0, "stderr: \(again.stderr)")
        // The DNS packet was not saved: every packet number is one less.
        #expect(again.datagramRecords.map(RecordFields.init)
                == first.datagramRecords.map { var fields = RecordFields($0); fields.n -= 1; return fields })
        #expect(again.datagramRecords.count == packets.count - 1)
        if toolAvailable("tshark") {
            let tshark = try runProgram(try toolPath("tshark"), ["-r", output, "-T", "fields", "-e", "udp.dstport"])
            #expect(tshark.stdout.split(separator: "\n") == Array(repeating: "37020", count: packets.count - 1), "tshark: \(tshark.stderr)")
        }
    }

    // MARK: Several -r files

    @Test("Several -r files are merged in timestamp order, each record naming its file")
    func severalFiles() throws {
        let folder = Paths.temporaryFolder()
        let a = try writeTestCapture(makeCapture([
            .at(1, 0, PacketBuilder.discovery(DiscoveryPayload.hello("A one"), src: "10.37.0.20")),
            .at(3, 0, PacketBuilder.discovery(DiscoveryPayload.hello("A two"), src: "10.37.0.20")),
            .at(5, 0, PacketBuilder.discovery(DiscoveryPayload.hello("A three"), src: "10.37.0.20")),
        ]), name: "a.pcap", in: folder)
        let b = try writeTestCapture(makeCapture([
            .at(0, 0, dnsPacket(framing: .linuxSLL2)),
            .at(2, 0, LinkFraming.linuxSLL2.frame(PacketBuilder.ipv4(src: "10.37.0.30", dst: "255.255.255.255",
                payload: PacketBuilder.udp(src: "10.37.0.30", dst: "255.255.255.255", sport: 45123, dport: 37020, payload: DiscoveryPayload.hello("B one"))))),
            .at(5, 0, LinkFraming.linuxSLL2.frame(PacketBuilder.ipv4(src: "10.37.0.30", dst: "255.255.255.255",
                payload: PacketBuilder.udp(src: "10.37.0.30", dst: "255.255.255.255", sport: 45123, dport: 37020, payload: DiscoveryPayload.hello("B two"))))),
        ], linkType: LinkFraming.linuxSLL2.linkType, format: .pcap(bigEndian: true, nanoseconds: true)), name: "b.pcap", in: folder)
        let run = try runPeersniff(["-r", a, "-r", b, "--json"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let seen = run.frameRecords.map { "\($0["name"] as? String ?? "?") n=\($0["n"] as? Int ?? 0) \((($0["file"] as? String) ?? "-") == a ? "a" : (($0["file"] as? String) == b ? "b" : "?"))" }
        // A tie (both at 12:00:05) goes to the file named first.
        #expect(seen == ["A one n=1 a", "B one n=2 b", "A two n=2 a", "A three n=3 a", "B two n=3 b"])
        // Each file's records keep that file's precision.
        #expect(run.frameRecords.map { fractionDigits($0["ts"] as? String ?? "") } == [6, 9, 6, 6, 9])
        #expect(run.summaryRecord?["packets_read"] as? Int == 6)

        let single = try peersniffJSON(a)
        #expect(single.frameRecords.allSatisfy { $0["file"] == nil })
    }

    // MARK: Exit statuses

    @Test("Usage errors exit 2 with a message on stderr", arguments: [
        [String](), ["--json"], ["-r", "x.pcap", "-c", "0"], ["-r", "x.pcap", "-c", "-3"], ["-r", "x.pcap", "--no-such-flag"],
        ["-r"], ["-r", "x.pcap", "--port", "70000"], ["-r", "x.pcap", "--port", "abc"], ["-r", "-", "-r", "-"], ["-r", "x.pcap", "-i", "eth0"],
    ])
    func usageErrors(arguments: [String]) throws {
        let run = try runPeersniff(arguments)
        #expect(run.status == 2, "stdout: \(run.stdout) stderr: \(run.stderr)")
        #expect(!run.errorLines.isEmpty)
        #expect(run.stdout.isEmpty)
    }

    @Test("A filter expression that does not compile is a usage error")
    func badFilter() throws {
        let path = try writeTestCapture(makeCapture(BadInputTests.threeFrames))
        let run = try peersniffJSON(path, ["-f", "udp port ((("])
        #expect(run.status == 2, "stderr: \(run.stderr)")
        #expect(run.errorLines.count == 1)
        #expect(run.frameRecords.isEmpty)
    }

    @Test("--version and --help exit 0", arguments: [["--version"], ["--help"], ["-h"]])
    func informational(arguments: [String]) throws {
        let run = try runPeersniff(arguments)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(!run.stdout.isEmpty)
        if arguments == ["--version"] {
            let lines = run.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 2, "\(lines)")
            #expect(lines.first?.hasPrefix("peersniff ") == true && lines.first!.dropFirst(10).allSatisfy { $0.isNumber || $0 == "." })
            // The libpcap in use, as pkg-config (an independent reader of the installed library) names its version.
            let version = try runProgram("/usr/bin/pkg-config", ["--modversion", "libpcap"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(lines.last?.hasPrefix("libpcap version \(version)") == true, "\(lines.last ?? "") vs pkg-config \(version)")
        } else {
            for option in ["-r", "-i", "--port", "-f", "-w", "-c", "--json"] {
                #expect(run.stdout.contains(option), "help mentions \(option)")
            }
        }
    }
}
