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
    /// `-w FILE`: save every matched packet.
    public var writePath: PathName? = nil
    /// `--write-malformed FILE`: save the packets behind malformed records and frames with warnings.
    public var writeMalformedPath: PathName? = nil
    /// `--append`: `-w`, `--write-malformed` (and `-o`) add to files already there.
    public var append = false

    public init() {}
}
