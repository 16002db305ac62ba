import Testing
@testable import Output
import DiscoveryCodec
import WireBytes
import TestSupport

// `--json` writes a FULL's `peers` array from the last one's where the two FULLs share
// their bytes (the decoder's reading of the shared start and end), escaping only the
// entries in between. This holds that array to the plain one (`peersArray`: every entry
// escaped afresh) on seeded random FULLs: entries added, dropped and renamed, names
// that need escaping or are not UTF-8, repeats of the same bytes, FULLs the writer
// never sees (a display filter held them back), and FULLs out of order.

private func randomFulls(seed: UInt64, count: Int) -> [(sender: IPv4Address, bytes: [UInt8], shown: Bool)] {
    var random = SplitMix64(seed: seed)
    let names: [[UInt8]] = [
        Array("board".utf8), Array("Ω board \"quoted\"".utf8), Array("tab\there".utf8), [0xC3, 0x28, 0x41],
        Array("back\\slash".utf8), [], Array("ピンボール魔王 - Basement".utf8), Array(String(repeating: "x", count: 31).utf8),
    ]
    var listed = (1...20).map { _ in random.chance(50) }
    var nameOf = (1...20).map { _ in names[random.below(names.count)] }
    var fulls: [(IPv4Address, [UInt8], Bool)] = []
    var last: [UInt8]? = nil
    for _ in 0..<count {
        let sender = IPv4Address(10 << 24 | UInt32(1 + (random.chance(90) ? 0 : random.below(20))))
        if random.chance(25), let last {
            fulls.append((sender, last, !random.chance(10))); continue
        }
        for _ in 0..<(1 + random.below(3)) {
            let k = random.below(20)
            switch random.below(3) {
            case 0: listed[k].toggle()
            default: nameOf[k] = names[random.below(names.count)]
            }
        }
        var peers = (0..<20).filter { listed[$0] }.map { Peer(ip: IPv4Address(10 << 24 | UInt32($0 + 1)), name: Name(bytes: nameOf[$0])) }
        if random.chance(5), peers.count > 2 { peers.swapAt(0, peers.count - 1) }
        let bytes = Frame.full(peers: peers).encoded()
        last = bytes
        fulls.append((sender, bytes, !random.chance(10)))
    }
    return fulls
}

@Suite("The peers array kept from FULL to FULL")
struct PeersJSONTests {
    @Test("an array made from the last one's shared entries is the array written afresh", arguments: [1, 2, 3, 4] as [UInt64])
    func sameAsWrittenAfresh(seed: UInt64) throws {
        let decoder = FrameDecoder()
        let kept = PeersJSON()
        var checked = 0
        for (sender, bytes, shown) in randomFulls(seed: seed, count: 2_000) {
            try bytes.withUnsafeBytes { raw in
                guard case let .frame(view) = decoder.decode(raw, sender: sender) else {
                    Issue.record("a FULL the test made does not decode"); return
                }
                guard shown else { return }
                var fast = RawBytes(capacity: 64), plain = RawBytes(capacity: 64)
                defer { fast.deallocate(); plain.deallocate() }
                kept.write(view, to: &fast)
                JSONLinesWriter.peersArray(view, to: &plain)
                let a = fast.withUnsafeBytes { Array($0) }, b = plain.withUnsafeBytes { Array($0) }
                try #require(a == b, "FULL \(checked): \(String(decoding: a, as: UTF8.self)) vs \(String(decoding: b, as: UTF8.self))")
                checked += 1
            }
        }
        #expect(checked > 1_500)
        #expect(kept.madeFromShared > 500, "most changed FULLs were made from the shared entries: \(kept.madeFromShared)")
    }
}
