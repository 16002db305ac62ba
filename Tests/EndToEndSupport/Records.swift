import Foundation

// What a run of peersniff printed, read as records.

extension RunResult {
    public func recordsOfKind(_ kind: String) -> [[String: Any]] { records.filter { $0["kind"] as? String == kind } }
    public var frameRecords: [[String: Any]] { recordsOfKind("frame") }
    public var malformedRecords: [[String: Any]] { recordsOfKind("malformed") }
    public var summaryRecord: [String: Any]? { recordsOfKind("summary").last }
    /// Standard error's non-empty lines.
    public var errorLines: [String] { stderr.split(separator: "\n").map(String.init).filter { !$0.isEmpty } }
    /// Discovery records (frames and malformed) in output order.
    public var datagramRecords: [[String: Any]] { records.filter { ["frame", "malformed"].contains($0["kind"] as? String) } }
}

/// A record's fields the tests compare, as plain values.
public struct RecordFields: Equatable, Sendable, CustomStringConvertible {
    public var kind: String
    public var n: Int
    public var src: String
    public var dst: String
    public var sport: Int
    public var dport: Int
    public var type: String?

    public init(kind: String = "frame", n: Int, src: String, dst: String, sport: Int, dport: Int, type: String? = nil) {
        self.kind = kind; self.n = n; self.src = src; self.dst = dst; self.sport = sport; self.dport = dport; self.type = type
    }

    public init(_ record: [String: Any]) {
        kind = record["kind"] as? String ?? "?"
        n = record["n"] as? Int ?? -1
        src = record["src"] as? String ?? "?"
        dst = record["dst"] as? String ?? "?"
        sport = record["sport"] as? Int ?? -1
        dport = record["dport"] as? Int ?? -1
        type = record["type"] as? String ?? record["reason"] as? String
    }

    public var description: String { "\(kind) n=\(n) \(src):\(sport) → \(dst):\(dport) \(type ?? "")" }
}

/// A summary's nested count, e.g. `summaryCount(summary, "checksums", "offloaded")`.
public func summaryCount(_ summary: [String: Any]?, _ group: String, _ key: String) -> Int {
    (summary?[group] as? [String: Any])?[key] as? Int ?? 0
}

/// A run of `peersniff -r PATH --json` plus any extra arguments.
public func peersniffJSON(_ path: String, _ extra: [String] = [], stdin: Data? = nil) throws -> RunResult {
    try runPeersniff(["-r", path, "--json"] + extra, stdin: stdin)
}
