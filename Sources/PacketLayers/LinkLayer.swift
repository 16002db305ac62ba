import WireBytes

/// The link-layer framings peersniff reads (libpcap's DLT_ values).
public enum LinkType: Sendable, Equatable {
    /// DLT_EN10MB: Ethernet II, with any number of 802.1Q / 802.1ad (QinQ) tags.
    case ethernet
    /// DLT_LINUX_SLL: Linux cooked capture v1, what `-i any` gave before libpcap 1.10.
    case linuxSLL
    /// DLT_LINUX_SLL2: Linux cooked capture v2, what `-i any` gives now.
    case linuxSLL2
    /// DLT_RAW, DLT_IPV4, DLT_IPV6: the packet starts with the IP header.
    case raw
    /// DLT_NULL: BSD loopback, a 4-byte address family in the capturing host's byte order.
    case null
    /// DLT_LOOP: OpenBSD loopback, the same family in network byte order.
    case loop

    /// The link type of a libpcap DLT value; nil if peersniff does not read it.
    public init?(dlt: Int32) {
        switch dlt {
        case 1: self = .ethernet
        case 113: self = .linuxSLL
        case 276: self = .linuxSLL2
        case 12, 14, 101, 228, 229: self = .raw
        case 0: self = .null
        case 108: self = .loop
        default: return nil
        }
    }
}

/// What the link layer carries.
public enum NetworkLayer {
    case ipv4(UnsafeRawBufferPointer)
    case ipv6(UnsafeRawBufferPointer)
    /// ARP, another protocol, or a link header cut short.
    case other
}

private let etherTypeIPv4: UInt16 = 0x0800
private let etherTypeIPv6: UInt16 = 0x86DD

/// Finds the network layer inside a captured frame, in place.

public func networkLayer(of frame: UnsafeRawBufferPointer, link: LinkType) -> NetworkLayer {
    switch link {
    case .ethernet:
        guard frame.count >= 14 else { return .other }
        var offset = 12
        var etherType = frame.loadBigEndianUInt16(at: offset)
        // 802.1Q (0x8100), 802.1ad QinQ (0x88A8) and the old QinQ 0x9100: 4 bytes each.
        while etherType == 0x8100 || etherType == 0x88A8 || etherType == 0x9100 {
            offset += 4
            guard frame.count >= offset + 2 else { return .other }
            etherType = frame.loadBigEndianUInt16(at: offset)
        }
        return classify(etherType: etherType, frame, payloadAt: offset + 2)
    case .linuxSLL:
        guard frame.count >= 16 else { return .other }
        return classify(etherType: frame.loadBigEndianUInt16(at: 14), frame, payloadAt: 16)
    case .linuxSLL2:
        guard frame.count >= 20 else { return .other }
        return classify(etherType: frame.loadBigEndianUInt16(at: 0), frame, payloadAt: 20)
    case .raw:
        guard let first = frame.first else { return .other }
        switch first >> 4 {
        case 4: return .ipv4(frame)
        case 6: return .ipv6(frame)
        default: return .other
        }
    case .null, .loop:
        guard frame.count >= 4 else { return .other }
        // The family is in the writer's byte order for NULL: accept either order.
        let family = link == .loop ? frame.loadBigEndianUInt32(at: 0) : {
            let little = frame.loadLittleEndianUInt32(at: 0)
            return little <= 0xFFFF ? little : frame.loadBigEndianUInt32(at: 0)
        }()
        let rest = UnsafeRawBufferPointer(rebasing: frame[4...])
        switch family {
        case 2: return .ipv4(rest)                // AF_INET everywhere
        case 10, 24, 28, 30: return .ipv6(rest)   // AF_INET6: Linux, NetBSD/OpenBSD, FreeBSD, macOS
        default: return .other
        }
    }
}

func classify(etherType: UInt16, _ frame: UnsafeRawBufferPointer, payloadAt offset: Int) -> NetworkLayer {
    guard frame.count >= offset else { return .other }
    let rest = UnsafeRawBufferPointer(rebasing: frame[offset...])
    switch etherType {
    case 0x0800: return .ipv4(rest)
    case 0x86DD: return .ipv6(rest)
    default: return .other
    }
}
