import Analyzer
import DiscoveryCodec
import WireBytes

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

    public init(stream: OutputStream, quiet: Bool = false, eventsOnly: Bool = false, problemsOnly: Bool = false) {
        self.stream = stream
        self.quiet = quiet
        self.eventsOnly = eventsOnly
        self.problemsOnly = problemsOnly
    }

    public func flush() { stream.flush() }

    func openRecord(kind: StaticString, origin: PacketOrigin?) {
        stream.buffer.append("{\"kind\":\"")
        kind.withUTF8Buffer { stream.buffer.append(contentsOf: $0) }
        stream.buffer.append(UInt8(ascii: "\""))
        if let origin {
            key("n"); appendDecimal(UInt64(origin.number), to: &stream.buffer)
            key("ts"); stream.buffer.append(UInt8(ascii: "\""))
            origin.time.writeRFC3339(to: &stream.buffer)
            stream.buffer.append(UInt8(ascii: "\""))
            if let file = origin.file { key("file"); writeJSONString(file, to: &stream.buffer) }
        }
    }

    @inline(__always)
    func key(_ name: StaticString) {
        stream.buffer.append(",\"")
        stream.buffer.append(name)
        stream.buffer.append("\":")
    }

    func quotedAddress(_ address: IPAddress) {
        stream.buffer.append(UInt8(ascii: "\""))
        address.write(to: &stream.buffer)
        stream.buffer.append(UInt8(ascii: "\""))
    }

    func quotedAddress(_ address: IPv4Address) {
        stream.buffer.append(UInt8(ascii: "\""))
        address.write(to: &stream.buffer)
        stream.buffer.append(UInt8(ascii: "\""))
    }

    /// A name as a JSON string. `validUTF8`: the codec found every name of the frame
    /// to be UTF-8 (no name warning), so only ASCII needs escaping.
    func name(_ bytes: UnsafeRawBufferPointer, validUTF8: Bool = false) {
        stream.buffer.append(UInt8(ascii: "\""))
        if validUTF8 {
            appendJSONStringContentOfValidUTF8(bytes, to: &stream.buffer)
        } else {
            appendJSONStringContent(bytes, to: &stream.buffer)
        }
        stream.buffer.append(UInt8(ascii: "\""))
    }

    func endpoints(_ e: Endpoints) {
        key("src"); quotedAddress(e.source)
        key("dst"); quotedAddress(e.destination)
        key("sport"); appendDecimal(UInt64(e.sourcePort), to: &stream.buffer)
        key("dport"); appendDecimal(UInt64(e.destinationPort), to: &stream.buffer)
    }

    func endRecord() {
        stream.buffer.append("}\n")
        stream.recordEnded()
    }

    public func write(_ record: FrameRecord) {
        guard !quiet, !eventsOnly, !problemsOnly || !record.frame.warnings.isEmpty else { return }
        openRecord(kind: "frame", origin: record.origin)
        endpoints(record.endpoints)
        let frame = record.frame
        let validNames = frame.warnings.isDisjoint(with: [.nameNotUTF8, .nameCutMidCharacter])
        key("type"); stream.buffer.append(UInt8(ascii: "\""))
        stream.buffer.append(string: frame.type.name)
        stream.buffer.append(UInt8(ascii: "\""))
        switch frame.type {
        case .hello:
            key("name"); name(frame.helloName, validUTF8: validNames)
        case .full:
            key("peers"); stream.buffer.append(UInt8(ascii: "["))
            var first = true
            for peer in frame.peers {
                if !first { stream.buffer.append(UInt8(ascii: ",")) }
                first = false
                stream.buffer.append("{\"ip\":")
                quotedAddress(peer.ip)
                stream.buffer.append(",\"name\":")
                name(peer.name, validUTF8: validNames)
                stream.buffer.append(UInt8(ascii: "}"))
            }
            stream.buffer.append(UInt8(ascii: "]"))
        case .offline:
            key("ip"); quotedAddress(frame.offlineIP)
        case .legacy:
            key("json"); (frame.legacy ?? .null).write(to: &stream.buffer)
        case .ping, .pong:
            break
        }
        if !frame.warnings.isEmpty {
            key("warnings"); stream.buffer.append(UInt8(ascii: "["))
            var first = true
            for entry in FrameWarnings.all where frame.warnings.contains(entry.warning) {
                if !first { stream.buffer.append(UInt8(ascii: ",")) }
                first = false
                writeJSONString(entry.code, to: &stream.buffer)
            }
            stream.buffer.append(UInt8(ascii: "]"))
        }
        endRecord()
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
        countsObject(FrameWarnings.all.enumerated().map { ($1.code, summary.warningsByCode[$0]) }, keepZero: false)
        key("checksums")
        countsObject([("valid", summary.checksumsValid), ("absent", summary.checksumsAbsent),
                      ("offloaded", summary.checksumsOffloaded), ("not_verified", summary.checksumsNotVerified)], keepZero: true)
        key("datagrams_reassembled"); appendDecimal(UInt64(summary.datagramsReassembled), to: &stream.buffer)
        if summary.fragmentsUnattributed > 0 {
            key("incomplete_fragments_unknown_port"); appendDecimal(UInt64(summary.fragmentsUnattributed), to: &stream.buffer)
        }
        if let first = summary.firstTime, let last = summary.lastTime {
            key("first_ts"); stream.buffer.append(UInt8(ascii: "\"")); first.writeRFC3339(to: &stream.buffer); stream.buffer.append(UInt8(ascii: "\""))
            key("last_ts"); stream.buffer.append(UInt8(ascii: "\"")); last.writeRFC3339(to: &stream.buffer); stream.buffer.append(UInt8(ascii: "\""))
        }
        if let received = summary.kernelReceived {
            key("kernel_received"); appendDecimal(UInt64(received), to: &stream.buffer)
            key("kernel_dropped"); appendDecimal(UInt64(summary.kernelDropped ?? 0), to: &stream.buffer)
            key("interface_dropped"); appendDecimal(UInt64(summary.interfaceDropped ?? 0), to: &stream.buffer)
        }
        if let error = summary.inputError { key("input_error"); writeJSONString(error, to: &stream.buffer) }
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
