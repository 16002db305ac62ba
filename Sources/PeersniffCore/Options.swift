import WireBytes
import DiscoveryCodec

/// What a run was asked to do, independent of how it was asked.
public struct Options: Sendable {
    /// The discovery port (`--port`).
    public var port: UInt16 = FirmwareLimits.port
    /// The user's extra BPF expression (`-f`), ANDed with peersniff's.
    public var extraFilter: String? = nil
    /// `--no-verify-checksums` turns this off.
    public var verifyChecksums = true
    /// `-c N`: stop after N discovery datagrams (frames and malformed).
    public var countLimit: Int? = nil
    /// Several inputs, one LAN: the same datagram seen in two is analysed once
    /// (`--keep-duplicates` turns this off).
    public var dropDuplicates = false

    public init() {}
}
