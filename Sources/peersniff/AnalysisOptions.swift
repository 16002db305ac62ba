import Analyzer
import ArgumentParser
import Output

/// The thresholds the rules measure with, the node cap, and when a run fails.
struct AnalysisOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Exit with status 3 if the run saw malformed datagrams ('malformed') or made a diagnosis of severity warning or error ('anomaly'). Repeatable.", valueName: "what"))
    var failOn: [FailCondition] = []

    enum FailCondition: String, ExpressibleByArgument, CaseIterable { case malformed, anomaly }

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Seconds a due FULL may take before registry-silent.", valueName: "seconds"))
    var registryTimeout: Double = 3

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("FULLs from two senders closer than this are a registry-conflict.", valueName: "seconds"))
    var conflictWindow: Double = 5

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Keep at most this many nodes (default 4096; the firmware lists at most 51). Addresses beyond are counted and named in an address-flood diagnosis, not kept.", valueName: "count"))
    var maxNodes: Int = ElectionAnalyzer.defaultMaxNodes

    /// The most nodes `--max-nodes` keeps: the memory and the metrics file this takes
    /// are in the README ("The node cap").
    static let maxNodesLimit = 65_536

    func validate() throws {
        if !(registryTimeout > 0) || !registryTimeout.isFinite { throw ValidationError("--registry-timeout needs a positive number of seconds.") }
        if !(conflictWindow > 0) || !conflictWindow.isFinite { throw ValidationError("--conflict-window needs a positive number of seconds.") }
        if maxNodes < 2 || maxNodes > Self.maxNodesLimit { throw ValidationError("--max-nodes needs a count from 2 to \(Self.maxNodesLimit).") }
    }

    var thresholds: ElectionAnalyzer.Thresholds { .init(registryTimeout: registryTimeout, conflictWindow: conflictWindow) }

    /// `--fail-on`: malformed datagrams; or anomalies: a diagnosis of severity
    /// `warning` or `error`.
    func failed(_ summary: Summary) -> Bool {
        if failOn.contains(.malformed), summary.malformed > 0 { return true }
        if failOn.contains(.anomaly), let worst = summary.election?.worstSeverity, worst >= .warning { return true }
        return false
    }
}
