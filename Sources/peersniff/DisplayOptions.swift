import ArgumentParser
import Output
import WireBytes

/// What is printed, as tshark's `-Y`: the analysis runs on everything, only the
/// frames, events and incidents that match are shown (text, JSON Lines, the malformed
/// report); the page highlights them and the summary says what was held back. `-f`
/// by contrast chooses what is analysed.
struct DisplayOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Show only what is about this node: frames it sent or that were sent to it, OFFLINEs about it, events and incidents naming it. Repeatable.", valueName: "ip"))
    var node: [String] = []

    @Option(name: .long, help: ArgumentHelp("Show only this kind of record: HELLO, FULL, PING, PONG, OFFLINE, LEGACY, malformed, event (or one event's name, such as node-declared-offline), incident. Repeatable.", valueName: "type"))
    var type: [String] = []

    @Option(name: .long, help: ArgumentHelp("Show only what happened from this time: a clock time in UTC as the output writes it (12:45:06.49), a whole RFC 3339 time, or +SECONDS from the first packet.", valueName: "time"))
    var since: String?

    @Option(name: .long, help: ArgumentHelp("Show only what happened until this time (as --since).", valueName: "time"))
    var until: String?

    func validate() throws {
        for address in node where IPv4Address(address) == nil { throw ValidationError("--node needs an IPv4 address, not '\(address)'.") }
        for word in type where DisplayFilter.Kind(word) == nil {
            throw ValidationError("--type: '\(word)' is not a kind of record; one of \(DisplayFilter.Kind.words.joined(separator: ", ")).")
        }
        for (option, value) in [("--since", since), ("--until", until)] {
            if let value, DisplayFilter.TimeBound(value) == nil {
                throw ValidationError("\(option) needs a clock time (12:45:06 or 12:45:06.49, UTC), an RFC 3339 time (2026-11-25T12:45:06Z) or +SECONDS, not '\(value)'.")
            }
        }
        if let since, let until, let low = DisplayFilter.TimeBound(since), let high = DisplayFilter.TimeBound(until),
           case let (.fromStart(a), .fromStart(b)) = (low.kind, high.kind), b < a {
            throw ValidationError("--until +\(b) comes before --since +\(a).")
        }
    }

    /// The filter, or nil when nothing was asked.
    var filter: DisplayFilter? {
        let filter = DisplayFilter(nodes: Set(node.compactMap { IPv4Address($0) }), kinds: Set(type.compactMap { DisplayFilter.Kind($0) }),
                                   since: since.flatMap { DisplayFilter.TimeBound($0) }, until: until.flatMap { DisplayFilter.TimeBound($0) })
        return filter.isEmpty ? nil : filter
    }
}
