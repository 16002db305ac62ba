import WireBytes

/// One FULL entry, borrowed from the payload.
public struct PeerView {
    /// The device's address.
    public let ip: IPv4Address
    /// The name's bytes as sent (not checked as UTF-8 here: see the frame's warnings).
    public let name: UnsafeRawBufferPointer
}

/// The entries of a FULL, walked in place without copying. Every read is checked:
/// the walk ends early at bytes that are not there (never in a FULL the decoder
/// accepted, which it walked whole).
public struct PeerSequence: Sequence {
    let payload: UnsafeRawBufferPointer
    /// The number of entries (the FULL's count byte).
    public let count: Int

    /// Walks the entries from the first, in wire order.
    public struct Iterator: IteratorProtocol {
        /// At the next entry: its address, its name's length, its name.
        var reader: ByteReader
        var left: Int

        /// The next entry, or nil after the last.
        public mutating func next() -> PeerView? {
            guard left > 0 else { return nil }
            left -= 1
            guard let (ip, length) = reader.readMultipleIntegers(as: (UInt32, UInt8).self),
                  let name = reader.readBytes(Int(length)) else {
                left = 0
                return nil
            }
            return PeerView(ip: IPv4Address(ip), name: name)
        }
    }

    /// An iterator from the first entry.
    public func makeIterator() -> Iterator {
        // The entries begin after the type and count bytes.
        guard let reader = ByteReader(payload, at: 2) else { return Iterator(reader: ByteReader(payload), left: 0) }
        return Iterator(reader: reader, left: count)
    }

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
    /// FULL: how the `FrameDecoder` that made this view compared it with the last FULL
    /// it had accepted (for the analyzer, which would compare the same bytes again).
    @usableFromInline package var lineage = FullLineage()

    @usableFromInline
    init(type: FrameType, payload: UnsafeRawBufferPointer, warnings: FrameWarnings, legacy: JSONValue?) {
        self.type = type
        self.payload = payload
        self.warnings = warnings
        self.legacy = legacy
    }

    // The readings below are checked; where bytes are missing they give an empty
    // name, the address 0.0.0.0 or no entries, which a view the decoder made (the
    // only kind there is) never does: it checked these bytes before.

    /// HELLO: the name's bytes.
    public var helloName: UnsafeRawBufferPointer {
        let reader = ByteReader(payload)
        guard let length = reader.getInteger(at: 1, as: UInt8.self),
              let name = reader.getBytes(at: 2, count: Int(length)) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return name
    }

    /// OFFLINE: the address declared offline.
    public var offlineIP: IPv4Address { IPv4Address(ByteReader(payload).getInteger(at: 1, as: UInt32.self) ?? 0) }

    /// FULL: the entries, in wire order.
    public var peers: PeerSequence {
        let count = type == .full ? ByteReader(payload).getInteger(at: 1, as: UInt8.self) ?? 0 : 0
        return PeerSequence(payload: payload, count: Int(count))
    }

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

/// Where a FULL stands among the FULLs a `FrameDecoder` accepted: its serial number
/// (unique across decoders; 0: not remembered) and the one of the FULL it was compared
/// with (0: none), and where their bytes agree: from offset 2 up to `prefixEnd`, and
/// from `suffixStart` to the end (with the old FULL's end). For a repeat of the very
/// bytes remembered, the serial is the remembered one's.
@usableFromInline
package struct FullLineage: Sendable {
    @usableFromInline package var serial: UInt64 = 0
    @usableFromInline package var comparedWith: UInt64 = 0
    @usableFromInline package var prefixEnd: Int32 = 0
    @usableFromInline package var suffixStart: Int32 = 0

    package init() {}

    init(serial: UInt64, comparedWith: UInt64, prefixEnd: Int, suffixStart: Int) {
        self.serial = serial
        self.comparedWith = comparedWith
        self.prefixEnd = Int32(prefixEnd)
        self.suffixStart = Int32(suffixStart)
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
/// Every read goes through a `ByteReader`, checked; on the first byte that is not
/// there (or the first problem) the result is a `Malformation` naming the reason
/// and the offset of the element that could not be read. A frame that decodes may
/// still carry warnings.
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

    var reader = ByteReader(payload)
    guard let typeByte = reader.readInteger(as: UInt8.self) else { return malformed(.empty, 0, "the payload is empty") }
    var warnings: FrameWarnings = length > FirmwareLimits.receiveBuffer ? .exceedsReceiveBuffer : []
    guard let type = FrameType.of(typeByte) else {
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
        guard let nameByte = reader.readInteger(as: UInt8.self) else {
            return malformed(.truncatedHeader, 0, "HELLO needs 2 bytes (type and name length), the payload has \(length)")
        }
        let nameLength = Int(nameByte)
        guard let name = reader.readBytes(nameLength) else {
            return malformed(.truncatedName, 2, "name of \(nameLength) bytes at offset 2, only \(length - 2) left")
        }
        if reader.readableBytes > 0 { return trailing(after: 2 + nameLength, "HELLO") }
        warnings.formUnion(nameWarnings(name))
        return .frame(FrameView(type: type, payload: payload, warnings: warnings, legacy: nil))

    case .full:
        guard let countByte = reader.readInteger(as: UInt8.self) else {
            return malformed(.truncatedHeader, 0, "FULL needs 2 bytes (type and entry count), the payload has \(length)")
        }
        let count = Int(countByte)
        if count > FirmwareLimits.maxPeers { warnings.insert(.tooManyPeers) }
        // One pass: bounds, names, and the order the firmware keeps (the sender
        // first, then ascending addresses, each once). Entries the FULL shares with
        // the last one a `FrameDecoder` accepted are taken as they were (`FullMemory`).
        var walk = FullWalk()
        // (The memory is used through `?` and `!`, never bound: a binding holds a
        // reference, counted up and down for each FULL.)
        var shared = memory?.sharedRegions(with: payload) ?? .none
        memory?.takeSharedStart(count: count, &shared, &walk)
        while walk.index < count {
            if memory?.takeSharedEnd(count: count, &shared, &walk) == true { break }
            let index = walk.index, offset = walk.offset
            let left = length - offset
            // The walk may have taken entries whole: read on from where it stands.
            guard reader.moveReaderIndex(to: offset), let (ip, nameByte) = reader.readMultipleIntegers(as: (UInt32, UInt8).self) else {
                return malformed(.truncatedPeer, offset, "peer \(index + 1) of \(count) needs 5 bytes at offset \(offset), \(left) left")
            }
            let nameLength = Int(nameByte)
            guard let name = reader.readBytes(nameLength) else {
                return malformed(.truncatedPeer, offset, "peer \(index + 1) of \(count) needs \(5 + nameLength) bytes at offset \(offset) (a \(nameLength)-byte name), \(left) left")
            }
            walk.order(ip)
            let entryWarnings: FrameWarnings
            if let known = memory?.knownWarnings(entry: index, at: offset, end: offset + 5 + nameLength, &shared) {
                entryWarnings = known
            } else {
                entryWarnings = nameWarnings(name)
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
        var view = FrameView(type: type, payload: payload, warnings: warnings, legacy: nil)
        if memory != nil {
            let comparedWith = memory!.serial
            memory!.accept(payload, entries: count, sender: sender, warnings: warnings, names: walk.names)
            view.lineage = FullLineage(serial: memory!.serial, comparedWith: comparedWith,
                                       prefixEnd: shared.prefixEnd, suffixStart: min(shared.suffixStart, length))
        }
        return .frame(view)

    case .legacy:
        var parser = JSONParser(payload)
        let value: JSONValue
        do {
            value = try parser.parseValue(depth: 0)
        } catch {
            // The element is the whole JSON text (offset 0); where the parser stopped is in the sentence.
            return .malformed(Malformation(reason: .badJSON, offset: 0, length: length,
                                           detail: "not a JSON object: \(error.message) at offset \(error.offset)", faultOffset: error.offset))
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
        // The sequence gives at most `count` entries: the writes stay within `ips`.
        for peer in peers { ips[i] = peer.ip.value; i += 1 }
        for a in 0..<i {
            for b in (a + 1)..<i where ips[a] == ips[b] { return true }
        }
        return false
    }
}

private func hex(_ byte: UInt8) -> String {
    String(decoding: [hexDigit(byte >> 4), hexDigit(byte & 0x0F)], as: UTF8.self)
}
