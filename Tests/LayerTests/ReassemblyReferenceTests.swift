import Testing
@testable import PacketLayers
import WireBytes
import TestSupport

/// The reassembler held to a plain one written from its rules, over random sets of
/// fragments: shuffled, repeated, overlapping, cut by the snap length, missing,
/// past the datagram's end, interleaved with other datagrams, under tight bounds
/// and timeouts. Every outcome, every datagram given up (and in what order) and the
/// counts after each step must be the same.
@Suite("Reassembly against a reference")
struct ReassemblyReferenceTests {
    typealias Key = FragmentReassembler<Int>.Key

    /// A fragment as a capture gives it: `bytes` is what was captured, shorter than
    /// `declared` exactly when the snap length cut it.
    struct Fragment {
        var key: Key
        var offset: Int
        var declared: Int
        var bytes: [UInt8]
        var last: Bool
        var cut: Bool { bytes.count < declared }

        var header: IPv4Header {
            IPv4Header(source: key.source, destination: key.destination, protocolNumber: key.protocolNumber,
                       identification: key.identification, moreFragments: !last, fragmentOffset: offset,
                       headerLength: 20, totalLength: 20 + declared)
        }
    }

    /// A datagram given up, as the caller sees it.
    struct GivenUp: Equatable, CustomStringConvertible {
        var key: String
        var tags: [Int]
        var fragmentCount: Int
        var firstFragment: [UInt8]?
        var contiguousPrefix: [UInt8]
        var coveredBytes: Int
        var expectedLength: Int?
        var firstSeen: Int64
        var lastSeen: Int64

        init(_ entry: FragmentReassembler<Int>.Pending) {
            key = ReassemblyReferenceTests.describe(entry.key)
            tags = entry.tags
            fragmentCount = entry.fragmentCount
            firstFragment = entry.firstFragment
            contiguousPrefix = entry.contiguousPrefix
            coveredBytes = entry.coveredBytes
            expectedLength = entry.expectedLength
            firstSeen = entry.firstSeen.totalNanoseconds
            lastSeen = entry.lastSeen.totalNanoseconds
        }

        init(_ datagram: ReferenceReassembler.Datagram) {
            key = ReassemblyReferenceTests.describe(datagram.key)
            tags = datagram.tags
            fragmentCount = datagram.tags.count
            firstFragment = datagram.kept.first { $0.offset == 0 }?.bytes
            contiguousPrefix = datagram.contiguousPrefix
            coveredBytes = datagram.kept.reduce(0) { $0 + $1.declared }
            expectedLength = datagram.total
            firstSeen = datagram.firstSeen.totalNanoseconds
            lastSeen = datagram.lastSeen.totalNanoseconds
        }

        var description: String {
            "\(key) tags \(tags) covering \(coveredBytes) of \(expectedLength.map(String.init) ?? "?"), prefix \(contiguousPrefix.count)"
        }
    }

    static func describe(_ key: Key) -> String {
        "\(key.source)>\(key.destination) id \(key.identification) proto \(key.protocolNumber)"
    }

    /// What one step did: the outcome of an add (nil for a clock tick) and the
    /// datagrams given up on the way, then the counts left.
    struct StepResult: Equatable {
        var outcome: AddResult?
        var givenUp: [GivenUp]
        var pendingCount: Int
        var gaveUpForRoom: Int
    }

    /// The rules, written plainly and slowly.
    struct ReferenceReassembler {
        struct Datagram {
            var key: Key
            /// The fragments kept, in arrival order.
            var kept: [Fragment] = []
            /// The captured bytes of the copies not kept (they count against the bound).
            var copies = 0
            var tags: [Int] = []
            var total: Int?
            var firstSeen: Timestamp
            var lastSeen: Timestamp

            /// Kept fragments by offset; at the same offset, the one that came first first.
            var inOrder: [Fragment] {
                kept.enumerated().sorted { ($0.element.offset, $0.offset) < ($1.element.offset, $1.offset) }.map(\.element)
            }

            /// From offset 0, in offset order, up to the first byte nobody captured or
            /// the end of the first cut fragment reached.
            var contiguousPrefix: [UInt8] {
                var prefix: [UInt8] = []
                for fragment in inOrder {
                    if fragment.offset > prefix.count { break }
                    prefix += fragment.bytes.dropFirst(prefix.count - fragment.offset)
                    if fragment.cut { break }
                }
                return prefix
            }

            /// The payload once the declared lengths cover 0 up to the total with no gap.
            /// Each byte comes from the first fragment in offset order that captured it;
            /// a datagram with a cut fragment ends at the first byte nobody captured.
            var whole: (payload: [UInt8], cut: Bool)? {
                guard let total else { return nil }
                var covered = 0
                for fragment in inOrder {
                    if fragment.offset > covered { return nil }
                    covered = max(covered, fragment.offset + fragment.declared)
                }
                guard covered >= total else { return nil }
                var laid = [UInt8?](repeating: nil, count: total)
                for fragment in inOrder {
                    for (index, byte) in fragment.bytes.enumerated() where fragment.offset + index < total {
                        if laid[fragment.offset + index] == nil { laid[fragment.offset + index] = byte }
                    }
                }
                if kept.contains(where: \.cut) {
                    return (laid.prefix { $0 != nil }.map { $0! }, true)
                }
                return (laid.map { $0 ?? 0 }, false)
            }
        }

        let timeoutNanoseconds: Int64
        let maxDatagrams: Int
        let maxBytes: Int
        var datagrams: [Datagram] = []
        var gaveUpForRoom = 0

        /// Oldest first; at the same time, by source, destination, id, protocol.
        static func earlier(_ a: Datagram, _ b: Datagram) -> Bool {
            (a.firstSeen.totalNanoseconds, a.key.source.value, a.key.destination.value, a.key.identification, a.key.protocolNumber)
                < (b.firstSeen.totalNanoseconds, b.key.source.value, b.key.destination.value, b.key.identification, b.key.protocolNumber)
        }

        mutating func add(_ fragment: Fragment, time: Timestamp, tag: Int, givenUp: (Datagram) -> Void) -> AddResult {
            let index = datagrams.firstIndex { $0.key == fragment.key } ?? {
                datagrams.append(Datagram(key: fragment.key, firstSeen: time, lastSeen: time))
                return datagrams.count - 1
            }()
            datagrams[index].lastSeen = time
            datagrams[index].tags.append(tag)
            if fragment.last { datagrams[index].total = fragment.offset + fragment.declared }
            // A copy of a fragment kept (same offset, no longer) adds nothing but its bytes
            // to the count against the bound (its tag may hold its packet).
            if !datagrams[index].kept.contains(where: { $0.offset == fragment.offset && $0.declared >= fragment.declared }) {
                datagrams[index].kept.append(fragment)
            } else {
                datagrams[index].copies += fragment.bytes.count
            }
            if let whole = datagrams[index].whole {
                let done = datagrams.remove(at: index)
                return .complete(payload: whole.payload, cut: whole.cut, tags: done.tags)
            }
            while datagrams.count > maxDatagrams || datagrams.reduce(0, { $0 + $1.copies + $1.kept.reduce(0) { $0 + $1.bytes.count } }) > maxBytes {
                let oldest = datagrams.indices.min { Self.earlier(datagrams[$0], datagrams[$1]) }!
                gaveUpForRoom += 1
                givenUp(datagrams.remove(at: oldest))
            }
            return .pending
        }

        mutating func expire(now: Timestamp, givenUp: (Datagram) -> Void) {
            let stale = datagrams.filter { now.totalNanoseconds - $0.firstSeen.totalNanoseconds > timeoutNanoseconds }
            datagrams.removeAll { now.totalNanoseconds - $0.firstSeen.totalNanoseconds > timeoutNanoseconds }
            stale.sorted(by: Self.earlier).forEach(givenUp)
        }

        mutating func drain(givenUp: (Datagram) -> Void) {
            datagrams.sorted(by: Self.earlier).forEach(givenUp)
            datagrams = []
        }
    }

    // MARK: Random fragment sets

    static let sources = [IPv4Address(10, 0, 0, 1), IPv4Address(10, 0, 0, 2)]
    static let destinations = [IPv4Address(10, 0, 0, 9), IPv4Address(255, 255, 255, 255)]

    /// One datagram's fragments, damaged in the ways captures damage them.
    static func fragments(_ rng: inout SplitMix64) -> [Fragment] {
        let key = Key(source: rng.pick(sources), destination: rng.pick(destinations),
                      identification: rng.pick([1, 2, 0xFFFF]), protocolNumber: rng.pick([17, 6]))
        let total = rng.chance(70) ? 1 + rng.below(400) : 1 + rng.below(3000)
        let content = rng.bytes(total)
        let size = 8 * (1 + rng.below(rng.chance(50) ? 4 : 200))
        var fragments: [Fragment] = []
        for offset in stride(from: 0, to: total, by: size) {
            let end = min(offset + size, total)
            fragments.append(Fragment(key: key, offset: offset, declared: end - offset, bytes: Array(content[offset..<end]), last: end == total))
        }
        var extra: [Fragment] = []
        for fragment in fragments {
            if rng.chance(20) {  // a copy, sometimes with other bytes: the first one wins
                var copy = fragment
                if rng.chance(50) { copy.bytes = rng.bytes(copy.bytes.count) }
                extra.append(copy)
            }
        }
        for _ in 0..<(rng.chance(30) ? 1 + rng.below(3) : 0) {  // overlapping, with bytes of their own
            let offset = 8 * rng.below(total / 8 + 2)
            let declared = rng.chance(5) ? 0 : 1 + rng.below(max(1, min(total, 600)))
            let last = offset + declared == total || rng.chance(10)
            extra.append(Fragment(key: key, offset: offset, declared: declared, bytes: rng.bytes(declared), last: last))
        }
        fragments += extra
        fragments.removeAll { _ in rng.chance(10) }  // missing
        for index in fragments.indices where rng.chance(10) && fragments[index].declared > 0 {  // cut by the snap length
            fragments[index].bytes.removeLast(1 + rng.below(fragments[index].bytes.count))
        }
        if rng.chance(50) { fragments.shuffle(using: &rng) }
        return fragments
    }

    struct Bounds: Sendable, CustomTestStringConvertible {
        var timeoutSeconds: Double
        var maxDatagrams: Int
        var maxBytes: Int
        var seed: UInt64
        var testDescription: String { "timeout \(timeoutSeconds) s, \(maxDatagrams) datagrams, \(maxBytes) bytes" }
    }

    static let bounds = [
        Bounds(timeoutSeconds: 0.5, maxDatagrams: 3, maxBytes: 3000, seed: 0x5EA5_0001),
        Bounds(timeoutSeconds: 2, maxDatagrams: 2, maxBytes: 1 << 20, seed: 0x5EA5_0002),
        Bounds(timeoutSeconds: 30, maxDatagrams: 1024, maxBytes: 16 << 20, seed: 0x5EA5_0003),
    ]

    @Test("Random fragment sets give what the plain rules give", arguments: bounds)
    func differential(bounds: Bounds) throws {
        var rng = SplitMix64(seed: bounds.seed)
        var reassembler = FragmentReassembler<Int>(timeoutSeconds: bounds.timeoutSeconds, maxDatagrams: bounds.maxDatagrams, maxBytes: bounds.maxBytes)
        var reference = ReferenceReassembler(timeoutNanoseconds: reassembler.timeoutNanoseconds,
                                             maxDatagrams: bounds.maxDatagrams, maxBytes: bounds.maxBytes)
        var time = Timestamp(seconds: 1_800_000_000, nanoseconds: 0)
        var tag = 0
        var completed = 0, givenUp = 0
        for round in 0..<1500 {
            // A few datagrams at once, their fragments interleaved or one after another.
            var sets = (0..<(1 + rng.below(3))).map { _ in Self.fragments(&rng) }.filter { !$0.isEmpty }
            var arrivals: [Fragment] = []
            if rng.chance(50) {
                arrivals = sets.flatMap { $0 }
            } else {
                while !sets.isEmpty {
                    let index = rng.below(sets.count)
                    arrivals.append(sets[index].removeFirst())
                    if sets[index].isEmpty { sets.remove(at: index) }
                }
            }
            for (step, fragment) in arrivals.enumerated() {
                switch rng.below(100) {
                case 0..<20: break  // at the same time
                case 20..<23: time = time.adding(nanoseconds: -Int64(rng.below(1_000_000_000)))  // the clock stepped back
                case 23..<26: time = time.adding(nanoseconds: Int64(bounds.timeoutSeconds * 1e9) + Int64(rng.below(3)) - 1)
                default: time = time.adding(nanoseconds: Int64(rng.below(300_000_000)))
                }
                tag += 1
                var actual = StepResult(outcome: nil, givenUp: [], pendingCount: 0, gaveUpForRoom: 0)
                var expected = actual
                // As the pipeline does: the timeout first, then the fragment; now and then a tick alone.
                if !reassembler.isEmpty {
                    reassembler.expire(now: time) { actual.givenUp.append(GivenUp($0)) }
                }
                reference.expire(now: time) { expected.givenUp.append(GivenUp($0)) }
                if rng.chance(5) {
                    time = time.adding(nanoseconds: Int64(rng.below(100_000_000)))
                    reassembler.expire(now: time) { actual.givenUp.append(GivenUp($0)) }
                    reference.expire(now: time) { expected.givenUp.append(GivenUp($0)) }
                }
                actual.outcome = fragment.bytes.withUnsafeBytes { payload in
                    switch reassembler.add(fragment.header, payload: payload, cut: fragment.cut, time: time, tag: tag,
                                           givenUp: { actual.givenUp.append(GivenUp($0)) }) {
                    case .pending: return .pending
                    case let .complete(payload, cut, tags): return .complete(payload: Array(payload), cut: cut, tags: tags)
                    }
                }
                expected.outcome = reference.add(fragment, time: time, tag: tag) { expected.givenUp.append(GivenUp($0)) }
                actual.pendingCount = reassembler.pendingCount
                actual.gaveUpForRoom = reassembler.gaveUpForRoom
                expected.pendingCount = reference.datagrams.count
                expected.gaveUpForRoom = reference.gaveUpForRoom
                try #require(actual == expected, """
                    round \(round), fragment \(step) (tag \(tag)): \(Self.describe(fragment.key)) offset \(fragment.offset), \
                    \(fragment.bytes.count) of \(fragment.declared) bytes\(fragment.last ? ", last" : "")
                    """)
                #expect(reassembler.isEmpty == reference.datagrams.isEmpty)
                if case .complete = expected.outcome { completed += 1 }
                givenUp += expected.givenUp.count
            }
            if rng.oneIn(50) {
                var actual: [GivenUp] = [], expected: [GivenUp] = []
                reassembler.drain { actual.append(GivenUp($0)) }
                reference.drain { expected.append(GivenUp($0)) }
                try #require(actual == expected, "drained after round \(round)")
                givenUp += expected.count
            }
        }
        var actual: [GivenUp] = [], expected: [GivenUp] = []
        reassembler.drain { actual.append(GivenUp($0)) }
        reference.drain { expected.append(GivenUp($0)) }
        #expect(actual == expected)
        #expect(reassembler.isEmpty)
        // The random sets reach both ends: datagrams made whole and datagrams given up.
        #expect(completed > 300 && givenUp > 300, "\(completed) completed, \(givenUp) given up")
    }
}
