import Capture
import Output
import PacketLayers
import WireBytes

/// One capture file being read: its libpcap handle, its filter, where it stands.
final class FileInput {
    let handle: PcapHandle
    let filter: PacketFilter
    /// With -f: peersniff's own filter alone, to count the discovery packets -f leaves out.
    var discoveryOnly: BPFProgram?
    var leftOut = 0
    let state: Pipeline.SourceState
    var current: CapturedPacket?
    var read = 0
    var error: String?

    init(handle: PcapHandle, filter: PacketFilter, state: Pipeline.SourceState) {
        self.handle = handle
        self.filter = filter
        self.state = state
    }

    /// Reads until the next packet that passes the filter. Every packet read counts
    /// (`read`), so that numbers are Wireshark's. The time of a packet that does not
    /// pass goes to `clock`.
    func advance(clock: ElectionBridge?) {
        current = nextMatching(clock: clock)
    }

    /// The next packet that passes the filter (nil at the end or at an error), handed
    /// straight to the caller: the single input's reading loop keeps none.
    @inline(__always)
    func nextMatching(clock: ElectionBridge?) -> CapturedPacket? {
        while error == nil {
            switch handle.next() {
            case let .packet(packet):
                read += 1
                if filter.matches(packet) { return packet }
                // Not discovery traffic (or left out by -f), but its time still moves
                // the clock (deadlines).
                if let discoveryOnly, discoveryOnly.matches(packet) { leftOut += 1 }
                clock?.clock(packet.time)
            case .end, .timeout:
                return nil
            case let .failed(message):
                let where_ = handle.name == "-" ? "standard input" : handle.name
                error = "\(where_): packet \(read + 1): \(message)"
            }
        }
        return nil
    }
}

/// `-r FILE [-r FILE ...]`: reads capture files through the pipeline, merged by
/// timestamp when there are several.
public struct OfflineReader {
    public let paths: [PathName]
    public let options: Options
    /// A progress line on standard error (the caller decides when it is wanted).
    public var progress: ProgressLine?

    public init(paths: [PathName], options: Options) {
        self.paths = paths
        self.options = options
    }

    /// Opens every input first (so that a bad one stops the run before any output),
    /// then reads them all. Returns the read errors met along the way: the frames
    /// before each error have been reported.
    public func run(pipeline: Pipeline) throws(CaptureError) -> [String] {
        var inputs: [FileInput] = []
        let several = paths.count > 1
        for path in paths {
            let handle = try PcapHandle.openOffline(path)
            let name = path.isStandardStream ? "standard input" : path.display
            let dlt = handle.linkType
            guard let link = LinkType(dlt: dlt) else {
                throw CaptureError(.unsupportedLinkType,
                                   "\(name): link type \(PcapHandle.linkTypeName(dlt)) is not supported; peersniff reads Ethernet (with 802.1Q/QinQ), Linux cooked (SLL, SLL2), raw IP and BSD loopback (NULL, LOOP)")
            }
            // peersniff's own filter first: if libpcap cannot filter this link type, that is
            // the file's fault (exit 1), not the user's expression's (exit 2).
            guard (try? handle.compile(discoveryFilter(port: options.port, link: link, extra: nil))) != nil else {
                throw CaptureError(.unsupportedLinkType,
                                   "\(name): link type \(PcapHandle.linkTypeName(dlt)) cannot be filtered by libpcap (\(handle.lastError)); peersniff cannot read it")
            }
            if let extra = options.extraFilter, !extra.isEmpty {
                // Compiled alone first, so that a mistake is reported in the user's own words.
                _ = try handle.compile(extra)
            }
            let filter = PacketFilter(program: try handle.compile(discoveryFilter(port: options.port, link: link, extra: options.extraFilter)),
                                      port: options.port, link: link, extra: options.extraFilter)
            let input = FileInput(handle: handle, filter: filter, state: Pipeline.SourceState(link: link, label: several ? name : nil, index: inputs.count))
            if let extra = options.extraFilter, !extra.isEmpty {
                input.discoveryOnly = try handle.compile(discoveryFilter(port: options.port, link: link, extra: nil))
            }
            inputs.append(input)
        }
        try pipeline.inputsOpened(inputs.map {
            InputFormat(name: $0.handle.name, linkType: $0.handle.linkType, snapLength: $0.handle.snapLength, precision: $0.handle.precision)
        })

        // Every input's packets read so far.
        @inline(__always) func read() -> Int { inputs.reduce(0) { $0 + $1.read } }
        // The progress line, when the inputs' sizes are known; checked every 4096 packets.
        let sized = progress != nil && inputs.allSatisfy { $0.handle.fileProgress?.size != nil }
        let total = sized ? inputs.reduce(0) { $0 + ($1.handle.fileProgress?.size ?? 0) } : 0
        var sinceCheck = 0
        @inline(__always) func between() {
            if reopenRequested != 0, ReopenSignal.take() {
                // The metrics file written now shows the packets read so far.
                pipeline.setRead(read())
                pipeline.reopen()
            }
            if statusRequested != 0, StatusSignal.take() {
                progress?.finish()
                writeStandardError(pipeline.statusLine(read: read()))
            }
            guard sized else { return }
            sinceCheck += 1
            if sinceCheck >= 4096 {
                sinceCheck = 0
                let position = inputs.reduce(0) { $0 + ($1.handle.fileProgress?.position ?? 0) }
                progress?.update(position: position, size: total, packets: read())
            }
        }
        defer { progress?.finish() }
        let consumer = pipeline.consumer
        if inputs.count == 1 {
            let input = inputs[0]
            while !pipeline.limitReached {
                guard let packet = input.nextMatching(clock: consumer) else { break }
                pipeline.process(packet, number: input.read, source: input.state)
                between()
            }
        } else {
            for input in inputs { input.advance(clock: consumer) }
            while !pipeline.limitReached {
                // The input whose next packet is earliest; ties go to the earlier file.
                var next: FileInput? = nil
                for input in inputs {
                    guard let packet = input.current else { continue }
                    if next == nil || packet.time < next!.current!.time { next = input }
                }
                guard let input = next, let packet = input.current else { break }
                pipeline.process(packet, number: input.read, source: input.state)
                input.advance(clock: consumer)
                between()
            }
        }
        if !pipeline.limitReached {
            for input in inputs { pipeline.finish(source: input.state) }
        }
        pipeline.setRead(read())
        pipeline.setLeftOutByFilter(inputs.reduce(0) { $0 + $1.leftOut })
        return inputs.compactMap(\.error)
    }
}
