import Analyzer
import DiscoveryCodec
import WireBytes

/// A run of events of one kind, printed as one line with a count so that a storm
/// (of OFFLINEs, of unexpected FULLs) does not bury the story.
struct EventFold {
    var kind: ElectionEventKind
    var count = 0
    var first: Timestamp
    var last: Timestamp
    var addresses: [IPv4Address] = []
}

extension TextWriter {
    public func write(_ event: ElectionEvent) {
        guard !quiet else { return }
        if var fold, fold.kind == event.kind {
            // The same kind again: fold it, print nothing now.
            fold.count += 1
            fold.last = event.time
            if let ip = primaryAddress(event), !fold.addresses.contains(ip), fold.addresses.count < 6 { fold.addresses.append(ip) }
            self.fold = fold
            return
        }
        endFold()
        fold = EventFold(kind: event.kind, first: event.time, last: event.time)
        if let origin = event.origin {
            prefix(origin)
        } else {
            event.time.writeTimeOfDay(to: &stream.buffer)
            stream.buffer.append(" (deadline) ")
        }
        stream.buffer.append(string: style.event)
        stream.buffer.append("▶ ")
        stream.buffer.append(string: event.kind.rawValue)
        stream.buffer.append(string: style.reset)
        stream.buffer.append(UInt8(ascii: " "))
        // describe() escapes every part that came from the network.
        stream.append(describe(event))
        stream.buffer.append(0x0A)
        stream.recordEnded()
    }

    /// Prints the folded line, if events were folded.
    public func endFold() {
        guard let fold else { return }
        self.fold = nil
        guard fold.count > 0 else { return }
        stream.buffer.append(string: style.dim)
        var line = "  … \(fold.count) more \(fold.kind.rawValue) until "
        var stamp: [UInt8] = []
        fold.last.writeTimeOfDay(to: &stamp)
        line += String(decoding: stamp, as: UTF8.self)
        if !fold.addresses.isEmpty {
            line += " (" + fold.addresses.map(\.description).joined(separator: ", ") + (fold.count > fold.addresses.count ? ", …" : "") + ")"
        }
        stream.append(line)
        stream.buffer.append(string: style.reset)
        stream.buffer.append(0x0A)
        stream.recordEnded()
    }

    func primaryAddress(_ event: ElectionEvent) -> IPv4Address? {
        switch event.detail {
        case let .nodeSeen(ip, _, _), let .nodeDeclaredOffline(ip, _), let .nodeReturned(ip), let .registryElected(ip),
             let .registryUnexpected(ip, _):
            return ip
        case let .nodeRenamed(rename): return rename.ip
        case let .registryChanged(_, to): return to
        case let .registryConflict(ips): return ips.first
        case let .registrySilent(expected, _): return expected
        case .peersChanged: return nil
        }
    }

    /// An address with its name when known: `10.37.0.20 "Attack from Mars"`.
    func label(_ ip: IPv4Address) -> String {
        if let name = nameOf(ip) { return "\(ip) \(quote(name))" }
        return ip.description
    }

    func quote(_ name: Name) -> String {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        name.bytes.withUnsafeBytes { appendTerminalSafe($0, to: &out) }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }

    func describe(_ event: ElectionEvent) -> String {
        switch event.detail {
        case let .nodeSeen(ip, name, via):
            return "\(ip)" + (name.map { " \(quote($0))" } ?? "") + " (first \(via.name == "FULL" ? "FULL listing or frame" : via.name))"
        case let .nodeRenamed(rename):
            return "\(rename.ip) \(quote(rename.from)) → \(quote(rename.to))"
        case let .nodeDeclaredOffline(ip, by):
            return "\(label(ip)) declared offline by \(label(by))"
        case let .nodeReturned(ip):
            return "\(label(ip)) is back"
        case let .registryElected(ip):
            return "\(label(ip)) is registry (first FULL)"
        case let .registryChanged(from, to):
            return "\(label(from)) → \(label(to))"
        case let .registryConflict(ips):
            return ips.map(label).joined(separator: " and ") + " both send FULL"
        case let .registryUnexpected(ip, expected):
            return "FULL from \(label(ip)) while \(label(expected)) is the lowest address"
        case let .registrySilent(expected, after):
            return "\(label(expected)) owed a FULL" + (after.map { " (after \(label($0)))" } ?? "") + " and sent none"
        case let .peersChanged(added, removed, renamed):
            var parts: [String] = []
            if !added.isEmpty { parts.append("+" + added.map(\.description).joined(separator: " +")) }
            if !removed.isEmpty { parts.append("-" + removed.map(\.description).joined(separator: " -")) }
            for rename in renamed { parts.append("\(rename.ip) \(quote(rename.from)) → \(quote(rename.to))") }
            return parts.joined(separator: ", ")
        }
    }

    /// The analyzer's part of the text summary: nodes, registry history, events, diagnoses.
    func electionLines(_ report: ElectionReport) -> [String] {
        var lines: [String] = []
        let counted = report.eventCounts.filter { $0.count > 0 }.map { "\($0.kind.rawValue) \($0.count)" }
        lines.append("  events: " + (counted.isEmpty ? "none" : counted.joined(separator: ", ")))
        lines.append("")
        lines.append("\(style.bold)Nodes\(style.reset) (\(report.nodes.count))")
        let kinds = FrameType.allCases
        let header = pad("address", 16) + pad("name", 34) + pad("first seen", 17) + pad("last seen", 17)
            + kinds.map { pad($0.name, 8) }.joined() + "state"
        lines.append("  " + header)
        for node in report.nodes {
            let name = node.name.map(quote) ?? "-"
            var row = pad(node.ip.description, 16) + pad(name, 34)
            row += pad(node.firstSent.map(timeOfDay) ?? "-", 17) + pad(node.lastSent.map(timeOfDay) ?? "-", 17)
            row += kinds.map { pad(String(node.framesByType[$0.index]), 8) }.joined()
            var state = nodeState(node)
            if node.timesDeclaredOffline > 0 { state += " (declared offline \(node.timesDeclaredOffline)×)" }
            if let version = node.legacyVersion { state += " legacy \(terminalSafe(version))" }
            lines.append("  " + row + state)
        }
        lines.append("")
        lines.append("\(style.bold)Registry history\(style.reset)")
        if report.history.isEmpty {
            lines.append("  no FULL seen: no registry acted")
        }
        if report.historyDropped > 0 { lines.append("  (\(report.historyDropped) earlier reigns not kept)") }
        for reign in report.history {
            var line = "  " + pad(label(reign.ip), 40) + " from " + timeOfDay(reign.since)
            if let until = reign.until {
                line += " for " + formatSeconds(until.seconds(since: reign.since))
            } else {
                line += " to the end"
            }
            line += " (\(reign.fulls) FULL\(reign.fulls == 1 ? "" : "s"))"
            lines.append(line)
        }
        if !report.diagnoses.isEmpty {
            lines.append("")
            lines.append("\(style.bold)Diagnoses\(style.reset)")
            for diagnosis in report.diagnoses {
                lines.append("  \(style.warning)![\(diagnosis.code)]\(style.reset) \(terminalSafe(diagnosis.text, quoting: false))")
            }
        }
        return lines
    }

    func timeOfDay(_ time: Timestamp) -> String {
        var out: [UInt8] = []
        time.writeTimeOfDay(to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// Pads to a width in characters (names are short; this is display only).
func pad(_ text: String, _ width: Int) -> String {
    let count = text.count
    return count >= width ? text + " " : text + String(repeating: " ", count: width - count)
}
