import Foundation
import Testing
import WireBytes
import EndToEndSupport
import TestSupport

/// What a user reads, pinned: `--help` in full, and one text line of each frame
/// type, each built here from tshark's reading of the capture (frames.tsv: number,
/// time, addresses, ports, payload), not from an earlier run of peersniff.
@Suite("Text pinned: --help and a line of each frame type")
struct TextLineTests {
    @Test("--help, in full")
    func help() throws {
        let run = try runPeersniff(["--help"], environment: ["PATH": "/usr/bin:/bin"])
        #expect(run.status == 0)
        #expect(run.stdout == Self.expectedHelp + "\n", "--help changed:\n\(run.stdout)")
    }

    /// tshark's row: frame.number, time_epoch, ip.src, ip.dst, srcport, dstport, udp.length, payload.
    struct Row {
        var fields: [String]
        var number: String { fields[0] }
        var payload: [UInt8] { bytesFromHex(fields[7]) ?? [] }
    }

    static func rows(_ tsv: String) throws -> [Row] {
        try String(contentsOfFile: Paths.fixture(tsv), encoding: .utf8).split(separator: "\n").dropFirst()
            .map { Row(fields: $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)) }
    }

    /// `HH:MM:SS.ffffff` (UTC) of tshark's epoch time, microseconds as the capture has them.
    static func timeOfDay(_ epoch: String) -> String {
        let parts = epoch.split(separator: ".")
        let seconds = Int(parts[0])! % 86_400
        let micros = String(parts[1].prefix(6))
        return String(format: "%02d:%02d:%02d.", seconds / 3600, seconds / 60 % 60, seconds % 60) + micros
    }

    /// The line as the contract's reader expects it, from the row alone.
    static func expected(_ row: Row) -> String {
        let f = row.fields
        let bytes = row.payload
        var line = "\(timeOfDay(f[1])) #\(f[0]) \(f[2]):\(f[4]) > \(f[3]):\(f[5]) "
        func name(_ slice: ArraySlice<UInt8>) -> String { "\"" + String(decoding: slice, as: UTF8.self) + "\"" }
        switch bytes.first {
        case 0x01: line += "HELLO " + name(bytes[2..<(2 + Int(bytes[1]))])
        case 0x02:
            var peers: [String] = []
            var o = 2
            for _ in 0..<Int(bytes[1]) {
                let ip = bytes[o..<(o + 4)].map(String.init).joined(separator: ".")
                let length = Int(bytes[o + 4])
                peers.append(ip + " " + name(bytes[(o + 5)..<(o + 5 + length)]))
                o += 5 + length
            }
            // The first few peers (TextLayout.peersShown, three), then "…" if it lists more.
            line += "FULL \(peers.count) peer\(peers.count == 1 ? "" : "s"): " + peers.prefix(3).joined(separator: ", ")
                + (peers.count > 3 ? ", …" : "")
        case 0x03: line += "PING"
        case 0x04: line += "PONG"
        case 0x05: line += "OFFLINE " + bytes[1..<5].map(String.init).joined(separator: ".")
        default: line += "LEGACY " + compactJSON(String(decoding: bytes, as: UTF8.self))
        }
        return line
    }

    @Test("The first line of each frame type equals the one built from tshark's reading", arguments: [
        ("desktop-lowest/bridge.pcap", "desktop-lowest/frames.tsv", UInt8(0x01)), ("desktop-lowest/bridge.pcap", "desktop-lowest/frames.tsv", UInt8(0x02)),
        ("desktop-lowest/bridge.pcap", "desktop-lowest/frames.tsv", UInt8(0x03)), ("desktop-lowest/bridge.pcap", "desktop-lowest/frames.tsv", UInt8(0x04)),
        ("desktop-lowest/bridge.pcap", "desktop-lowest/frames.tsv", UInt8(0x05)), ("legacy/bridge.pcap", "legacy/frames.tsv", UInt8(0x7B)),
    ])
    func firstLine(capture: String, tsv: String, type: UInt8) throws {
        let row = try #require(try Self.rows(tsv).first { $0.payload.first == type })
        let run = try runPeersniff(["-r", Paths.fixture(capture), "--color", "never"])
        #expect(run.status == 0)
        let line = run.stdout.split(separator: "\n").first { $0.contains(" #\(row.number) ") && !$0.contains("▶") }.map(String.init)
        #expect(line == Self.expected(row))
    }

    static let expectedHelp = """
OVERVIEW: Watch the pinball boards' UDP discovery protocol: decode every frame,
reconstruct the registry election.

Reads pcap/pcapng files (-r) or, as root, watches an interface (-i). peersniff
only listens: it never transmits.
Exit status: 0 done; 1 input unreadable, capture not started, or an output
failed; 2 usage error; 3 --fail-on matched (malformed: a malformed datagram;
anomaly: a diagnosis of severity warning or error).

USAGE: peersniff <options>

INPUT:
  -r <file>               Read a pcap or pcapng file; '-' reads standard input.
                          Repeat to merge several files by timestamp.
  -i <interface>          Watch this interface live (or 'any').
  -D                      List the interfaces that can be watched, then exit.
  --port <port>           The discovery port. (default: 37020)
  -f <expression>         An extra BPF expression, ANDed with peersniff's own
                          filter.
  -c <count>              Stop after this many discovery datagrams.
  --duration <seconds>    Live: stop after this many seconds.
  -Z <user>               Live: drop root privileges to this user right after
                          the capture is opened.
  --verify-checksums/--no-verify-checksums
                          Check UDP checksums (offloaded ones are recognised,
                          not errors). (default: --verify-checksums)
  --keep-duplicates       With several -r files: analyse the same datagram seen
                          in two of them (two views of one LAN) twice. By
                          default it is analysed once and counted as a
                          duplicate.

OUTPUT:
  --json                  JSON Lines on standard output instead of text.
  -o, --output <file>     Write the records (text or --json) to this file
                          instead of standard output ('-'); SIGHUP opens it
                          again (log rotation).
  --append                -o, -w and --write-malformed add to the files already
                          there (a pcap file of the same link type) instead of
                          starting them anew: a service that restarts keeps
                          what it wrote.
  --observer <name>       A name for this sensor (a venue, a LAN): in every
                          JSON record and as the label observer of every metric.
  -q, --quiet             Print only the summary at the end.
  --events                Print only the election events (and the summary).
  -v, --verbose           Show everything: every peer of a FULL (the first few
                          without it), every malformed record in full with its
                          whole hex dump (repeats folded without it).
  --malformed             Print only the malformed-frame report: every
                          malformed datagram and frame with warnings, with a
                          marked hex dump, then tallies by code and source.
  -w <file>               Also save every matched packet (all fragments of a
                          frame) to this pcap file.
  --write-malformed <file>
                          Save the packets behind malformed records and frames
                          with warnings to this pcap file.
  --html <file>           Also write the election timeline as one
                          self-contained HTML page (live: rewritten every few
                          seconds).
  --metrics <file>        Also write Prometheus metrics to this file (for
                          node_exporter's textfile collector), replaced
                          atomically every --metrics-interval seconds and at
                          the end.
  --metrics-interval <seconds>
                          Live: seconds between two writes of the --metrics
                          file. (default: 10.0)
  --color <when>          Colour the text output: auto, always or never
                          (NO_COLOR is honoured). (values: auto, always, never;
                          default: auto)
  --no-live-view          Live: stream plain lines instead of the picture
                          refreshed in place.
  --print-filter          Print the BPF expression peersniff uses on Ethernet,
                          then exit.

DISPLAY:
  --node <ip>             Show only what is about this node: frames it sent or
                          that were sent to it, OFFLINEs about it, events and
                          incidents naming it. Repeatable.
  --type <type>           Show only this kind of record: HELLO, FULL, PING,
                          PONG, OFFLINE, LEGACY, malformed, event (or one
                          event's name, such as node-declared-offline),
                          incident. Repeatable.
  --since <time>          Show only what happened from this time: a clock time
                          in UTC as the output writes it (12:45:06.49), a whole
                          RFC 3339 time, or +SECONDS from the first packet.
  --until <time>          Show only what happened until this time (as --since).

ANALYSIS:
  --fail-on <what>        Exit with status 3 if the run saw malformed datagrams
                          ('malformed') or made a diagnosis of severity warning
                          or error ('anomaly'). Repeatable. (values: malformed,
                          anomaly)
  --registry-timeout <seconds>
                          Seconds a due FULL may take before registry-silent.
                          (default: 3.0)
  --conflict-window <seconds>
                          FULLs from two senders closer than this are a
                          registry-conflict. (default: 5.0)
  --max-nodes <count>     Keep at most this many nodes (default 4096; the
                          firmware lists at most 51). Addresses beyond are
                          counted and named in an address-flood diagnosis, not
                          kept. (default: 4096)

OPTIONS:
  --version               Show the version.
  -h, --help              Show help information.

"""
}

/// JSON text without the whitespace between its tokens (strings kept as they are).
func compactJSON(_ text: String) -> String {
    var out = ""
    var inString = false, escaped = false
    for c in text {
        if inString {
            out.append(c)
            if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
        } else if c == "\"" {
            inString = true
            out.append(c)
        } else if !c.isWhitespace {
            out.append(c)
        }
    }
    return out
}

