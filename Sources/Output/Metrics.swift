import Analyzer
import DiscoveryCodec
import WireBytes

/// `--metrics FILE`: the run's counts and the election's state in Prometheus's text
/// exposition format (version 0.0.4), for node_exporter's textfile collector.
/// peersniff writes a file; node_exporter serves it: peersniff opens no socket.
///
/// Names follow Prometheus's conventions: the `peersniff_` prefix, `_total` for
/// counters, seconds as the unit, a `# HELP` and a `# TYPE` line for each family.
/// Cardinality is bounded: every label takes its values from a fixed list (frame
/// types, reasons, codes) or from the node table, whose size is the node cap. Every
/// node kept has its per-node series, keyed by address alone (a name is a label of
/// `peersniff_node_info` only, so a rename changes one series); while the table is
/// full (an address flood), only the nodes heard from twice or listed by another
/// keep theirs, so that one-off spoofed addresses make none.
public final class MetricsExposition {
    /// `--observer`: added to every series as the label `observer`.
    public var observer: String?
    public var version: String
    public var libpcap: String
    /// What is watched: `interface eth0`, or the files read.
    public var source: String
    /// `--metrics-interval` (offline: the file is written once, at the end).
    public var interval: Double
    /// Open incidents written one series per node at fault, at most this many.
    public static let maxIncidentSeries = 64
    /// The highest estimate of addresses beyond the cap written so far: the counter
    /// never goes down (the estimate may dip where its method changes).
    private var beyondCap = 0

    public init(observer: String?, version: String, libpcap: String, source: String, interval: Double) {
        self.observer = observer
        self.version = version
        self.libpcap = libpcap
        self.source = source
        self.interval = interval
    }

    /// The whole file. `now` is the time the state is read at (live: the wall clock;
    /// offline: the capture's last packet), `written` the wall clock.
    public func render(summary: Summary, analyzer: ElectionAnalyzer, engine: DiagnosisEngine?, report: ElectionReport,
                       now: Timestamp, written: Timestamp) -> String {
        var out = Exposition(observer: observer)

        out.family("peersniff_info", .gauge, "The sensor: peersniff's and libpcap's versions, and what it watches.")
        out.sample("peersniff_info", [("version", version), ("libpcap", libpcap), ("source", source)], 1)
        out.family("peersniff_last_update_timestamp_seconds", .gauge, "When peersniff last wrote this file (Unix time).")
        out.sample("peersniff_last_update_timestamp_seconds", [], seconds(written))
        out.family("peersniff_metrics_interval_seconds", .gauge, "How often peersniff rewrites this file while it runs.")
        out.sample("peersniff_metrics_interval_seconds", [], interval)
        out.family("peersniff_registry_timeout_seconds", .gauge, "The registry timeout T: how long a due FULL may take (a liveness round is 5 T).")
        out.sample("peersniff_registry_timeout_seconds", [], analyzer.thresholds.registryTimeout)
        out.family("peersniff_conflict_window_seconds", .gauge, "FULLs from two senders closer than this are a registry conflict.")
        out.sample("peersniff_conflict_window_seconds", [], analyzer.thresholds.conflictWindow)
        if let last = summary.lastTime {
            out.family("peersniff_last_packet_timestamp_seconds", .gauge, "Capture time of the latest discovery packet (Unix time).")
            out.sample("peersniff_last_packet_timestamp_seconds", [], seconds(last))
        }

        // Counts of the traffic.
        out.family("peersniff_packets_read_total", .counter, "Packets read from the capture (those the filter let through).")
        out.sample("peersniff_packets_read_total", [], Double(summary.packetsRead))
        out.family("peersniff_packets_matched_total", .counter, "Packets of discovery datagrams (every IP fragment counted).")
        out.sample("peersniff_packets_matched_total", [], Double(summary.packetsMatched))
        out.family("peersniff_frames_total", .counter, "Discovery frames decoded, by type.")
        for type in FrameType.allCases {
            out.sample("peersniff_frames_total", [("type", type.name)], Double(summary.framesByType[type.index]))
        }
        out.family("peersniff_malformed_total", .counter, "Datagrams on the discovery port that did not decode, by reason.")
        for reason in MalformationReason.allCases {
            out.sample("peersniff_malformed_total", [("reason", reason.description)], Double(summary.malformedByReason[reason.index]))
        }
        out.family("peersniff_warnings_total", .counter, "Frames decoded with a warning, by warning code.")
        for (index, entry) in FrameWarnings.all.enumerated() {
            out.sample("peersniff_warnings_total", [("code", entry.code.description)], Double(summary.warningsByCode[index]))
        }
        out.family("peersniff_events_total", .counter, "Election events, by kind.")
        for kind in ElectionEventKind.allCases {
            out.sample("peersniff_events_total", [("event", kind.rawValue)], Double(analyzer.eventCount(kind)))
        }
        if let received = summary.kernelReceived {
            out.family("peersniff_kernel_received_total", .counter, "Packets the kernel's filter passed to the capture (pcap_stats).")
            out.sample("peersniff_kernel_received_total", [], Double(received))
            out.family("peersniff_kernel_dropped_total", .counter, "Packets the kernel dropped because the capture buffer was full (pcap_stats).")
            out.sample("peersniff_kernel_dropped_total", [], Double(summary.kernelDropped ?? 0))
            out.family("peersniff_interface_dropped_total", .counter, "Packets the interface or its driver dropped (pcap_stats).")
            out.sample("peersniff_interface_dropped_total", [], Double(summary.interfaceDropped ?? 0))
        }

        // The nodes.
        out.family("peersniff_nodes_live", .gauge, "Nodes in the live set: sent a frame or were listed in a FULL, and not declared offline since.")
        out.sample("peersniff_nodes_live", [], Double(analyzer.liveCount))
        out.family("peersniff_nodes_kept", .gauge, "Nodes peersniff keeps (live or not).")
        out.sample("peersniff_nodes_kept", [], Double(analyzer.nodes.count))
        out.family("peersniff_nodes_max", .gauge, "The node cap (--max-nodes).")
        out.sample("peersniff_nodes_max", [], Double(analyzer.maxNodes))
        beyondCap = max(beyondCap, analyzer.flood.distinctAddresses)
        out.family("peersniff_addresses_beyond_cap_total", .counter, "Distinct addresses seen beyond the node cap (estimated; an address flood makes it rise).")
        out.sample("peersniff_addresses_beyond_cap_total", [], Double(beyondCap))

        // The registry.
        if let registry = analyzer.confirmedRegistry {
            out.family("peersniff_registry_info", .gauge, "The registry: the sender of the latest FULL.")
            out.sample("peersniff_registry_info", [("address", registry.description), ("name", name(of: registry, analyzer))], 1)
        }
        out.family("peersniff_registry_is_lowest", .gauge, "1 when the registry is the lowest address in the live set, as the election wants.")
        out.sample("peersniff_registry_is_lowest", [], analyzer.confirmedRegistry != nil && analyzer.confirmedRegistry == analyzer.lowest ? 1 : 0)
        if let lastFull = analyzer.lastFullTime {
            out.family("peersniff_last_full_timestamp_seconds", .gauge, "Capture time of the latest FULL (Unix time).")
            out.sample("peersniff_last_full_timestamp_seconds", [], seconds(lastFull))
            out.family("peersniff_seconds_since_last_full", .gauge, "Seconds from the latest FULL to the time this file was written (offline: to the last packet).")
            out.sample("peersniff_seconds_since_last_full", [], max(0, now.seconds(since: lastFull)))
        }
        if let lastFrame = engine?.lastFrameTime {
            out.family("peersniff_last_discovery_frame_timestamp_seconds", .gauge, "Capture time of the last discovery frame (Unix time).")
            out.sample("peersniff_last_discovery_frame_timestamp_seconds", [], seconds(lastFrame))
            out.family("peersniff_seconds_since_last_discovery_frame", .gauge, "Seconds from the last discovery frame to the time this file was written (offline: to the last packet): a silent LAN makes it grow.")
            out.sample("peersniff_seconds_since_last_discovery_frame", [], max(0, now.seconds(since: lastFrame)))
        }
        out.family("peersniff_registry_changes_total", .counter, "Times a FULL came from another sender than the previous FULL.")
        out.sample("peersniff_registry_changes_total", [], Double(analyzer.eventCount(.registryChanged)))

        // What is wrong now, and what went wrong.
        let live = engine?.openIncidentList(now: now) ?? []
        let owing = live.filter(\.owesFull)
        if !owing.isEmpty {
            out.family("peersniff_registry_answer_wait_seconds", .gauge, "Seconds a due FULL has been owed by the node that should send it (present only while one is owed).")
            var seen = Set<IPv4Address>()
            for incident in owing where seen.insert(incident.ips[0]).inserted {
                let ip = incident.ips[0]
                out.sample("peersniff_registry_answer_wait_seconds", [("address", ip.description), ("name", name(of: ip, analyzer))],
                           max(0, now.seconds(since: incident.since)))
            }
        }
        let open = engine?.goingOn(diagnoses: report.diagnoses, following: live) ?? []
        out.family("peersniff_open_incidents", .gauge, "Incidents going on now, by diagnosis code.")
        for code in DiagnosisCode.allCases {
            out.sample("peersniff_open_incidents", [("code", code.rawValue), ("severity", code.severity.rawValue)],
                       Double(open.filter { $0.code == code }.count))
        }
        // One series per open incident and node at fault (both registries of a split).
        var incidentSeries: [(code: DiagnosisCode, ip: IPv4Address)] = []
        var omitted = 0
        for incident in open {
            let atFault = incident.code == .splitBrain ? incident.ips : [incident.ips[0]]
            for ip in atFault where !incidentSeries.contains(where: { $0.code == incident.code && $0.ip == ip }) {
                if incidentSeries.count < MetricsExposition.maxIncidentSeries { incidentSeries.append((incident.code, ip)) } else { omitted += 1 }
            }
        }
        if !incidentSeries.isEmpty {
            out.family("peersniff_open_incident_info", .gauge, "An incident going on now, and the node at fault.")
            for (code, ip) in incidentSeries {
                out.sample("peersniff_open_incident_info", [("code", code.rawValue), ("severity", code.severity.rawValue),
                                                            ("address", ip.description), ("name", name(of: ip, analyzer))], 1)
            }
        }
        out.family("peersniff_diagnoses", .gauge, "Diagnoses made so far in this run, by code (an incident may still be explained by a later one).")
        for code in DiagnosisCode.allCases {
            out.sample("peersniff_diagnoses", [("code", code.rawValue), ("severity", code.severity.rawValue)],
                       Double(report.diagnoses.filter { $0.code == code }.count))
        }

        // Per node, keyed by address: every node kept, or while the table is full (a
        // flood), those heard from twice or listed by another.
        let crowded = analyzer.isCrowded || !analyzer.flood.isEmpty
        let nodes = analyzer.nodes.values.filter { !crowded || $0.isConfirmed }.sorted { $0.ip < $1.ip }
        if !nodes.isEmpty {
            out.family("peersniff_node_info", .gauge, "A node and its latest name.")
            for node in nodes {
                out.sample("peersniff_node_info", [("address", node.ip.description), ("name", name(of: node))], 1)
            }
            out.family("peersniff_node_live", .gauge, "1 while the node is in the live set.")
            for node in nodes {
                out.sample("peersniff_node_live", [("address", node.ip.description)], node.live ? 1 : 0)
            }
            out.family("peersniff_node_last_frame_timestamp_seconds", .gauge, "Capture time of the node's latest frame (Unix time).")
            for node in nodes {
                guard let last = node.lastSent else { continue }
                out.sample("peersniff_node_last_frame_timestamp_seconds", [("address", node.ip.description)], seconds(last))
            }
        }

        // Bounds that were reached: said, never silent.
        out.family("peersniff_metrics_series_omitted", .gauge, "Series left out of this file to keep it bounded, by family (per node: nodes heard from once during a flood).")
        out.sample("peersniff_metrics_series_omitted", [("family", "peersniff_open_incident_info")], Double(omitted))
        out.sample("peersniff_metrics_series_omitted", [("family", "peersniff_node_info")], Double(analyzer.nodes.count - nodes.count))
        if !report.limitsReached.isEmpty {
            out.family("peersniff_limits_reached", .gauge, "Bounds peersniff reached, and how much each left out.")
            for (limit, count) in report.limitsReached {
                out.sample("peersniff_limits_reached", [("limit", limit)], Double(count))
            }
        }
        return out.text
    }

    func seconds(_ time: Timestamp) -> Double { Double(time.seconds) + Double(time.nanoseconds) / 1e9 }

    func name(of ip: IPv4Address, _ analyzer: ElectionAnalyzer) -> String {
        analyzer.nodes[ip].map { name(of: $0) } ?? ""
    }

    /// A name from the network, made safe to show: controls and invisible characters
    /// visible as on a terminal, bytes that are not UTF-8 as U+FFFD.
    func name(of node: Node) -> String {
        node.name.map { terminalSafe($0.description, quoting: false) } ?? ""
    }
}

/// The text being built: families and samples, every sample with the observer label.
struct Exposition {
    enum Kind: String { case counter, gauge }
    var text = ""
    let common: String

    init(observer: String?) {
        // Made visible as node names are (controls, bidi marks), then escaped.
        common = observer.map { "observer=\"\(Exposition.escape(terminalSafe($0, quoting: false)))\"" } ?? ""
        text.reserveCapacity(16 * 1024)
    }

    mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        text += "# HELP \(name) \(Exposition.escape(help, quote: false))\n# TYPE \(name) \(kind.rawValue)\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        text += name
        if !common.isEmpty || !labels.isEmpty {
            text += "{"
            var first = true
            if !common.isEmpty { text += common; first = false }
            for (label, value) in labels {
                if !first { text += "," }
                first = false
                text += "\(label)=\"\(Exposition.escape(value))\""
            }
            text += "}"
        }
        text += " \(Exposition.format(value))\n"
    }

    /// A label value (`\`, `"` and line feed escaped, as the format requires), or HELP
    /// text (`quote: false`: `\` and line feed only).
    static func escape(_ value: String, quote: Bool = true) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"" where quote: out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Integers without a fraction, others as Swift writes them (Go's parser reads both).
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf") }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
