import DiscoveryCodec
import WireBytes

/// A board as the simulation keeps it.
struct Board {
    let ip: UInt32
    let mac: MAC
    /// Boards send from an unbound socket: one ephemeral port for the board's life.
    let port: UInt16
    let name: Name
    let hello: Payload
    let offlineAbout: Payload
    var ipID: UInt16
}

/// Discovery traffic as the firmware makes it, simplified to what the analyzer sees:
/// ~50 boards on 10.37.0.0/24 whose live set wanders between 10 and 51 (HELLOs of
/// joining boards, OFFLINEs of silent ones), the registry (the lowest live IP)
/// answering HELLO and OFFLINE with a FULL (itself first, the others sorted),
/// unicast PING/PONG liveness checks, a little legacy JSON, and a few registry
/// changes: the lowest board drops out (PING unanswered, OFFLINE, the next lowest
/// takes over) and later comes back (HELLO, a FULL from the stand-in, then its own).
struct DiscoverySimulation {
    static let boardCount = 51
    static let minimumLive = 10
    static let registryChanges = 4
    static let port: UInt16 = 37020

    private var rng: SplitMix64
    private var boards: [Board]
    private var live: [Bool]
    private var liveCount = 0
    /// The lowest board is away (between two scheduled registry changes).
    private var lowestAway = false
    private var changesDone = 0
    private var started = false

    private var fullCache: Payload? = nil
    private var queue: [Datagram] = []
    private var queueHead = 0

    private let malformedRate: Double
    /// `--profile events`: registry changes, OFFLINE storms and flapping boards all along.
    private let eventful: Bool
    /// The boards that flap: declared offline and back, again and again.
    private var flappers: [Int] = []

    // Legacy senders: an old-firmware board and the firmware docs' desktop tester.
    private let oldBoardIP = IPv4Address(10, 37, 0, 241).value
    private let oldBoardMAC: MAC = 0x28CD_C100_00F1
    private let oldBoardPort: UInt16 = 51_377
    private var oldBoardID: UInt16 = 0x1000
    private let desktopIP = IPv4Address(10, 37, 0, 250).value
    private let desktopMAC: MAC = 0x3C22_FB5E_9A10
    private var desktopID: UInt16 = 0x2000
    private let legacyAnnouncement: Payload
    private let legacyDiscover: Payload

    init(rng: SplitMix64, malformedPercent: Double, eventful: Bool = false) {
        self.rng = rng
        malformedRate = malformedPercent / 100
        self.eventful = eventful
        legacyAnnouncement = Payload(Frame.legacy(.object([
            (key: "version", value: .string("1.4.0")), (key: "name", value: .string("Medieval Madness")),
        ])).encoded())
        legacyDiscover = Payload(Frame.legacy(.object([(key: "discover", value: .bool(true))])).encoded())
        var ips = Set<UInt32>()
        while ips.count < Self.boardCount {
            ips.insert(IPv4Address(10, 37, 0, UInt8(self.rng.inRange(10...140))).value)
        }
        var made: [Board] = []
        var ports = Set<UInt16>()
        for ip in ips.sorted() {
            var port: UInt16
            repeat { port = self.rng.ephemeralPort() } while !ports.insert(port).inserted
            // Two boards have names that the firmware's cut leaves mid-character.
            let name = made.count == 5 || made.count == 20
                ? firmwareName(self.rng.pick(BoardNames.cutMidCharacter)) : BoardNames.make(&self.rng)
            made.append(Board(
                ip: ip, mac: 0x28CD_C100_0000 | MAC(ip & 0xFFFF), port: port, name: name,
                hello: Payload(Frame.hello(name: name).encoded()),
                offlineAbout: Payload(Frame.offline(ip: IPv4Address(ip)).encoded()),
                ipID: UInt16(truncatingIfNeeded: self.rng.next())))
        }
        boards = made
        live = Array(repeating: false, count: Self.boardCount)
        // The two lowest boards stay (the scheduled changes move the first); about
        // forty of the others start live (a venue in the evening: most machines on).
        for i in 0..<Self.boardCount where i < 2 || self.rng.chance(0.8) {
            live[i] = true
            liveCount += 1
        }
        if eventful { flappers = [7, 19, 33] }
    }

    /// The next datagram. `progress` (0 to 1) is how far the capture is to its target,
    /// which places the scheduled registry changes.
    mutating func next(progress: Double) -> Datagram {
        while queueHead == queue.count {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
            tick(progress: progress)
        }
        defer { queueHead += 1 }
        return queue[queueHead]
    }

    private var registry: Int { lowestAway ? 1 : 0 }

    private mutating func tick(progress: Double) {
        if !started {
            started = true
            sendFull()
            return
        }
        if eventful {
            switch rng.below(1000) {
            case 0..<2:
                // The lowest board goes away or comes back: a registry change either way.
                changeRegistry()
                return
            case 2..<60 where lowestAway:
                // Its OFFLINE storm: boards keep declaring it offline, the stand-in answers each.
                let by = randomLive(excludingRegistry: true)
                send(from: by, to: nil, boards[0].offlineAbout, .offline)
                sendFull()
                return
            case 60..<75:
                // A flapping board: declared offline, then its HELLO (it was there all along).
                let b = flappers[rng.below(flappers.count)]
                let by = randomLive(excludingRegistry: false)
                if by != b {
                    send(from: by, to: nil, boards[b].offlineAbout, .offline)
                    if !live[b] { setLive(b, true) }
                    send(from: b, to: nil, boards[b].hello, .hello)
                    sendFull()
                    return
                }
            default:
                break
            }
        } else if changesDone < Self.registryChanges,
           progress >= Double(changesDone + 1) / Double(Self.registryChanges + 1) {
            changesDone += 1
            changeRegistry()
            return
        }
        let roll = rng.below(100)
        switch roll {
        case 0..<55: pingPong()
        case 55..<70:
            // A board re-announces itself (it was not in a FULL, or it rebooted).
            let b = randomLive(excludingRegistry: true)
            send(from: b, to: nil, boards[b].hello, .hello)
            sendFull()
        case 70..<90: changeMembership()
        case 90..<92:
            // Someone declares a board offline that is still there: it says HELLO again.
            let by = randomLive(excludingRegistry: false)
            var about = randomLive(excludingRegistry: true)
            while about == by { about = randomLive(excludingRegistry: true) }
            send(from: by, to: nil, boards[about].offlineAbout, .offline)
            send(from: about, to: nil, boards[about].hello, .hello)
            sendFull()
        case 92..<98: sendFull()
        default: sendLegacy()
        }
    }

    /// A random live board other than the one away; not the registry if asked.
    private mutating func randomLive(excludingRegistry: Bool) -> Int {
        while true {
            let i = rng.below(Self.boardCount)
            if live[i] && !(excludingRegistry && i == registry) { return i }
        }
    }

    private mutating func pingPong() {
        let a = randomLive(excludingRegistry: false)
        var b = randomLive(excludingRegistry: false)
        while b == a { b = randomLive(excludingRegistry: false) }
        send(from: a, to: b, Payload.ping, .ping)
        if rng.chance(0.98) { send(from: b, to: a, Payload.pong, .pong) }
    }

    /// A board joins or leaves, or now and then a bank of them (a venue switching a
    /// row of machines on or off: a burst of HELLOs gives a burst of FULLs). The two
    /// lowest boards never do, so that the registry moves only when scheduled.
    private mutating func changeMembership() {
        let join: Bool
        if liveCount <= Self.minimumLive { join = true }
        else if liveCount >= Self.boardCount - (lowestAway ? 1 : 0) { join = false }
        else { join = rng.chance(0.5) }
        let bank = rng.chance(0.15) ? rng.inRange(4...12) : 1
        for _ in 0..<bank {
            if join && liveCount >= Self.boardCount - (lowestAway ? 1 : 0) { break }
            if !join && liveCount <= Self.minimumLive { break }
            var i: Int
            repeat { i = 2 + rng.below(Self.boardCount - 2) } while live[i] == join
            if join {
                setLive(i, true)
                send(from: i, to: nil, boards[i].hello, .hello)
            } else {
                // The pinger's PING goes unanswered; a liveness round later it gives up.
                let by = randomLive(excludingRegistry: false)
                if by != i {
                    send(from: by, to: i, Payload.ping, .ping)
                }
                setLive(i, false)
                send(from: by == i ? registry : by, to: nil, boards[i].offlineAbout, .offline)
            }
            sendFull()
        }
    }

    private mutating func changeRegistry() {
        if !lowestAway {
            let by = 2 + rng.below(Self.boardCount - 2)
            let pinger = live[by] ? by : 1
            send(from: pinger, to: 0, Payload.ping, .ping)
            setLive(0, false)
            lowestAway = true
            send(from: pinger, to: nil, boards[0].offlineAbout, .offline)
            sendFull()
        } else {
            lowestAway = false
            setLive(0, true)
            send(from: 0, to: nil, boards[0].hello, .hello)
            // The stand-in answers the HELLO, then the returned board, now lowest, takes over.
            sendFull(from: 1)
            sendFull()
        }
    }

    private mutating func setLive(_ i: Int, _ value: Bool) {
        guard live[i] != value else { return }
        live[i] = value
        liveCount += value ? 1 : -1
        fullCache = nil
    }

    /// The registry's list as the firmware builds it: the sender first, then every
    /// other known board sorted by IP, at most 51 entries.
    private mutating func sendFull(from sender: Int? = nil) {
        let r = sender ?? registry
        let payload: Payload
        if r == registry, let cached = fullCache {
            payload = cached
        } else {
            var peers = [Peer(ip: IPv4Address(boards[r].ip), name: boards[r].name)]
            for i in 0..<Self.boardCount where live[i] && i != r {
                peers.append(Peer(ip: IPv4Address(boards[i].ip), name: boards[i].name))
            }
            payload = Payload(Frame.full(peers: peers).encoded())
            if r == registry { fullCache = payload }
        }
        send(from: r, to: nil, payload, .full)
    }

    private mutating func sendLegacy() {
        if rng.chance(0.5) {
            oldBoardID &+= 1
            enqueue(Datagram(srcMAC: oldBoardMAC, dstMAC: broadcastMAC, src: oldBoardIP,
                             dst: IPv4Address.broadcast.value, sport: oldBoardPort, dport: Self.port,
                             ipID: oldBoardID, payload: legacyAnnouncement, kind: .legacy))
        } else {
            // The desktop tester binds the discovery port, so it sends from it.
            desktopID &+= 1
            enqueue(Datagram(srcMAC: desktopMAC, dstMAC: broadcastMAC, src: desktopIP,
                             dst: IPv4Address.broadcast.value, sport: Self.port, dport: Self.port,
                             ipID: desktopID, payload: legacyDiscover, kind: .legacy))
        }
    }

    /// A datagram from board `from`, broadcast (`to` nil) or unicast to board `to`.
    private mutating func send(from: Int, to: Int?, _ payload: Payload, _ kind: DatagramKind) {
        boards[from].ipID &+= 1
        let dst = to.map { boards[$0] }
        enqueue(Datagram(srcMAC: boards[from].mac, dstMAC: dst?.mac ?? broadcastMAC,
                         src: boards[from].ip, dst: dst?.ip ?? IPv4Address.broadcast.value,
                         sport: boards[from].port, dport: Self.port,
                         ipID: boards[from].ipID, payload: payload, kind: kind))
    }

    private mutating func enqueue(_ datagram: Datagram) {
        var d = datagram
        if malformedRate > 0, rng.chance(malformedRate) { Malformer.spoil(&d, &rng) }
        queue.append(d)
    }
}

extension Payload {
    static let ping = Payload(Frame.ping.encoded())
    static let pong = Payload(Frame.pong.encoded())
}
