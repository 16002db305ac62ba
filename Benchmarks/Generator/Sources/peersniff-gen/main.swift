import Glibc

/// peersniff-gen: deterministic pcap captures for peersniff's benchmarks.
let usage = """
    usage: peersniff-gen --profile discovery|lan (--packets N | --bytes N) [options] -o FILE

      --profile discovery   only discovery traffic: ~50 boards, every frame type, IP-fragmented
                            FULLs, a few registry changes; ~1 ms between packets
      --profile lan         a LAN mix (TCP, DNS, mDNS, NTP, ARP, IPv6) in which 1% of the
                            packets are discovery packets; ~20 us between packets
      --profile events      discovery traffic full of incidents: the registry changes every few
                            thousand packets, OFFLINE storms while it is away, boards
                            declared offline and back again (flapping); ~1 ms between packets
      --profile hello-flood spoofed HELLOs, each from a new address; ~1 us between packets
      --profile full-flood  spoofed FULLs of 255 new addresses each; ~1 us between packets
      --packets N           stop after N packets (a fragmented datagram in progress is finished)
      --bytes N             stop once the file holds N bytes
                            (N takes a suffix k, M or G: powers of 1000)
      --seed S              the PRNG seed (default 1): the same arguments give the same bytes
      --malformed-percent P make P% of the discovery datagrams malformed, in varied ways
      -o FILE               the pcap to write ("-" for stdout); FILE.stats gets the counts
      -q                    no summary on stderr
      --version             the generator's format version (bumped when the bytes change)
    """

enum Profile: String { case discovery, events, lan, helloFlood = "hello-flood", fullFlood = "full-flood" }

struct Options {
    var profile = Profile.discovery
    var packets: Int? = nil
    var bytes: Int? = nil
    var seed: UInt64 = 1
    var malformedPercent = 0.0
    var output: String? = nil
    var quiet = false
}

/// Writes to standard error (fd 2) without touching C's global `stderr`.
func printError(_ text: String) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { b in
        var offset = 0
        while offset < b.count {
            let n = write(2, b.baseAddress! + offset, b.count - offset)
            if n <= 0 { return }
            offset += n
        }
    }
}

func fail(_ message: String, status: Int32 = 2) -> Never {
    var text = "peersniff-gen: \(message)\n"
    if status == 2 { text += usage + "\n" }
    printError(text)
    exit(status)
}

func count(_ text: String, _ flag: String) -> Int {
    var digits = Substring(text)
    var scale = 1
    switch text.last {
    case "k", "K": scale = 1_000; digits = digits.dropLast()
    case "m", "M": scale = 1_000_000; digits = digits.dropLast()
    case "g", "G": scale = 1_000_000_000; digits = digits.dropLast()
    default: break
    }
    guard let n = Int(digits), n > 0 else { fail("\(flag) needs a positive number, not '\(text)'") }
    return n * scale
}

func parse(_ arguments: [String]) -> Options {
    var options = Options()
    var i = 0
    func value(_ flag: String) -> String {
        i += 1
        guard i < arguments.count else { fail("\(flag) needs a value") }
        return arguments[i]
    }
    while i < arguments.count {
        let flag = arguments[i]
        switch flag {
        case "--profile":
            let v = value(flag)
            guard let p = Profile(rawValue: v) else { fail("unknown profile '\(v)' (discovery, events, lan, hello-flood or full-flood)") }
            options.profile = p
        case "--packets": options.packets = count(value(flag), flag)
        case "--bytes": options.bytes = count(value(flag), flag)
        case "--seed":
            let v = value(flag)
            guard let s = UInt64(v) else { fail("--seed needs an unsigned integer, not '\(v)'") }
            options.seed = s
        case "--malformed-percent":
            let v = value(flag)
            guard let p = Double(v), p >= 0, p <= 100 else { fail("--malformed-percent needs 0 to 100, not '\(v)'") }
            options.malformedPercent = p
        case "-o", "--output": options.output = value(flag)
        case "-q", "--quiet": options.quiet = true
        case "--version":
            print("peersniff-gen \(generatorVersion)")
            exit(0)
        case "-h", "--help":
            print(usage)
            exit(0)
        default: fail("unknown argument '\(flag)'")
        }
        i += 1
    }
    if options.packets == nil && options.bytes == nil { fail("give --packets N or --bytes N") }
    if options.output == nil { fail("give -o FILE") }
    return options
}

/// Counts of what was written, for the summary and FILE.stats.
struct Statistics {
    var datagrams = [Int](repeating: 0, count: DatagramKind.allCases.count)
    var discoveryPackets = 0
    var fragmentedDatagrams = 0
    var largestPayload = 0

    mutating func add(_ d: Datagram) {
        datagrams[d.kind.rawValue] += 1
        let packets = DatagramEmitter.packetCount(d)
        if packets > 1 || d.dropLastFragment { fragmentedDatagrams += 1 }
        largestPayload = max(largestPayload, d.payload.bytes.count)
    }

    var frames: Int { DatagramKind.allCases.filter { !$0.isMalformed }.reduce(0) { $0 + datagrams[$1.rawValue] } }
    var malformed: Int { DatagramKind.allCases.filter(\.isMalformed).reduce(0) { $0 + datagrams[$1.rawValue] } }
}

/// Bumped whenever the same arguments would give different bytes, so that run.sh
/// does not reuse a capture made by an older generator.
let generatorVersion = 3

func run(_ options: Options) throws(GeneratorError) {
    let started = timespec.now
    let writer = try PcapWriter(path: options.output!)
    var root = SplitMix64(seed: options.seed)
    var simulation = DiscoverySimulation(rng: root.fork(), malformedPercent: options.malformedPercent,
                                         eventful: options.profile == .events)
    var lan = options.profile == .lan ? LanTraffic(rng: root.fork()) : nil
    var timing = root.fork()
    var emitter = DatagramEmitter()
    var statistics = Statistics()
    let packetTarget = options.packets ?? Int.max
    let byteTarget = options.bytes ?? Int.max
    let gaps = switch options.profile {
    case .discovery, .events: 200...1800
    case .lan: 0...40
    case .helloFlood, .fullFlood: 1...1
    }
    var flood: FloodTraffic? = switch options.profile {
    case .helloFlood: FloodTraffic(kind: .hello)
    case .fullFlood: FloodTraffic(kind: .full)
    default: nil
    }
    var micros = captureStart

    func progress() -> Double {
        max(Double(writer.packets) / Double(packetTarget), Double(writer.fileBytes) / Double(byteTarget))
    }
    func discoveryPacket() throws(GeneratorError) {
        if !emitter.inProgress {
            let d = flood?.datagram() ?? simulation.next(progress: progress())
            statistics.add(d)
            emitter.start(d)
        }
        try emitter.writeNext(to: writer, micros: micros)
        statistics.discoveryPackets += 1
    }

    while writer.packets < packetTarget && writer.fileBytes < byteTarget {
        micros += UInt64(timing.inRange(gaps))
        if lan == nil || timing.chance(0.01) {
            try discoveryPacket()
        } else {
            try lan!.write(to: writer, micros: micros)
        }
    }
    // Never leave a datagram half sent: that would be an incomplete-fragments nobody asked for.
    while emitter.inProgress {
        micros += UInt64(timing.inRange(gaps))
        try discoveryPacket()
    }
    try writer.close()

    let seconds = timespec.now.seconds - started.seconds
    var lines: [String] = [
        "params=profile=\(options.profile.rawValue) packets=\(options.packets ?? 0) bytes=\(options.bytes ?? 0) seed=\(options.seed) malformed-percent=\(options.malformedPercent) generator=\(generatorVersion)",
        "packets=\(writer.packets)",
        "bytes=\(writer.fileBytes)",
        "capture_seconds=\(Double(micros - captureStart) / 1e6)",
        "discovery_packets=\(statistics.discoveryPackets)",
        "discovery_datagrams=\(statistics.frames + statistics.malformed)",
        "frames=\(statistics.frames)",
        "malformed=\(statistics.malformed)",
        "fragmented_datagrams=\(statistics.fragmentedDatagrams)",
        "largest_payload=\(statistics.largestPayload)",
    ]
    for kind in DatagramKind.allCases where statistics.datagrams[kind.rawValue] > 0 {
        lines.append("\(kind.isMalformed ? "malformed" : "frame").\(kind.name)=\(statistics.datagrams[kind.rawValue])")
    }
    let text = lines.joined(separator: "\n") + "\n"
    if options.output != "-" {
        let path = options.output! + ".stats"
        guard let file = fopen(path, "w") else { throw GeneratorError("cannot create \(path)") }
        fputs(text, file)
        fclose(file)
    }
    if !options.quiet {
        printError(text)
        let rate = Double(writer.packets) / max(seconds, 1e-9)
        printError("generated in \(String(format3(seconds))) s (\(Int(rate)) packets/s)\n")
    }
}

func format3(_ x: Double) -> String {
    let scaled = Int((x * 1000).rounded())
    let fraction = String(scaled % 1000)
    return "\(scaled / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
}

extension timespec {
    static var now: timespec {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return t
    }
    var seconds: Double { Double(tv_sec) + Double(tv_nsec) / 1e9 }
}

do {
    try run(parse(Array(CommandLine.arguments.dropFirst())))
} catch {
    fail(error.description, status: 1)
}
