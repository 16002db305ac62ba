import WireBytes

/// One FULL entry, borrowed from the payload.
public struct PeerView {
    /// The device's address.
    public let ip: IPv4Address
    /// The name's bytes as sent (not checked as UTF-8 here: see the frame's warnings).
    public let name: UnsafeRawBufferPointer
}

/// The entries of a FULL, walked in place without copying.
public struct PeerSequence: Sequence {
    let payload: UnsafeRawBufferPointer
    /// The number of entries (the FULL's count byte).
    public let count: Int

    /// Walks the entries from the first, in wire order.
    public struct Iterator: IteratorProtocol {
        let payload: UnsafeRawBufferPointer
        var offset = 2
        var left: Int

        /// The next entry, or nil after the last.
        public mutating func next() -> PeerView? {
            guard left > 0 else { return nil }
            left -= 1
            let ip = IPv4Address(payload.loadBigEndianUInt32(at: offset))
            let length = Int(payload[offset + 4])
            let name = UnsafeRawBufferPointer(rebasing: payload[offset + 5..<offset + 5 + length])
            offset += 5 + length
            return PeerView(ip: ip, name: name)
        }
    }

    /// An iterator from the first entry.
    public func makeIterator() -> Iterator { Iterator(payload: payload, left: count) }

    init(payload: UnsafeRawBufferPointer, count: Int) {
        self.payload = payload
        self.count = count
    }
}

/// A decoded frame that borrows the payload's bytes (gopacket's way): valid only
/// while those bytes are. `owned()` copies it out into a `Frame`.
public struct FrameView {
    /// The frame's type (its first byte).
    public let type: FrameType
    /// The whole UDP payload the frame was decoded from.
    public let payload: UnsafeRawBufferPointer
    /// What is wrong with the frame though it decodes; empty for a clean frame.
    public var warnings: FrameWarnings
    /// The parsed object of a LEGACY frame.
    public let legacy: JSONValue?

    /// HELLO: the name's bytes.
    public var helloName: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: payload[2..<2 + Int(payload[1])])
    }

    /// OFFLINE: the address declared offline.
    public var offlineIP: IPv4Address { IPv4Address(payload.loadBigEndianUInt32(at: 1)) }

    /// FULL: the entries, in wire order.
    public var peers: PeerSequence { PeerSequence(payload: payload, count: type == .full ? Int(payload[1]) : 0) }

    /// LEGACY: the `name` member, if it is a string.
    public var legacyName: String? { legacy?["name"]?.stringValue }

    /// A copy that owns its data.
    public func owned() -> Frame {
        switch type {
        case .hello: return .hello(name: Name(bytes: Array(helloName)))
        case .full: return .full(peers: peers.map { Peer(ip: $0.ip, name: Name(bytes: Array($0.name))) })
        case .ping: return .ping
        case .pong: return .pong
        case .offline: return .offline(ip: offlineIP)
        case .legacy: return .legacy(legacy ?? .null)
        }
    }
}

/// What `decodeFrame` makes of a payload: a frame (perhaps with warnings), or why not.
public enum DecodeResult {
    /// The payload is a frame; it borrows the payload's bytes.
    case frame(FrameView)
    /// The payload is not a frame: the reason, where, and a sentence.
    case malformed(Malformation)
}

/// Decodes one UDP payload strictly. `sender` (the IPv4 source) lets the decoder
/// check that a FULL lists its sender first, as the firmware does.
///
/// Every bound is checked before a byte is read; on the first problem the result is
/// a `Malformation` naming the reason and the offset of the element that could not
/// be read. A frame that decodes may still carry warnings.
public func decodeFrame(_ payload: UnsafeRawBufferPointer, sender: IPv4Address? = nil) -> DecodeResult {
    decodeFrame(payload, sender: sender, memory: nil)
}

/// `decodeFrame`, with what a `FrameDecoder` remembers of the last FULL it accepted:
/// a name the new FULL shares with it, byte for byte at the same place from the
/// start or from the end, keeps the verdict it had (see `FullMemory`).
func decodeFrame(_ payload: UnsafeRawBufferPointer, sender: IPv4Address?, memory: FullMemory?) -> DecodeResult {
    let length = payload.count
    func malformed(_ reason: MalformationReason, _ offset: Int, _ detail: @autoclosure () -> String) -> DecodeResult {
        .malformed(Malformation(reason: reason, offset: offset, length: length, detail: detail()))
    }
    func trailing(after end: Int, _ what: String) -> DecodeResult {
        malformed(.trailingBytes, end, "\(length - end) byte\(length - end == 1 ? "" : "s") after the end of a complete \(what) at offset \(end)")
    }

    guard length > 0 else { return malformed(.empty, 0, "the payload is empty") }
    var warnings: FrameWarnings = length > FirmwareLimits.receiveBuffer ? .exceedsReceiveBuffer : []
    let typeByte = payload[0]
    guard let type = FrameType(rawValue: typeByte) else {
        return malformed(.unknownType, 0, "type byte 0x\(hex(typeByte)) is not HELLO, FULL, PING, PONG, OFFLINE (1 to 5) or JSON '{'")
    }

    switch type {
    case .ping, .pong:
        if length > 1 { return trailing(after: 1, type.name) }
        return .frame(FrameView(type: type, payload: payload, warnings: warnings, legacy: nil))

    case .offline:
        guard length >= 5 else {
            return malformed(.truncatedHeader, 0, "OFFLINE needs 5 bytes (type and an IPv4 address), the payload has \(length)")
        }
        if length > 5 { return trailing(after: 5, "OFFLINE") }
        return .frame(FrameView(type: type, payload: payload, warnings: warnings, legacy: nil))

    case .hello:
        guard length >= 2 else {
            return malformed(.truncatedHeader, 0, "HELLO needs 2 bytes (type and name length), the payload has \(length)")
        }
        let nameLength = Int(payload[1])
        guard length - 2 >= nameLength else {
            return malformed(.truncatedName, 2, "name of \(nameLength) bytes at offset 2, only \(length - 2) left")
        }
        if length > 2 + nameLength { return trailing(after: 2 + nameLength, "HELLO") }
        warnings.formUnion(nameWarnings(UnsafeRawBufferPointer(rebasing: payload[2..<2 + nameLength])))
        return .frame(FrameView(type: type, payload: payload, warnings: warnings, legacy: nil))

    case .full:
        guard length >= 2 else {
            return malformed(.truncatedHeader, 0, "FULL needs 2 bytes (type and entry count), the payload has \(length)")
        }
        let count = Int(payload[1])
        if count > FirmwareLimits.maxPeers { warnings.insert(.tooManyPeers) }
        // One pass: bounds, names, and the order the firmware keeps (the sender
        // first, then ascending addresses, each once). Entries the FULL shares with
        // the last one a `FrameDecoder` accepted are taken as they were (`FullMemory`).
        var walk = FullWalk()
        var shared = memory?.sharedRegions(with: payload) ?? .none
        if let memory { memory.takeSharedStart(count: count, &shared, &walk) }
        while walk.index < count {
            if let memory, memory.takeSharedEnd(count: count, &shared, &walk) { break }
            let index = walk.index, offset = walk.offset
            let left = length - offset
            guard left >= 5 else {
                return malformed(.truncatedPeer, offset, "peer \(index + 1) of \(count) needs 5 bytes at offset \(offset), \(left) left")
            }
            let nameLength = Int(payload[offset + 4])
            guard left >= 5 + nameLength else {
                return malformed(.truncatedPeer, offset, "peer \(index + 1) of \(count) needs \(5 + nameLength) bytes at offset \(offset) (a \(nameLength)-byte name), \(left) left")
            }
            let ip = payload.loadBigEndianUInt32(at: offset)
            walk.order(ip)
            let entryWarnings: FrameWarnings
            if let known = memory?.knownWarnings(entry: index, at: offset, end: offset + 5 + nameLength, &shared) {
                entryWarnings = known
            } else {
                entryWarnings = nameWarnings(UnsafeRawBufferPointer(rebasing: payload[offset + 5..<offset + 5 + nameLength]))
            }
            memory?.note(entry: index, at: offset, ip: ip, warnings: entryWarnings)
            walk.names.formUnion(entryWarnings)
            walk.offset += 5 + nameLength
            walk.index += 1
        }
        let offset = walk.offset, first = walk.first
        let ascending = walk.ascending
        var repeatedIP = walk.repeatedIP
        warnings.formUnion(walk.names)
        if offset < length { return trailing(after: offset, "FULL") }
        if let sender, count == 0 || first != sender.value { warnings.insert(.fullSenderNotFirst) }
        if count > 1 {
            if !ascending {
                warnings.insert(.fullNotSorted)
                // Out of order, a repeat may be anywhere.
                if !repeatedIP { repeatedIP = hasRepeatedAddress(PeerSequence(payload: payload, count: count)) }
            }
            if repeatedIP { warnings.insert(.fullDuplicateIP) }
        }
        memory?.accept(payload, entries: count, sender: sender, warnings: warnings)
        return .frame(FrameView(type: type, payload: payload, warnings: warnings, legacy: nil))

    case .legacy:
        var parser = JSONParser(payload)
        let value: JSONValue
        do {
            value = try parser.parseValue(depth: 0)
        } catch {
            return malformed(.badJSON, error.offset, "not a JSON object: \(error.message) at offset \(error.offset)")
        }
        parser.skipWhitespace()
        if parser.i < length { return trailing(after: parser.i, "JSON object") }
        return .frame(FrameView(type: type, payload: payload, warnings: warnings, legacy: value))
    }
}

/// Where a walk over a FULL's entries stands: the next entry and its offset, and
/// what the entries so far say of the order and the names.
struct FullWalk {
    var index = 0
    var offset = 2
    var first: UInt32 = 0
    var previous: UInt32 = 0
    var ascending = true
    var repeatedIP = false
    var names: FrameWarnings = []

    /// The next entry's address, against the firmware's order.
    @inline(__always)
    mutating func order(_ ip: UInt32) {
        if index == 0 {
            first = ip
        } else {
            if ip == first { repeatedIP = true }
            if index >= 2 {
                if ip < previous { ascending = false } else if ip == previous { repeatedIP = true }
            }
        }
        previous = ip
    }
}

/// Whether an address is listed twice, in entries in any order. Checked in place:
/// the addresses go to a stack buffer, not the heap.
func hasRepeatedAddress(_ peers: PeerSequence) -> Bool {
    let count = peers.count
    guard count > 1 else { return false }
    return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: count) { ips in
        var i = 0
        for peer in peers { ips[i] = peer.ip.value; i += 1 }
        for a in 0..<count {
            for b in (a + 1)..<count where ips[a] == ips[b] { return true }
        }
        return false
    }
}

private func hex(_ byte: UInt8) -> String {
    String(decoding: [hexDigit(byte >> 4), hexDigit(byte & 0x0F)], as: UTF8.self)
}
