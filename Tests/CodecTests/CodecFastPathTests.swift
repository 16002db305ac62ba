import Testing
@testable import DiscoveryCodec
import WireBytes
import TestSupport

// The codec's fast paths (eight bytes at a time for names, one pass over a FULL,
// the decoder's memory of the last FULL) checked against independent readings:
// the standard library's UTF-8 validator, a plain re-statement of the order rules,
// and the memoryless decoder.

/// Pieces names are made of: ASCII runs, whole characters, and broken ones.
private let pieces: [[UInt8]] = [
    Array("a".utf8), Array("Medieval".utf8), Array(" - Arcade Bar #".utf8), Array("0123456".utf8),
    Array("é".utf8), Array("Ω".utf8), Array("–".utf8), Array("ピ".utf8), Array("🎱".utf8),
    [0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF], [0xE2, 0x82], [0xF0, 0x9F, 0x98],
    [0x00], [0x7F], [0x1B],
    // The edges of the in-line two- and three-byte checks.
    [0xE0, 0x80, 0xAF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xC2, 0x80], [0xC1, 0xBF], [0xDF, 0xBF], [0xEF, 0xBF, 0xBF],
]

@Suite("Codec fast paths against independent readings")
struct CodecFastPathTests {
    @Test("the UTF-8 check agrees with the standard library on 20,000 seeded names of every length")
    func utf8AgreesWithStandardLibrary() {
        var random = SplitMix64(seed: 37020)
        var checked = 0, valid = 0, cut = 0
        for _ in 0..<20_000 {
            var name: [UInt8] = []
            // Mostly clean names, some with one broken piece, at lengths across the
            // eight-byte steps.
            let parts = 1 + random.below(8)
            for _ in 0..<parts {
                let pick = random.below(10) < 8 ? random.below(9) : random.below(pieces.count)
                name += pieces[pick]
            }
            if random.below(4) == 0 { name = Array(name.prefix(random.below(name.count + 1))) }
            let verdict = name.withUnsafeBytes { checkUTF8($0) }
            let standard = String(validating: name, as: UTF8.self) != nil
            #expect((verdict == .valid) == standard, "\(name)")
            if verdict == .cutMidCharacter {
                // The firmware's cut: a prefix that becomes valid when completed, i.e.
                // every byte up to the last lead byte is valid UTF-8.
                let lead = name.lastIndex { $0 >= 0xC0 }!
                #expect(String(validating: name[..<lead], as: UTF8.self) != nil, "\(name)")
                cut += 1
            }
            checked += 1
            if standard { valid += 1 }
        }
        #expect(checked == 20_000)
        #expect(valid > 5_000 && valid < 19_000, "both kinds were tried: \(valid) valid")
        #expect(cut > 50, "cut names were tried: \(cut)")
    }

    /// The order rules as CONTRACT.md states them, written plainly.
    private func expectedOrderWarnings(_ ips: [UInt32], sender: UInt32) -> Set<String> {
        var w: Set<String> = []
        if ips.first != sender { w.insert("full-sender-not-first") }
        if ips.count > 1 {
            let rest = Array(ips.dropFirst())
            if rest != rest.sorted() { w.insert("full-not-sorted") }
            if Set(ips).count != ips.count { w.insert("full-duplicate-ip") }
        }
        return w
    }

    @Test("one pass over a FULL gives the order warnings the rules give, on 5,000 seeded lists")
    func orderWarningsAgreeWithTheRules() throws {
        var random = SplitMix64(seed: 51)
        let orderCodes: Set<String> = ["full-sender-not-first", "full-not-sorted", "full-duplicate-ip"]
        var seen: Set<String> = []
        for _ in 0..<5_000 {
            let count = random.below(7)
            let ips = (0..<count).map { _ in UInt32(0x0A00_0000 + random.below(6)) }
            let sender = UInt32(0x0A00_0000 + random.below(6))
            let bytes = Frame.full(peers: ips.map { Peer(ip: IPv4Address($0), name: Name("n")) }).encoded()
            guard case let .frame(view) = bytes.withUnsafeBytes({ decodeFrame($0, sender: IPv4Address(sender)) }) else {
                Issue.record("\(ips) did not decode"); continue
            }
            let got = Set(FrameWarnings.all.filter { view.warnings.contains($0.warning) }.map(\.code.description)).intersection(orderCodes)
            let expected = expectedOrderWarnings(ips, sender: sender)
            #expect(got == expected, "\(ips.map { $0 & 0xFF }) from .\(sender & 0xFF)")
            seen.formUnion(got)
        }
        #expect(seen == orderCodes, "every order warning was met")
    }

    @Test("the decoder's memory: a repeated FULL decodes as the first did, and only for the same sender and bytes")
    func repeatedFullMatchesMemorylessDecoding() throws {
        let decoder = FrameDecoder()
        let a = IPv4Address(0x0A00_0001), b = IPv4Address(0x0A00_0002)
        let full = Frame.full(peers: [Peer(ip: a, name: Name("A")), Peer(ip: b, name: Name("B"))]).encoded()
        var other = full
        other[other.count - 1] = 0xFF  // B's name no longer UTF-8
        // Interleaved with other frames, from both senders, the memory never answers wrongly.
        let inputs: [([UInt8], IPv4Address)] = [(full, a), (full, a), (full, b), (full, a), (other, a), (other, a), (full, a), (Frame.ping.encoded(), a), (full, a)]
        for (k, (bytes, sender)) in inputs.enumerated() {
            let fresh = bytes.withUnsafeBytes { decodeFrame($0, sender: sender) }
            let remembered = bytes.withUnsafeBytes { decoder.decode($0, sender: sender) }
            switch (fresh, remembered) {
            case let (.frame(x), .frame(y)):
                #expect(x.type == y.type && x.warnings == y.warnings, "input \(k)")
                #expect(Array(x.payload) == Array(y.payload), "input \(k)")
            default:
                Issue.record("input \(k): \(fresh) vs \(remembered)")
            }
        }
        // B sending A's list: the memory must not hide full-sender-not-first.
        guard case let .frame(view) = full.withUnsafeBytes({ decoder.decode($0, sender: b) }) else { Issue.record("no frame"); return }
        #expect(view.warnings.contains(.fullSenderNotFirst))
    }

    @Test("the decoder's short frames in line (PING, PONG, OFFLINE): every payload of 1 to 6 bytes decodes as decodeFrame decodes it")
    func shortFramesMatchDecodeFrame() {
        let decoder = FrameDecoder()
        var state: UInt64 = 0x5EED
        func byte() -> UInt8 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        // Every type byte at every length from 1 to 6, the rest seeded.
        for length in 1...6 {
            for first in 0...255 {
                let bytes = [UInt8(first)] + (1..<length).map { _ in byte() }
                let fresh = bytes.withUnsafeBytes { decodeFrame($0, sender: IPv4Address(0x0A00_0001)) }
                let decoded = bytes.withUnsafeBytes { decoder.decode($0, sender: IPv4Address(0x0A00_0001)) }
                switch (fresh, decoded) {
                case let (.frame(x), .frame(y)):
                    #expect(x.type == y.type && x.warnings == y.warnings && x.payload.count == y.payload.count, "\(bytes)")
                    #expect(x.legacy == y.legacy && x.lineage.serial == y.lineage.serial, "\(bytes)")
                case let (.malformed(x), .malformed(y)):
                    #expect(x == y, "\(bytes)")
                default:
                    Issue.record("\(bytes): \(fresh) vs \(decoded)")
                }
            }
        }
        // Between two of a registry's FULLs, short frames leave the decoder's memory of
        // the first as it was: the second is still known as its repeat.
        let a = IPv4Address(0x0A00_0001)
        let full = Frame.full(peers: [Peer(ip: a, name: Name("A")), Peer(ip: IPv4Address(0x0A00_0002), name: Name("B"))]).encoded()
        guard case let .frame(first) = full.withUnsafeBytes({ decoder.decode($0, sender: a) }) else { Issue.record("no FULL"); return }
        for short in [Frame.ping.encoded(), Frame.pong.encoded(), Frame.offline(ip: IPv4Address(0x0A00_0002)).encoded()] {
            _ = short.withUnsafeBytes { decoder.decode($0, sender: IPv4Address(0x0A00_0003)) }
        }
        guard case let .frame(again) = full.withUnsafeBytes({ decoder.decode($0, sender: a) }) else { Issue.record("no FULL"); return }
        #expect(first.lineage.serial != 0 && again.lineage.serial == first.lineage.serial, "the repeat was not recognised")
    }
}

@Suite("The decoder's memory of the last FULL against memoryless decoding")
struct FrameDecoderMemoryTests {
    @Test("10,000 seeded FULLs, each a small edit of one before, from two senders: the same frames and warnings")
    func sameAsMemoryless() {
        var random = SplitMix64(seed: 2718)
        let names: [[UInt8]] = [Array("Medieval Madness".utf8), Array("Pokémon Pinball - Arcade Bar".utf8), Array("ピンボール魔王".utf8),
                                Array("a".utf8), [], [0x41, 0xFF, 0x42], Array("James Bond 007 @ Flipperhalle K".utf8) + [0xC3],
                                Array("Twilight Zone".utf8), [0xE2, 0x82], Array(repeating: 0x61, count: 40)]
        var entries: [(ip: UInt32, name: [UInt8])] = (0..<20).map { (0x0A00_0000 + UInt32($0 * 3), names[$0 % names.count]) }
        let decoder = FrameDecoder()
        var seen = FrameWarnings()
        var remembered = 0
        for step in 0..<10_000 {
            // One edit: add, drop, rename, change an address, or nothing.
            switch random.below(6) {
            case 0: entries.insert((0x0A00_0000 + UInt32(random.below(100)), names[random.below(names.count)]), at: random.below(entries.count + 1))
            case 1: if entries.count > 1 { entries.remove(at: random.below(entries.count)) }
            case 2: entries[random.below(entries.count)].name = names[random.below(names.count)]
            case 3: entries[random.below(entries.count)].ip = 0x0A00_0000 + UInt32(random.below(100))
            default: break
            }
            if entries.count > 60 { entries.removeLast(10) }
            var bytes: [UInt8] = [0x02, UInt8(entries.count)]
            for entry in entries {
                bytes += withUnsafeBytes(of: entry.ip.bigEndian, Array.init) + [UInt8(entry.name.count)] + entry.name
            }
            // Now and then a broken FULL (cut short) in between: it must not be remembered.
            if step % 97 == 0 { bytes.removeLast(3) }
            let sender = IPv4Address(random.below(4) == 0 ? 0x0A00_0063 : entries[0].ip)
            let fresh = bytes.withUnsafeBytes { decodeFrame($0, sender: sender) }
            let memory = bytes.withUnsafeBytes { decoder.decode($0, sender: sender) }
            switch (fresh, memory) {
            case let (.frame(x), .frame(y)):
                #expect(x.type == y.type && x.warnings == y.warnings, "step \(step)")
                seen.formUnion(x.warnings)
                remembered += 1
            case let (.malformed(x), .malformed(y)):
                #expect(x.reason == y.reason && x.offset == y.offset, "step \(step)")
            default:
                Issue.record("step \(step): \(fresh) vs \(memory)")
            }
        }
        #expect(seen.isSuperset(of: [.nameNotUTF8, .nameCutMidCharacter, .fullSenderNotFirst, .fullNotSorted, .fullDuplicateIP]), "\(seen)")
        #expect(remembered > 9_000)
    }

    @Test("bytes shared at the end, but not entry for entry, are checked again")
    func sharedEndThatIsNotAnEntry() {
        // The old FULL's first name ends with the bytes of the new FULL's second entry
        // (10.0.0.5, a name that is not UTF-8): the common end covers that entry, but
        // no old entry started there, so its name must be checked, not given the
        // verdict of the old entry after it.
        let x: [UInt8] = [10, 0, 0, 5, 2, 0xFF, 0x41]
        let z: [UInt8] = [10, 0, 0, 9, 1, 0x7A]
        let old: [UInt8] = [0x02, 2, 10, 0, 0, 1, 9, 0x61, 0x61] + x + z
        let new: [UInt8] = [0x02, 3, 10, 0, 0, 1, 1, 0x62] + x + z
        let decoder = FrameDecoder()
        let sender = IPv4Address(0x0A00_0001)
        _ = old.withUnsafeBytes { decoder.decode($0, sender: sender) }
        guard case let .frame(view) = new.withUnsafeBytes({ decoder.decode($0, sender: sender) }) else {
            Issue.record("the new FULL did not decode"); return
        }
        #expect(view.warnings.contains(.nameNotUTF8))
    }

    @Test("10,000 seeded FULLs in the firmware's order, each a small edit of one before: the same frames and warnings", arguments: [1, 2, 3] as [UInt64])
    func sameAsMemorylessInOrder(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let names: [[UInt8]] = [Array("Medieval Madness".utf8), Array("Pokémon Pinball - Arcade Bar".utf8), Array("ピンボール魔王".utf8),
                                Array("a".utf8), [], [0x41, 0xFF, 0x42], Array("James Bond 007 @ Flipperhalle K".utf8) + [0xC3],
                                Array("Twilight Zone".utf8), [0xE2, 0x82], Array(repeating: 0x61, count: 40)]
        var sender: (ip: UInt32, name: [UInt8]) = (0x0A00_0001, names[0])
        var others: [(ip: UInt32, name: [UInt8])] = (1...30).map { (0x0A00_0000 + UInt32($0 * 3), names[$0 % names.count]) }
        let decoder = FrameDecoder()
        var seen = FrameWarnings()
        for step in 0..<10_000 {
            switch random.below(8) {
            case 0:
                let ip = 0x0A00_0000 + UInt32(2 + random.below(150))
                if !others.contains(where: { $0.ip == ip }) { others.append((ip, names[random.below(names.count)])) }
            case 1: if others.count > 1 { others.remove(at: random.below(others.count)) }
            case 2: others[random.below(others.count)].name = names[random.below(names.count)]
            case 3: sender.name = names[random.below(names.count)]
            case 4: if random.below(20) == 0 { sender.ip = 0x0A00_0000 + UInt32(random.below(150)) }
            default: break
            }
            others.sort { $0.ip < $1.ip }
            var list = [sender] + others
            // Now and then out of order, or an address twice.
            if random.below(25) == 0, list.count > 3 { list.swapAt(1 + random.below(list.count - 2), list.count - 1) }
            if random.below(25) == 0 { list.insert(list[random.below(list.count)], at: random.below(list.count + 1)) }
            var bytes: [UInt8] = [0x02, UInt8(list.count)]
            for entry in list {
                bytes += withUnsafeBytes(of: entry.ip.bigEndian, Array.init) + [UInt8(entry.name.count)] + entry.name
            }
            if step % 101 == 0 { bytes.removeLast(2) }
            let from = IPv4Address(random.below(10) == 0 ? 0x0A00_00FE : sender.ip)
            let fresh = bytes.withUnsafeBytes { decodeFrame($0, sender: from) }
            let memory = bytes.withUnsafeBytes { decoder.decode($0, sender: from) }
            switch (fresh, memory) {
            case let (.frame(x), .frame(y)):
                #expect(x.type == y.type && x.warnings == y.warnings, "step \(step): \(x.warnings) vs \(y.warnings)")
                seen.formUnion(x.warnings)
            case let (.malformed(x), .malformed(y)):
                #expect(x.reason == y.reason && x.offset == y.offset, "step \(step)")
            default:
                Issue.record("step \(step): \(fresh) vs \(memory)")
            }
        }
        #expect(seen.isSuperset(of: [.nameNotUTF8, .nameCutMidCharacter, .fullSenderNotFirst, .fullNotSorted, .fullDuplicateIP]), "\(seen)")
        #expect(decoder.memory.tookStarts > 3_000 && decoder.memory.tookEnds > 2_000,
                "shared starts and ends were taken: \(decoder.memory.tookStarts), \(decoder.memory.tookEnds)")
    }

    @Test("a FULL whose count says one entry more than the shared end leaves is still cut short")
    func countThatDisagreesWithTheSharedEnd() {
        // Addresses that differ in their first byte, so that the shared end holds D whole.
        func entry(_ first: UInt8, _ name: String) -> [UInt8] { [first, 0, 0, 1, UInt8(name.utf8.count)] + Array(name.utf8) }
        let old: [UInt8] = [0x02, 4] + entry(10, "A") + entry(11, "B") + entry(12, "C") + entry(13, "D")
        let new: [UInt8] = [0x02, 4] + entry(10, "A") + entry(11, "B") + entry(13, "D")  // C dropped, the count not
        let decoder = FrameDecoder()
        let sender = IPv4Address(0x0A00_0001)
        guard case .frame = old.withUnsafeBytes({ decoder.decode($0, sender: sender) }) else { Issue.record("old FULL"); return }
        let result = new.withUnsafeBytes { decoder.decode($0, sender: sender) }
        guard case let .malformed(m) = result else { Issue.record("accepted: \(result)"); return }
        #expect(m.reason == .truncatedPeer && m.offset == new.count)
    }
}
