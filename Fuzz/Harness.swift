// The libFuzzer entry point for peersniff's codec and packet layers. Built by
// Fuzz/run.sh together with the sources of WireBytes, DiscoveryCodec and
// PacketLayers, all instrumented (-sanitize=fuzzer,address). A broken invariant
// is a crash, which libFuzzer saves and reports.
//
// One input is read three ways:
// 1. as a discovery payload (decodeFrame, with and without a sender);
// 2. as a captured frame under every link type, down through IPv4 or IPv6 and
//    UDP to the codec;
// 3. as a run of IPv4 packets, each a 2-byte big-endian length and the bytes,
//    fed to the fragment reassembler under tight bounds: every fragment handed back
//    exactly once, a completed datagram as long as its last fragment says;
// 4. through a FrameDecoder that remembers the last FULL across inputs, as is, with
//    one byte changed, and again: it must decode each as the memoryless decoder does;
// 5. as a script of reads for a ByteReader over the input itself, each checked
//    against a model of the cursor: a value exactly when its bytes are there.
// Every layer and the codec read through ByteReader, so readings 1 to 4 run it too.
import DiscoveryCodec
import PacketLayers
import WireBytes

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    checkDecode(input, sender: nil)
    checkDecode(input, sender: IPv4Address(0x0A25_0014))
    for link in [LinkType.ethernet, .linuxSLL, .linuxSLL2, .raw, .null, .loop] {
        switch networkLayer(of: input, link: link) {
        case let .ipv4(bytes):
            require(lies(bytes, in: input), "\(link): IPv4 outside the frame")
            checkIPv4(bytes)
        case let .ipv6(bytes):
            require(lies(bytes, in: input), "\(link): IPv6 outside the frame")
            checkIPv6(bytes)
        case .other:
            break
        }
    }
    checkReassembly(input)
    checkMemory(input, sender: IPv4Address(0x0A25_0014))
    checkReader(input)
    return 0
}

/// Shared by every input of the run, so that one input's FULL is the next one's memory.
nonisolated(unsafe) let memoryDecoder = FrameDecoder()

func checkMemory(_ payload: UnsafeRawBufferPointer, sender: IPv4Address) {
    agree(payload, sender)
    if payload.count > 2 {
        var changed = Array(payload)
        changed[changed.count / 2] &+= 1
        changed.withUnsafeBytes { agree($0, sender) }
    }
    agree(payload, sender)
}

func agree(_ payload: UnsafeRawBufferPointer, _ sender: IPv4Address) {
    switch (decodeFrame(payload, sender: sender), memoryDecoder.decode(payload, sender: sender)) {
    case let (.frame(a), .frame(b)):
        require(a.type == b.type && a.warnings == b.warnings, "memory: \(a.type.name) \(a.warnings.codes) against \(b.warnings.codes)")
    case let (.malformed(a), .malformed(b)):
        require(a.reason == b.reason && a.offset == b.offset, "memory: \(a.reason)@\(a.offset) against \(b.reason)@\(b.offset)")
    default:
        require(false, "memory: a frame one way, malformed the other")
    }
}

func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant broken: \(message())") }
}

/// Whether `inner` lies inside `outer` (an empty buffer lies anywhere).
func lies(_ inner: UnsafeRawBufferPointer, in outer: UnsafeRawBufferPointer) -> Bool {
    guard inner.count > 0 else { return true }
    guard let i = inner.baseAddress, let o = outer.baseAddress else { return false }
    return i >= o && i + inner.count <= o + outer.count
}

let codecReasons: Set<MalformationReason> = [.empty, .unknownType, .truncatedHeader, .truncatedName, .truncatedPeer, .trailingBytes, .badJSON]

func checkDecode(_ payload: UnsafeRawBufferPointer, sender: IPv4Address?) {
    switch decodeFrame(payload, sender: sender) {
    case let .malformed(m):
        require((0...payload.count).contains(m.offset), "\(m.reason) at offset \(m.offset), outside 0...\(payload.count)")
        require(m.length == payload.count, "\(m.reason): length \(m.length) for \(payload.count) bytes")
        require(codecReasons.contains(m.reason), "a packet-level reason \(m.reason) from the codec")
        require(!m.detail.isEmpty, "\(m.reason) without a detail")
    case let .frame(view):
        require(view.type.rawValue == payload[0], "\(view.type.name) from type byte \(payload[0])")
        _ = view.legacyName
        _ = view.warnings.codes
        let frame = view.owned()
        let encoded = frame.encoded()
        if view.type != .legacy {
            require(encoded.elementsEqual(payload), "\(view.type.name) re-encodes to other bytes")
        }
        encoded.withUnsafeBytes { again in
            guard case let .frame(second) = decodeFrame(again, sender: sender) else {
                return require(false, "\(view.type.name) re-encoded does not decode")
            }
            require(second.owned() == frame, "\(view.type.name) re-encoded decodes to another frame")
        }
    }
}

func checkIPv4(_ bytes: UnsafeRawBufferPointer) {
    guard case let .packet(header, payload, cut) = parseIPv4(bytes) else { return }
    require(lies(payload, in: bytes), "IPv4 payload outside the packet")
    require(payload.count == min(header.totalLength, bytes.count) - header.headerLength, "IPv4 payload length")
    require(cut == (bytes.count < header.totalLength), "IPv4 cut flag")
    if !header.isFragment, header.protocolNumber == 17 {
        checkUDP(payload, ipCut: cut, source: header.source, destination: header.destination)
    }
}

func checkIPv6(_ bytes: UnsafeRawBufferPointer) {
    guard let udp = parseIPv6UDP(bytes) else { return }
    require(lies(udp.payload, in: bytes), "IPv6 UDP payload outside the packet")
    checkDecode(udp.payload, sender: nil)
}

func checkUDP(_ bytes: UnsafeRawBufferPointer, ipCut: Bool, source: IPv4Address, destination: IPv4Address) {
    switch parseUDP(bytes, ipCut: ipCut) {
    case let .datagram(header, payload, cut):
        require(lies(payload, in: bytes), "UDP payload outside the datagram")
        require(header.length >= 8, "UDP length \(header.length) accepted")
        if !cut {
            require(payload.count == header.length - 8, "UDP payload length")
            let whole = UnsafeRawBufferPointer(rebasing: bytes[0..<header.length])
            _ = verifyUDPChecksum(source: source, destination: destination, udp: whole, field: header.checksum)
        } else {
            require(ipCut, "UDP cut without the IP layer cut")
        }
        checkDecode(payload, sender: source)
    case .portsOnly:
        require(ipCut && bytes.count < 8, "ports only from \(bytes.count) bytes")
    case .invalid:
        break
    }
}

/// What identifies a datagram's fragments (the reassembler's key, spelled out here).
struct DatagramKey: Hashable {
    var source: UInt32, destination: UInt32, identification: UInt16, protocolNumber: UInt8
}

func checkReassembly(_ input: UnsafeRawBufferPointer) {
    var reassembler = FragmentReassembler<Int>(timeoutSeconds: 1, maxDatagrams: 4, maxBytes: 8192)
    var handedBack: [Int] = []
    var added = 0
    var offset = 0
    var time = Timestamp(seconds: 1_800_000_000, nanoseconds: 0)
    /// The length each pending datagram's last fragment (no "more fragments") gives it.
    var totals: [DatagramKey: Int] = [:]
    func givenUp(_ pending: FragmentReassembler<Int>.Pending) {
        let key = DatagramKey(source: pending.key.source.value, destination: pending.key.destination.value,
                              identification: pending.key.identification, protocolNumber: pending.key.protocolNumber)
        require(pending.expectedLength == totals[key], "given up with length \(String(describing: pending.expectedLength)), its last fragment said \(String(describing: totals[key]))")
        require(pending.fragmentCount == pending.tags.count && pending.fragmentCount > 0, "given up with \(pending.fragmentCount) fragments")
        if let total = pending.expectedLength { require(pending.contiguousPrefix.count <= total, "a prefix longer than its datagram") }
        totals[key] = nil
        handedBack += pending.tags
    }
    while input.count - offset >= 2 {
        let length = min(Int(input[offset]) << 8 | Int(input[offset + 1]), input.count - offset - 2)
        offset += 2
        // A copy of exactly the packet's size, so that AddressSanitizer sees a read past its end.
        let packet = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 1)
        defer { packet.deallocate() }
        if length > 0 { packet.copyMemory(from: UnsafeRawBufferPointer(rebasing: input[offset..<offset + length])) }
        offset += length
        time = time.adding(nanoseconds: 300_000_000)
        reassembler.expire(now: time, givenUp: givenUp)
        let bytes = UnsafeRawBufferPointer(packet)
        guard case let .packet(header, payload, cut) = parseIPv4(bytes), header.isFragment else { continue }
        added += 1
        let key = DatagramKey(source: header.source.value, destination: header.destination.value,
                              identification: header.identification, protocolNumber: header.protocolNumber)
        if !header.moreFragments { totals[key] = header.fragmentOffset + header.totalLength - header.headerLength }
        let outcome = reassembler.add(header, payload: payload, cut: cut, time: time, tag: added, givenUp: givenUp)
        if case let .complete(datagram, datagramCut, tags) = outcome {
            let total = totals[key] ?? -1
            // Whole, or (cut by the snap length) what was captured of it, never more.
            require(datagramCut ? datagram.count <= total : datagram.count == total,
                    "a completed datagram of \(datagram.count) bytes (cut: \(datagramCut)), its last fragment said \(total)")
            require(tags.last == added, "completed by another fragment than the last added")
            totals[key] = nil
            handedBack += tags
            datagram.withUnsafeBytes { checkUDP($0, ipCut: datagramCut, source: header.source, destination: header.destination) }
        }
        require(reassembler.pendingCount <= reassembler.maxDatagrams, "too many datagrams pending")
        require(totals.count <= reassembler.pendingCount, "a length kept for a datagram no longer pending")
    }
    reassembler.drain(givenUp: givenUp)
    require(reassembler.isEmpty && totals.isEmpty, "something left after the drain")
    // Each fragment handed back exactly once: the tags are 1...added, each once.
    require(handedBack.count == added && handedBack.sorted() == Array(0..<added).map { $0 + 1 },
            "\(added) fragments added, handed back \(handedBack.sorted())")
}

/// Reads the input with a ByteReader as a script: each step a byte choosing a read
/// and, for some, a byte of argument. A model cursor says whether the bytes are
/// there: the read must give the bytes put together by hand exactly then, nil
/// otherwise, and move the cursor only when it gives something.
func checkReader(_ input: UnsafeRawBufferPointer) {
    var reader = ByteReader(input)
    var model = 0
    var script = ByteReader(input)
    func byteValue(_ at: Int, _ width: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<width { v = v << 8 | UInt64(input[at + k]) }
        return v
    }
    func has(_ count: Int, at index: Int) -> Bool { index >= 0 && count >= 0 && index + count <= input.count }
    var steps = 0
    while let op = script.readInteger(as: UInt8.self), steps < 64 {
        steps += 1
        let argument = Int(script.readInteger(as: UInt8.self) ?? 0)
        switch op % 8 {
        case 0, 1, 2, 3:
            let width = 1 << Int(op % 4)
            let value: UInt64? = switch width {
            case 1: reader.readInteger(as: UInt8.self).map(UInt64.init)
            case 2: reader.readInteger(as: UInt16.self).map(UInt64.init)
            case 4: reader.readInteger(as: UInt32.self).map(UInt64.init)
            default: reader.readInteger(as: UInt64.self)
            }
            let fits = has(width, at: model)
            require(value == (fits ? byteValue(model, width) : nil), "readInteger of \(width) at \(model) of \(input.count)")
            if fits { model += width }
        case 4:
            let slice = reader.readBytes(argument)
            let fits = has(argument, at: model)
            require((slice != nil) == fits, "readBytes(\(argument)) at \(model) of \(input.count)")
            if let slice {
                require(lies(slice, in: input) && slice.count == argument, "readBytes: a slice outside the input")
                model += argument
            }
        case 5:
            let step = argument - 128
            let fits = has(step, at: model)
            require(reader.moveReaderIndex(forwardBy: step) == fits, "moveReaderIndex(forwardBy: \(step)) at \(model)")
            if fits { model += step }
        case 6:
            let index = argument * max(1, input.count) / 200 - 4
            let fits = has(4, at: index)
            let value = reader.getInteger(at: index, endianness: op & 0x80 == 0 ? .big : .little, as: UInt32.self)
            let expected = fits ? UInt32(byteValue(index, 4)) : nil
            require(value == (op & 0x80 == 0 ? expected : expected?.byteSwapped), "getInteger(at: \(index)) of \(input.count)")
        default:
            let fields = reader.readMultipleIntegers(as: (UInt8, UInt8, UInt16, UInt16, UInt16, UInt8, UInt8, UInt16, UInt32, UInt32).self)
            let fits = has(20, at: model)
            require((fields != nil) == fits, "readMultipleIntegers (20 bytes) at \(model) of \(input.count)")
            if let fields {
                require(UInt64(fields.2) == byteValue(model + 2, 2) && UInt64(fields.9) == byteValue(model + 16, 4), "readMultipleIntegers fields")
                model += 20
            }
        }
        require(reader.readerIndex == model && reader.readableBytes == input.count - model, "cursor \(reader.readerIndex), model \(model)")
    }
}
