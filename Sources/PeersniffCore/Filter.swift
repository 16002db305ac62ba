import PacketLayers

/// The BPF expression peersniff hands libpcap: UDP to or from the discovery port,
/// plus every IPv4 fragment that is not the first (later fragments carry no UDP
/// header, so their port cannot be seen), repeated under one and two VLAN tags on
/// Ethernet. The user's `-f` expression is ANDed with it.
public func discoveryFilter(port: UInt16, link: LinkType? = .ethernet, extra: String? = nil) -> String {
    let inner = "udp port \(port) or (ip[6:2] & 0x3fff != 0)"
    var expression = "(\(inner))"
    if link == .ethernet {
        expression = "(\(inner)) or (vlan and ((\(inner)) or (vlan and (\(inner)))))"
    }
    // The user's expression comes first: libpcap's `vlan` keyword shifts the offsets
    // of everything compiled after it. (On VLAN-tagged traffic it is therefore read
    // at untagged offsets; peersniff's own part still finds the tagged frames.)
    if let extra, !extra.isEmpty {
        expression = "(\(extra)) and (\(expression))"
    }
    return expression
}
