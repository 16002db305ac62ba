import WireBytes

extension Frame {
    /// The frame's bytes as the firmware puts them on the wire. Lengths are single
    /// bytes, so a name is cut to 255 bytes and a FULL to 255 entries here; the
    /// firmware's own limits (32 bytes, 51 entries) are the caller's to keep, so that
    /// tests can build frames that break them.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    /// Appends the frame's bytes to `out`.
    public func encode(into out: inout [UInt8]) {
        switch self {
        case let .hello(name):
            out.append(FrameType.hello.rawValue)
            appendName(name, to: &out)
        case let .full(peers):
            out.append(FrameType.full.rawValue)
            let count = min(peers.count, 255)
            out.append(UInt8(count))
            for peer in peers.prefix(count) {
                appendIP(peer.ip, to: &out)
                appendName(peer.name, to: &out)
            }
        case .ping:
            out.append(FrameType.ping.rawValue)
        case .pong:
            out.append(FrameType.pong.rawValue)
        case let .offline(ip):
            out.append(FrameType.offline.rawValue)
            appendIP(ip, to: &out)
        case let .legacy(value):
            value.write(to: &out)
        }
    }
}

private func appendName(_ name: Name, to out: inout [UInt8]) {
    let bytes = name.bytes.prefix(255)
    out.append(UInt8(bytes.count))
    out.append(contentsOf: bytes)
}

private func appendIP(_ ip: IPv4Address, to out: inout [UInt8]) {
    out.append(UInt8(ip.value >> 24))
    out.append(UInt8(ip.value >> 16 & 0xFF))
    out.append(UInt8(ip.value >> 8 & 0xFF))
    out.append(UInt8(ip.value & 0xFF))
}

/// How the firmware cuts a name: to 32 characters, then to 32 bytes (which can
/// end inside a character).
public func firmwareName(_ text: String) -> Name {
    let characters = String(text.prefix(FirmwareLimits.maxNameBytes))
    return Name(bytes: Array(characters.utf8.prefix(FirmwareLimits.maxNameBytes)))
}
