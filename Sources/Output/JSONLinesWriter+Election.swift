import Analyzer
import DiscoveryCodec
import WireBytes

extension JSONLinesWriter {
    /// `{"kind":"event","event":"registry-changed","n":…,"ts":…,"from":…,"to":…}`;
    /// `registry-silent` has no `n` and is stamped at its deadline.
    public func write(_ event: ElectionEvent) {
        guard !quiet, !problemsOnly else { return }
        Self.eventRecord(event, observer: observer, stamps: &stamps, to: &stream.buffer)
        stream.recordEnded()
    }

    /// The event record, generic over where it goes (one access to the buffer for all
    /// of it, its appends made in line).
    static func eventRecord<S: ByteSink>(_ event: ElectionEvent, observer: String?, stamps: inout RFC3339Text, to out: inout S) {
        openRecord(kind: "event", origin: nil, observer: observer, stamps: &stamps, to: &out)
        // The contract's names: nothing to escape.
        key("event", to: &out); out.append(UInt8(ascii: "\"")); out.append(event.kind.staticName); out.append(UInt8(ascii: "\""))
        if let origin = event.origin {
            key("n", to: &out); appendDecimal(UInt64(origin.number), to: &out)
            if let file = origin.file { key("file", to: &out); writeJSONString(file, to: &out) }
        }
        key("ts", to: &out); timestamp(event.time, stamps: &stamps, to: &out)
        switch event.detail {
        case let .nodeSeen(ip, name, via):
            key("ip", to: &out); quoted(ip, to: &out)
            if let name { key("name", to: &out); nameValue(name, to: &out) }
            key("via", to: &out); out.append(UInt8(ascii: "\"")); out.append(via.staticName); out.append(UInt8(ascii: "\""))
        case let .nodeRenamed(rename):
            key("ip", to: &out); quoted(rename.ip, to: &out)
            key("from", to: &out); nameValue(rename.from, to: &out)
            key("to", to: &out); nameValue(rename.to, to: &out)
        case let .nodeDeclaredOffline(ip, by):
            key("ip", to: &out); quoted(ip, to: &out)
            key("by", to: &out); quoted(by, to: &out)
        case let .nodeReturned(ip), let .registryElected(ip):
            key("ip", to: &out); quoted(ip, to: &out)
        case let .registryChanged(from, to):
            key("from", to: &out); quoted(from, to: &out)
            key("to", to: &out); quoted(to, to: &out)
        case let .registryConflict(ips):
            key("ips", to: &out); addressList(ips, to: &out)
        case let .registryUnexpected(ip, expected):
            key("ip", to: &out); quoted(ip, to: &out)
            key("expected", to: &out); quoted(expected, to: &out)
        case let .registrySilent(expected, after):
            key("expected", to: &out); quoted(expected, to: &out)
            if let after { key("after", to: &out); quoted(after, to: &out) }
        case let .peersChanged(added, removed, renamed):
            key("added", to: &out); addressList(added, to: &out)
            key("removed", to: &out); addressList(removed, to: &out)
            key("renamed", to: &out); out.append(UInt8(ascii: "["))
            for (i, rename) in renamed.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append("{\"ip\":"); quoted(rename.ip, to: &out)
                out.append(",\"from\":"); nameValue(rename.from, to: &out)
                out.append(",\"to\":"); nameValue(rename.to, to: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append("}\n")
    }

    /// A time as a quoted RFC 3339 string.
    @inline(__always)
    static func timestamp<S: ByteSink>(_ time: Timestamp, stamps: inout RFC3339Text, to out: inout S) {
        out.append(UInt8(ascii: "\""))
        stamps.write(time, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    static func nameValue<S: ByteSink>(_ name: Name, to out: inout S) {
        name.bytes.withUnsafeBytes { Self.name($0, to: &out) }
    }

    @inline(__always)
    static func addressList<S: ByteSink>(_ ips: [IPv4Address], to out: inout S) {
        out.append(UInt8(ascii: "["))
        for (i, ip) in ips.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            quoted(ip, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// `{"kind":"incident","state":"open","id":3,"ts":…,"code":…,"severity":…,"ips":[…],
    /// "since":…,"text":…}`; closed adds `until` (and `withdrawn` when it turned out to
    /// be no incident of its own).
    public func write(_ incident: IncidentChange) {
        guard !quiet, !problemsOnly else { return }
        let d = incident.diagnosis
        openRecord(kind: "incident", origin: nil)
        key("state"); writeJSONString(incident.state.rawValue, to: &stream.buffer)
        key("id"); appendDecimal(UInt64(d.id), to: &stream.buffer)
        key("ts"); timestamp(incident.time)
        diagnosisMembers(d, until: incident.state == .closed)
        if incident.withdrawn { key("withdrawn"); stream.buffer.append("true") }
        endRecord()
    }

    /// A diagnosis's members after `{"code":`… (the summary's and the incident records').
    func diagnosisMembers(_ diagnosis: Diagnosis, until: Bool = true) {
        key("code"); writeJSONString(diagnosis.code.rawValue, to: &stream.buffer)
        key("severity"); writeJSONString(diagnosis.severity.rawValue, to: &stream.buffer)
        key("ips"); addressList(diagnosis.ips)
        key("since"); timestamp(diagnosis.since)
        if until, let end = diagnosis.until { key("until"); timestamp(end) }
        for figure in diagnosis.figures {
            stream.buffer.append(UInt8(ascii: ",")); writeJSONString(figure.name, to: &stream.buffer); stream.buffer.append(UInt8(ascii: ":"))
            switch figure.value {
            case let .count(n): stream.buffer.append(string: String(n))
            case let .seconds(s): stream.buffer.append(string: formatDecimal(s))
            }
        }
        key("text"); writeJSONString(diagnosis.message.jsonText, to: &stream.buffer)
    }

    func timestamp(_ time: Timestamp) { Self.timestamp(time, stamps: &stamps, to: &stream.buffer) }

    func nameValue(_ name: Name) { Self.nameValue(name, to: &stream.buffer) }

    func addressList(_ ips: [IPv4Address]) { Self.addressList(ips, to: &stream.buffer) }

    /// The analyzer's members of the summary record.
    func writeElection(_ report: ElectionReport) {
        key("nodes"); stream.buffer.append(UInt8(ascii: "["))
        for (i, node) in report.nodes.enumerated() {
            if i > 0 { stream.buffer.append(UInt8(ascii: ",")) }
            stream.buffer.append("{\"ip\":"); quotedAddress(node.ip)
            if let name = node.name { stream.buffer.append(",\"name\":"); nameValue(name) }
            stream.buffer.append(",\"names\":[")
            for (k, name) in node.names.enumerated() {
                if k > 0 { stream.buffer.append(UInt8(ascii: ",")) }
                nameValue(name)
            }
            stream.buffer.append(UInt8(ascii: "]"))
            if let first = node.firstSent, let last = node.lastSent {
                key("first_seen"); timestamp(first)
                key("last_seen"); timestamp(last)
            }
            if let listed = node.firstListed { key("first_listed"); timestamp(listed) }
            key("frames_sent"); appendDecimal(UInt64(node.framesSent), to: &stream.buffer)
            key("frames_by_type")
            countsObject(FrameType.allCases.map { ($0.name, node.framesByType[$0.index]) }, keepZero: false)
            key("state"); writeJSONString(nodeState(node), to: &stream.buffer)
            key("times_declared_offline"); appendDecimal(UInt64(node.timesDeclaredOffline), to: &stream.buffer)
            if let version = node.legacyVersion { key("legacy_version"); writeJSONString(version, to: &stream.buffer) }
            stream.buffer.append(UInt8(ascii: "}"))
        }
        stream.buffer.append(UInt8(ascii: "]"))
        key("registry")
        if let registry = report.registry { quotedAddress(registry) } else { stream.buffer.append("null") }
        key("registry_history"); stream.buffer.append(UInt8(ascii: "["))
        for (i, reign) in report.history.enumerated() {
            if i > 0 { stream.buffer.append(UInt8(ascii: ",")) }
            stream.buffer.append("{\"ip\":"); quotedAddress(reign.ip)
            key("since"); timestamp(reign.since)
            if let until = reign.until {
                key("until"); timestamp(until)
                key("duration_s"); stream.buffer.append(string: formatDecimal(until.seconds(since: reign.since)))
            }
            key("fulls"); appendDecimal(UInt64(reign.fulls), to: &stream.buffer)
            stream.buffer.append(UInt8(ascii: "}"))
        }
        stream.buffer.append(UInt8(ascii: "]"))
        if report.historyDropped > 0 {
            key("registry_history_dropped"); appendDecimal(UInt64(report.historyDropped), to: &stream.buffer)
        }
        key("events_by_kind")
        countsObject(report.eventCounts.map { ($0.kind.rawValue, $0.count) }, keepZero: true)
        key("diagnoses"); stream.buffer.append(UInt8(ascii: "["))
        for (i, diagnosis) in report.diagnoses.enumerated() {
            if i > 0 { stream.buffer.append(UInt8(ascii: ",")) }
            stream.buffer.append("{\"id\":"); appendDecimal(UInt64(diagnosis.id), to: &stream.buffer)
            diagnosisMembers(diagnosis)
            stream.buffer.append(UInt8(ascii: "}"))
        }
        stream.buffer.append(UInt8(ascii: "]"))
        if !report.flood.isEmpty {
            key("nodes_not_kept")
            stream.buffer.append("{\"max_nodes\":"); appendDecimal(UInt64(report.maxNodes), to: &stream.buffer)
            key("addresses"); appendDecimal(UInt64(report.flood.distinctAddresses), to: &stream.buffer)
            key("times"); appendDecimal(UInt64(report.flood.times), to: &stream.buffer)
            key("senders"); appendDecimal(UInt64(report.flood.distinctSenders), to: &stream.buffer)
            stream.buffer.append(UInt8(ascii: "}"))
        }
        if !report.limitsReached.isEmpty {
            key("limits_reached"); stream.buffer.append(UInt8(ascii: "{"))
            for (i, limit) in report.limitsReached.enumerated() {
                if i > 0 { stream.buffer.append(UInt8(ascii: ",")) }
                writeJSONString(limit.name, to: &stream.buffer); stream.buffer.append(UInt8(ascii: ":"))
                appendDecimal(UInt64(limit.count), to: &stream.buffer)
            }
            stream.buffer.append(UInt8(ascii: "}"))
        }
        if report.diagnosesDropped > 0 {
            key("diagnoses_dropped"); appendDecimal(UInt64(report.diagnosesDropped), to: &stream.buffer)
        }
    }
}

/// `live`, `offline` (declared offline, not heard since) or `listed` (only listed in FULLs).
public func nodeState(_ node: Node) -> String {
    if node.declaredOffline { return "offline" }
    if node.firstSent == nil { return "listed" }
    return "live"
}

/// A decimal with up to six fraction digits, no exponent: `12.5`, `0.000125`.
public func formatDecimal(_ value: Double) -> String {
    let micro = Int64((value * 1e6).rounded())
    let sign = micro < 0 ? "-" : ""
    let magnitude = abs(micro)
    var fraction = String(magnitude % 1_000_000)
    while fraction.count < 6 { fraction = "0" + fraction }
    while fraction.hasSuffix("0") { fraction.removeLast() }
    return sign + String(magnitude / 1_000_000) + (fraction.isEmpty ? "" : "." + fraction)
}
