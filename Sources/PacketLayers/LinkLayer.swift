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

/// Finds the network layer inside a captured frame, in place. Every read is checked:
/// a link header cut short is `.other`.
@inlinable @inline(__always)
public func networkLayer(of frame: UnsafeRawBufferPointer, link: LinkType) -> NetworkLayer {
    var reader = ByteReader(frame)
    switch link {
    case .ethernet:
        // Destination and source addresses, then the EtherType.
        guard reader.moveReaderIndex(forwardBy: 12), var etherType = reader.readInteger(as: UInt16.self) else { return .other }
        // 802.1Q (0x8100), 802.1ad QinQ (0x88A8) and the old QinQ 0x9100: 4 bytes
        // each, the tag's 2 bytes of priority and VLAN and the next EtherType.
        while etherType == 0x8100 || etherType == 0x88A8 || etherType == 0x9100 {
            guard let (_, next) = reader.readMultipleIntegers(as: (UInt16, UInt16).self) else { return .other }
            etherType = next
        }
        return classify(etherType: etherType, reader.readableBytesView)
    case .linuxSLL:
        // Packet type, address type, address length and 8 address bytes, then the protocol.
        guard reader.moveReaderIndex(forwardBy: 14), let etherType = reader.readInteger(as: UInt16.self) else { return .other }
        return classify(etherType: etherType, reader.readableBytesView)
    case .linuxSLL2:
        // The protocol first, then 18 bytes of interface, types and address.
        guard let etherType = reader.readInteger(as: UInt16.self), reader.moveReaderIndex(forwardBy: 18) else { return .other }
        return classify(etherType: etherType, reader.readableBytesView)
    case .raw:
        guard let first = reader.peekInteger(as: UInt8.self) else { return .other }
        switch first >> 4 {
        case 4: return .ipv4(frame)
        case 6: return .ipv6(frame)
        default: return .other
        }
    case .null, .loop:
        guard let little = reader.readInteger(endianness: .little, as: UInt32.self) else { return .other }
        let big = little.byteSwapped
        // The family is in the writer's byte order for NULL: accept either order.
        let family = link == .loop ? big : little <= 0xFFFF ? little : big
        let rest = reader.readableBytesView
        switch family {
        case 2: return .ipv4(rest)                // AF_INET everywhere
        case 10, 24, 28, 30: return .ipv6(rest)   // AF_INET6: Linux, NetBSD/OpenBSD, FreeBSD, macOS
        default: return .other
        }
    }
}

/// The network layer an EtherType names, `rest` being the bytes after the link header.
@inlinable
func classify(etherType: UInt16, _ rest: UnsafeRawBufferPointer) -> NetworkLayer {
    switch etherType {
    case 0x0800: return .ipv4(rest)
    case 0x86DD: return .ipv6(rest)
    default: return .other
    }
}
