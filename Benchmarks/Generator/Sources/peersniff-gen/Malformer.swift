/// Turns a good discovery datagram into one of the ways a payload can be wrong,
/// each named by the `reason` CONTRACT.md has peersniff give for it.
enum Malformer {
    static func spoil(_ d: inout Datagram, _ rng: inout SplitMix64) {
        let bytes = d.payload.bytes
        let fragmented = 20 + 8 + bytes.count > DatagramEmitter.mtu
        switch rng.below(fragmented ? 10 : 9) {
        case 0:
            // A FULL cut inside its entries (a sender's buffer overrun, a bad relay).
            if d.kind == .full, bytes.count > 8 {
                d.payload = Payload(Array(bytes[0..<rng.inRange(3...(bytes.count - 1))]))
            } else {
                // Count says 3, two entries follow.
                d.payload = Payload([0x02, 0x03, 10, 37, 0, 10, 2, 0x41, 0x42, 10, 37, 0, 11, 1, 0x43])
            }
            d.kind = .truncatedPeer
        case 1:
            var b = bytes
            for _ in 0..<rng.inRange(1...4) { b.append(UInt8(truncatingIfNeeded: rng.next())) }
            d.payload = Payload(b)
            d.kind = .trailingBytes
        case 2:
            var b = bytes.isEmpty ? [0] : bytes
            let type = rng.below(250)  // 0, 6...0x7A, 0x7C...0xFF
            b[0] = type == 0 ? 0 : UInt8(type < 118 ? type + 5 : type + 6)
            d.payload = Payload(b)
            d.kind = .unknownType
        case 3:
            let broken: [String] = [
                "{\"version\":\"1.4.0\",\"name\":\"Medieval Madn",
                "{\"discover\": tru}",
                "{name: \"Attack from Mars\"}",
                "{\"version\":\"1.4.0\",}",
                "{\"name\":\"Twilight Zone\"",
                "{\"a\":[1,2,}",
            ]
            d.payload = Payload(Array(rng.pick(broken).utf8))
            d.kind = .badJSON
        case 4:
            // A HELLO whose length byte runs past the payload.
            let name = Array("Monster Bash".utf8)
            d.payload = Payload([0x01, UInt8(name.count + rng.inRange(1...20))] + name)
            d.kind = .truncatedName
        case 5:
            let short: [[UInt8]] = [[0x05], [0x05, 10, 37], [0x05, 10, 37, 0], [0x01], [0x02]]
            d.payload = Payload(rng.pick(short))
            d.kind = .truncatedHeader
        case 6:
            d.payload = Payload([])
            d.kind = .empty
        case 7, 8:
            // Neither zero (no checksum) nor anything the offload pattern could explain.
            d.checksumError = UInt16(rng.inRange(1...0xFFFE))
            d.kind = .badUDPChecksum
        default:
            d.dropLastFragment = true
            d.kind = .incompleteFragments
        }
    }
}
