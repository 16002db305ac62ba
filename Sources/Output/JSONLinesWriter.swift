import Analyzer
import DiscoveryCodec
import WireBytes
#if canImport(Glibc)
import Glibc
#endif

/// `--json`: one JSON object a line, as CONTRACT.md fixes them. Built byte by byte
/// into a reused buffer: no encoder object, no String per record.
public final class JSONLinesWriter: RecordWriter {
    let stream: OutputStream
    /// `--quiet`: only the summary record.
    let quiet: Bool
    /// `--events`: events only, no frame or malformed records.
    let eventsOnly: Bool

    /// `--malformed`: only malformed records and frames with warnings (and the summary).
    let problemsOnly: Bool
    /// Times as text, the date and time to the second kept from record to record.
    var stamps = RFC3339Text()
    /// `--observer`: this sensor's name, in every record.
    let observer: String?
    /// The last FULL's peers as JSON.
    let peers = PeersJSON()

    public init(stream: OutputStream, quiet: Bool = false, eventsOnly: Bool = false, problemsOnly: Bool = false, observer: String? = nil) {
        self.stream = stream
        self.observer = observer
        self.quiet = quiet
        self.eventsOnly = eventsOnly
        self.problemsOnly = problemsOnly
    }

    public func flush() { stream.flush() }

    func openRecord(kind: StaticString, origin: PacketOrigin?) {
        Self.openRecord(kind: kind, origin: origin, observer: observer, stamps: &stamps, to: &stream.buffer)
    }

    @inline(__always)
    func key(_ name: StaticString) { Self.key(name, to: &stream.buffer) }

    func quotedAddress(_ address: IPAddress) { Self.quoted(address, to: &stream.buffer) }

    func quotedAddress(_ address: IPv4Address) { Self.quoted(address, to: &stream.buffer) }

    /// A name as a JSON string.
    func name(_ bytes: UnsafeRawBufferPointer) { Self.name(bytes, to: &stream.buffer) }

    func endpoints(_ e: Endpoints) { Self.endpoints(e, to: &stream.buffer) }

    func endRecord() {
        stream.buffer.append("}\n")
        stream.recordEnded()
    }

    // The record pieces, generic over where they go: the output buffer, or a cursor
    // into room reserved for a whole frame record.

    @inline(__always)
    static func openRecord<S: ByteSink>(kind: StaticString, origin: PacketOrigin?, observer: String?, stamps: inout RFC3339Text, to out: inout S) {
        out.append("{\"kind\":\"")
        out.append(kind)
        out.append(UInt8(ascii: "\""))
        if let observer { key("observer", to: &out); writeJSONString(observer, to: &out) }
        if let origin {
            key("n", to: &out); appendDecimal(UInt64(origin.number), to: &out)
            key("ts", to: &out); timestamp(origin.time, stamps: &stamps, to: &out)
            if let file = origin.file { key("file", to: &out); writeJSONString(file, to: &out) }
        }
    }

    @inline(__always)
    static func key<S: ByteSink>(_ name: StaticString, to out: inout S) {
        out.append(",\"")
        out.append(name)
        out.append("\":")
    }

    @inline(__always)
    static func quoted<S: ByteSink>(_ address: IPAddress, to out: inout S) {
        out.append(UInt8(ascii: "\""))
        address.write(to: &out)
        out.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    static func quoted<S: ByteSink>(_ address: IPv4Address, to out: inout S) {
        out.append(UInt8(ascii: "\""))
        out.append(ipv4: address.value)
        out.append(UInt8(ascii: "\""))
    }

    /// A name as a JSON string.
    @inline(__always)
    static func name<S: ByteSink>(_ bytes: UnsafeRawBufferPointer, to out: inout S) {
        out.append(UInt8(ascii: "\""))
        appendJSONStringContent(bytes, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    static func endpoints<S: ByteSink>(_ e: Endpoints, to out: inout S) {
        key("src", to: &out); quoted(e.source, to: &out)
        key("dst", to: &out); quoted(e.destination, to: &out)
        key("sport", to: &out); appendDecimal(UInt64(e.sourcePort), to: &out)
        key("dport", to: &out); appendDecimal(UInt64(e.destinationPort), to: &out)
    }

    public var takesFrames: Bool { !quiet && !eventsOnly }
    public var takesEvents: Bool { !quiet && !problemsOnly }

    public func write(_ record: FrameRecord) {
        guard !quiet, !eventsOnly, !problemsOnly || !record.frame.warnings.isEmpty else { return }
        let frame = record.frame
        if frame.type == .legacy {
            // A parsed JSON value: no bound on its text is kept, so the checked buffer.
            Self.frameRecord(record, observer: observer, stamps: &stamps, peers: peers, to: &stream.buffer)
        } else {
            // Everything else has a bound: the fixed fields, an escaped file name, and
            // for the names at most six bytes for one (\u00XX) and 48 per FULL entry.
            let fileBytes = (record.origin.file?.utf8.count ?? 0) + (observer?.utf8.count ?? 0)
            let entries = frame.type == .full ? frame.peers.count : 0
            let bound = 1024 + 6 * fileBytes + 6 * frame.payload.count + 48 * entries
            stream.buffer.write(reserving: bound) { Self.frameRecord(record, observer: observer, stamps: &stamps, peers: peers, to: &$0) }
        }
        stream.recordEnded()
    }

    static func frameRecord<S: ByteSink>(_ record: FrameRecord, observer: String?, stamps: inout RFC3339Text, peers: PeersJSON,
                                         to out: inout S) {
        openRecord(kind: "frame", origin: record.origin, observer: observer, stamps: &stamps, to: &out)
        endpoints(record.endpoints, to: &out)
        let frame = record.frame
        key("type", to: &out); out.append(UInt8(ascii: "\""))
        out.append(frame.type.staticName)
        out.append(UInt8(ascii: "\""))
        switch frame.type {
        case .hello:
            key("name", to: &out); name(frame.helloName, to: &out)
        case .full:
            key("peers", to: &out)
            peers.write(frame, to: &out)
        case .offline:
            key("ip", to: &out); quoted(frame.offlineIP, to: &out)
        case .legacy:
            key("json", to: &out); (frame.legacy ?? .null).write(to: &out)
        case .ping, .pong:
            break
        }
        if !frame.warnings.isEmpty {
            key("warnings", to: &out); out.append(UInt8(ascii: "["))
            var first = true
            for entry in FrameWarnings.all where frame.warnings.contains(entry.warning) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out.append(UInt8(ascii: "\""))
                out.append(entry.code)  // contract codes: nothing to escape
                out.append(UInt8(ascii: "\""))
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append("}\n")
    }

    /// A FULL's entries as a JSON array.
    static func peersArray<S: ByteSink>(_ frame: FrameView, to out: inout S) {
        out.append(UInt8(ascii: "["))
        var first = true
        for peer in frame.peers {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append("{\"ip\":")
            quoted(peer.ip, to: &out)
            out.append(",\"name\":")
            name(peer.name, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
    }

    public func write(_ record: MalformedRecord) {
        guard !quiet, !eventsOnly else { return }
        openRecord(kind: "malformed", origin: record.origin)
        endpoints(record.endpoints)
        let m = record.malformation
        key("reason"); writeJSONString(m.reason.description, to: &stream.buffer)
        key("offset"); appendDecimal(UInt64(max(0, m.offset)), to: &stream.buffer)
        key("length"); appendDecimal(UInt64(max(0, m.length)), to: &stream.buffer)
        key("hex"); stream.buffer.append(UInt8(ascii: "\""))
        appendHex(record.payload, to: &stream.buffer)
        stream.buffer.append(UInt8(ascii: "\""))
        key("detail"); writeJSONString(m.detail, to: &stream.buffer)
        endRecord()
    }

    public func write(_ summary: Summary) {
        openRecord(kind: "summary", origin: nil)
        key("packets_read"); appendDecimal(UInt64(summary.packetsRead), to: &stream.buffer)
        key("packets_matched"); appendDecimal(UInt64(summary.packetsMatched), to: &stream.buffer)
        key("frames"); appendDecimal(UInt64(summary.frames), to: &stream.buffer)
        key("frames_by_type")
        countsObject(FrameType.allCases.map { ($0.name, summary.framesByType[$0.index]) }, keepZero: true)
        key("malformed"); appendDecimal(UInt64(summary.malformed), to: &stream.buffer)
        key("malformed_by_reason")
        countsObject(MalformationReason.allCases.map { ($0.description, summary.malformedByReason[$0.index]) }, keepZero: false)
        key("warnings_by_code")
        countsObject(FrameWarnings.all.enumerated().map { ($1.code.description, summary.warningsByCode[$0]) }, keepZero: false)
        key("checksums")
        countsObject([("valid", summary.checksumsValid), ("absent", summary.checksumsAbsent),
                      ("offloaded", summary.checksumsOffloaded), ("not_verified", summary.checksumsNotVerified)], keepZero: true)
        key("datagrams_reassembled"); appendDecimal(UInt64(summary.datagramsReassembled), to: &stream.buffer)
        if summary.reassemblyGaveUpForRoom > 0 {
            key("reassembly_gave_up_for_room"); appendDecimal(UInt64(summary.reassemblyGaveUpForRoom), to: &stream.buffer)
        }
        if summary.fragmentsUnattributed > 0 {
            key("incomplete_fragments_unknown_port"); appendDecimal(UInt64(summary.fragmentsUnattributed), to: &stream.buffer)
        }
        if let first = summary.firstTime, let last = summary.lastTime {
            key("first_ts"); stream.buffer.append(UInt8(ascii: "\"")); first.writeRFC3339(to: &stream.buffer); stream.buffer.append(UInt8(ascii: "\""))
            key("last_ts"); stream.buffer.append(UInt8(ascii: "\"")); last.writeRFC3339(to: &stream.buffer); stream.buffer.append(UInt8(ascii: "\""))
        }
        if summary.duplicates > 0 { key("duplicates"); appendDecimal(UInt64(summary.duplicates), to: &stream.buffer) }
        if summary.leftOutByFilter > 0 { key("left_out_by_filter"); appendDecimal(UInt64(summary.leftOutByFilter), to: &stream.buffer) }
        if let display = summary.display {
            key("display_filter")
            stream.buffer.append(UInt8(ascii: "{"))
            stream.buffer.append(contentsOf: "\"filter\":".utf8)
            writeJSONString(display.filter, to: &stream.buffer)
            stream.buffer.append(UInt8(ascii: ","))
            stream.buffer.append(contentsOf: "\"shown\":".utf8)
            countsObject([("frames", display.framesShown), ("malformed", display.malformedShown),
                          ("events", display.eventsShown), ("incidents", display.incidentsShown)], keepZero: true)
            stream.buffer.append(contentsOf: ",\"hidden\":".utf8)
            countsObject([("frames", display.framesHidden), ("malformed", display.malformedHidden),
                          ("events", display.eventsHidden), ("incidents", display.incidentsHidden)], keepZero: true)
            stream.buffer.append(UInt8(ascii: "}"))
        }
        if let received = summary.kernelReceived {
            key("kernel_received"); appendDecimal(UInt64(received), to: &stream.buffer)
            key("kernel_dropped"); appendDecimal(UInt64(summary.kernelDropped ?? 0), to: &stream.buffer)
            key("interface_dropped"); appendDecimal(UInt64(summary.interfaceDropped ?? 0), to: &stream.buffer)
        }
        if let error = summary.inputError { key("input_error"); writeJSONString(error, to: &stream.buffer) }
        if let error = summary.outputError { key("output_error"); writeJSONString(error, to: &stream.buffer) }
        if let election = summary.election { writeElection(election) }
        endRecord()
        stream.flush()
    }

    func countsObject(_ pairs: [(String, Int)], keepZero: Bool) {
        stream.buffer.append(UInt8(ascii: "{"))
        var first = true
        for (name, count) in pairs where keepZero || count > 0 {
            if !first { stream.buffer.append(UInt8(ascii: ",")) }
            first = false
            writeJSONString(name, to: &stream.buffer)
            stream.buffer.append(UInt8(ascii: ":"))
            appendDecimal(UInt64(count), to: &stream.buffer)
        }
        stream.buffer.append(UInt8(ascii: "}"))
    }
}

/// The last FULL's `peers` array as JSON, and the payload it was written from. A
/// registry sends the same FULL again and again (each HELLO, each OFFLINE, each round
/// it answers): its names are escaped once, and a FULL whose payload is byte for byte
/// the last one's (its array is a function of those bytes alone) copies the array.
final class PeersJSON {
    private var payload = RawBytes(capacity: 2048)
    private var json = RawBytes(capacity: 8192)
    private var next = RawBytes(capacity: 8192)
    private var valid = false
    /// The kept FULL's serial number from its decoder (0: unknown), its entry count, and
    /// for each entry where it starts in the payload and where its object starts in `json`
    /// (room for the 255 entries a count byte allows, and the next FULL's).
    private var serial: UInt64 = 0
    private var count = 0
    private var entryStarts = UnsafeMutablePointer<Int32>.allocate(capacity: 256)
    private var jsonStarts = UnsafeMutablePointer<Int32>.allocate(capacity: 256)
    private var nextEntryStarts = UnsafeMutablePointer<Int32>.allocate(capacity: 256)
    private var nextJSONStarts = UnsafeMutablePointer<Int32>.allocate(capacity: 256)
    /// Arrays made by copying the kept one's shared entries (for tests to see).
    private(set) var madeFromShared = 0

    deinit {
        payload.deallocate()
        json.deallocate()
        next.deallocate()
        entryStarts.deallocate(); jsonStarts.deallocate()
        nextEntryStarts.deallocate(); nextJSONStarts.deallocate()
    }

    func write<S: ByteSink>(_ frame: FrameView, to out: inout S) {
        let bytes = frame.payload
        let shared = valid ? frame.lineage(comparedWith: serial) : nil
        let same = valid && payload.withUnsafeBytes { frame.isSameFull(as: $0, serial: serial) }
        if !same {
            if let shared {
                makeFromShared(bytes, prefixEnd: Int(shared.prefixEnd), suffixStart: Int(shared.suffixStart))
            } else {
                makeWhole(bytes)
            }
            swap(&json, &next)
            swap(&entryStarts, &nextEntryStarts)
            swap(&jsonStarts, &nextJSONStarts)
            count = Int(bytes[1])
            payload.removeAll()
            payload.append(bytes: bytes)
            valid = true
        }
        serial = frame.lineage.serial
        json.withUnsafeBytes { out.append(bytes: $0) }
    }

    /// One entry's object, at `offset` of `bytes` (an entry the codec accepted): its
    /// start in the payload and in `next` are noted as entry `k`. Returns the next entry's offset.
    @inline(__always)
    private func entry(_ bytes: UnsafeRawBufferPointer, at offset: Int, _ k: Int) -> Int {
        let raw = bytes.baseAddress!
        let ip = UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        let length = Int(raw.load(fromByteOffset: offset + 4, as: UInt8.self))
        if k > 0 { next.append(UInt8(ascii: ",")) }
        nextEntryStarts[k] = Int32(offset)
        nextJSONStarts[k] = Int32(next.count)
        next.append("{\"ip\":")
        JSONLinesWriter.quoted(IPv4Address(ip), to: &next)
        next.append(",\"name\":")
        JSONLinesWriter.name(UnsafeRawBufferPointer(start: raw + offset + 5, count: length), to: &next)
        next.append(UInt8(ascii: "}"))
        return offset + 5 + length
    }

    /// Every entry written afresh.
    private func makeWhole(_ bytes: UnsafeRawBufferPointer) {
        next.removeAll()
        next.append(UInt8(ascii: "["))
        var offset = 2
        for k in 0..<Int(bytes[1]) { offset = entry(bytes, at: offset, k) }
        next.append(UInt8(ascii: "]"))
    }

    /// The kept FULL's objects for the entries the new FULL shares with it, byte for
    /// byte, at its start (entries that end by `prefixEnd`) and at its end (from an entry
    /// at or after `suffixStart` that the kept FULL has too, `shift` bytes away: the
    /// bytes from there to both ends agree, so do all entries after); the entries in
    /// between written afresh. The same array `makeWhole` writes (a differential test
    /// holds it to that).
    private func makeFromShared(_ bytes: UnsafeRawBufferPointer, prefixEnd: Int, suffixStart: Int) {
        madeFromShared += 1
        next.removeAll()
        json.withUnsafeBytes { writeFromShared(bytes, oldJSON: $0, prefixEnd: prefixEnd, suffixStart: suffixStart) }
    }

    private func writeFromShared(_ bytes: UnsafeRawBufferPointer, oldJSON: UnsafeRawBufferPointer, prefixEnd: Int, suffixStart: Int) {
        let newCount = Int(bytes[1]), oldLength = payload.count
        let shift = bytes.count - oldLength
        // The shared start: old entries that end within it.
        var a = 0
        while a < count, a < newCount, (a + 1 < count ? Int(entryStarts[a + 1]) : oldLength) <= prefixEnd { a += 1 }
        var offset = 2
        if a > 0 {
            // "[" and the first `a` objects with their commas, as they were.
            let end = a < count ? Int(jsonStarts[a]) - 1 : oldJSON.count - 1
            next.append(bytes: UnsafeRawBufferPointer(rebasing: oldJSON[0..<end]))
            nextEntryStarts.update(from: entryStarts, count: a)
            nextJSONStarts.update(from: jsonStarts, count: a)
            offset = a < count ? Int(entryStarts[a]) : oldLength
        } else {
            next.append(UInt8(ascii: "["))
        }
        var k = a
        var old = 0  // the old entry where the shared end may take over
        while k < newCount {
            if offset >= suffixStart {
                while old < count, Int(entryStarts[old]) + shift < offset { old += 1 }
                if old < count, Int(entryStarts[old]) + shift == offset, count - old == newCount - k {
                    // From here on, the old objects: copied with their commas, starts moved.
                    if k > 0 { next.append(UInt8(ascii: ",")) }
                    let jsonShift = Int32(next.count) - jsonStarts[old]
                    for j in 0..<(count - old) {
                        nextEntryStarts[k + j] = entryStarts[old + j] + Int32(shift)
                        nextJSONStarts[k + j] = jsonStarts[old + j] + jsonShift
                    }
                    next.append(bytes: UnsafeRawBufferPointer(rebasing: oldJSON[Int(jsonStarts[old])..<(oldJSON.count - 1)]))
                    next.append(UInt8(ascii: "]"))
                    return
                }
            }
            offset = entry(bytes, at: offset, k)
            k += 1
        }
        next.append(UInt8(ascii: "]"))
    }
}
