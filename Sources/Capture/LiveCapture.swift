import CPcap
import WireBytes
#if canImport(Glibc)
import Glibc
#endif

/// One interface libpcap can capture on (`-D`).
public struct CaptureInterface: Sendable {
    public var name: String
    public var description: String?
    public var addresses: [String]
    public var isUp: Bool
    public var isRunning: Bool
    public var isLoopback: Bool
}

/// The kernel's counts for a live capture (pcap_stats).
public struct KernelStatistics: Sendable {
    public var received: Int
    public var dropped: Int
    public var interfaceDropped: Int
}

extension PcapHandle {
    /// Every interface libpcap can open, as `pcap_findalldevs` lists them.
    public static func interfaces() throws(CaptureError) -> [CaptureInterface] {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        var list: UnsafeMutablePointer<pcap_if_t>? = nil
        guard pcap_findalldevs(&list, &errorBuffer) == 0 else {
            throw CaptureError(.cannotOpen, "cannot list interfaces: \(errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })")
        }
        defer { pcap_freealldevs(list) }
        var result: [CaptureInterface] = []
        var current = list
        while let device = current {
            let d = device.pointee
            var addresses: [String] = []
            var address = d.addresses
            while let a = address {
                if let text = socketAddressText(a.pointee.addr) { addresses.append(text) }
                address = a.pointee.next
            }
            result.append(CaptureInterface(
                name: String(cString: d.name),
                description: d.description.map { String(cString: $0) },
                addresses: addresses,
                isUp: d.flags & UInt32(PCAP_IF_UP) != 0,
                isRunning: d.flags & UInt32(PCAP_IF_RUNNING) != 0,
                isLoopback: d.flags & UInt32(PCAP_IF_LOOPBACK) != 0))
            current = d.next
        }
        return result
    }

    /// Opens an interface for live capture: promiscuous, immediate mode (each packet
    /// is delivered at once), nanosecond timestamps where the kernel gives them, and a
    /// short read timeout so that deadlines and signals are seen while idle.
    public static func openLive(_ interface: String, snapLength: Int32 = 262_144, readTimeoutMilliseconds: Int32 = 100) throws(CaptureError) -> PcapHandle {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_create(interface, &errorBuffer) else {
            throw CaptureError(.cannotOpen, "\(interface): \(errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })")
        }
        pcap_set_snaplen(handle, snapLength)
        pcap_set_promisc(handle, 1)
        pcap_set_immediate_mode(handle, 1)
        pcap_set_timeout(handle, readTimeoutMilliseconds)
        pcap_set_buffer_size(handle, 8 << 20)
        let nano = pcap_set_tstamp_precision(handle, Int32(PCAP_TSTAMP_PRECISION_NANO)) == 0
        let status = pcap_activate(handle)
        if status < 0 {
            let detail = String(cString: pcap_geterr(handle))
            pcap_close(handle)
            throw liveError(status: status, interface: interface, detail: detail)
        }
        let precision: Timestamp.Precision = nano && pcap_get_tstamp_precision(handle) == Int32(PCAP_TSTAMP_PRECISION_NANO) ? .nanoseconds : .microseconds
        return PcapHandle(pointer: handle, name: interface, precision: precision)
    }

    /// The kernel's received and dropped counts so far.
    public func statistics() -> KernelStatistics? {
        var stats = pcap_stat()
        guard pcap_stats(pointer, &stats) == 0 else { return nil }
        return KernelStatistics(received: Int(stats.ps_recv), dropped: Int(stats.ps_drop), interfaceDropped: Int(stats.ps_ifdrop))
    }


    /// Switches reads to non-blocking: `next()` returns `.timeout` at once when
    /// nothing is buffered. (libpcap's read timeout does not return on an idle
    /// Linux line with TPACKET_V3, so the live loop polls instead.)
    public func setNonBlocking() throws(CaptureError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard pcap_setnonblock(pointer, 1, &errorBuffer) == 0 else {
            throw CaptureError(.cannotOpen, "\(name): cannot read without blocking: \(errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })")
        }
    }

    /// The kernel's index of the captured interface, nil when it cannot be asked (a
    /// file, `-i any`) or the answer is not known; 0 once the interface is gone.
    public func interfaceIndex() -> Int32? {
        let descriptor = pcap_fileno(pointer)
        guard descriptor >= 0, name != "any" else { return nil }
        let index = peersniff_interface_index(descriptor, name)
        return index < 0 ? nil : index
    }

    /// Waits up to `milliseconds` for packets to read; false when none came (or the
    /// wait was interrupted by a signal).
    public func waitForPackets(milliseconds: Int32) -> Bool {
        let descriptor = pcap_get_selectable_fd(pointer)
        guard descriptor >= 0 else { return true }
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, milliseconds) > 0
    }
}

/// The error of a failed `pcap_activate`, said so that the user knows what to do.
func liveError(status: Int32, interface: String, detail: String) -> CaptureError {
    switch status {
    case PCAP_ERROR_NO_SUCH_DEVICE:
        let names = (try? PcapHandle.interfaces())?.map(\.name).joined(separator: ", ") ?? "unknown"
        return CaptureError(.noSuchDevice, "\(interface): no such interface (interfaces: \(names))")
    case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
        return CaptureError(.permissionDenied,
            "\(interface): permission denied: capturing needs root, or the capabilities CAP_NET_RAW and CAP_NET_ADMIN (grant them once with: sudo setcap cap_net_raw,cap_net_admin=eip $(command -v peersniff))")
    case PCAP_ERROR_IFACE_NOT_UP:
        return CaptureError(.cannotOpen, "\(interface): the interface is down (ip link set \(interface) up)")
    default:
        return CaptureError(.cannotOpen, "\(interface): cannot start the capture: \(detail.isEmpty ? String(cString: pcap_statustostr(status)) : detail)")
    }
}

/// "10.37.0.20" or "fe80::1" from a sockaddr; nil for other families.
func socketAddressText(_ address: UnsafeMutablePointer<sockaddr>?) -> String? {
    guard let address else { return nil }
    var buffer = [CChar](repeating: 0, count: 64)
    switch Int32(address.pointee.sa_family) {
    case AF_INET:
        return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin -> String? in
            var a = sin.pointee.sin_addr
            guard inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count)) != nil else { return nil }
            return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
    case AF_INET6:
        return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 -> String? in
            var a = sin6.pointee.sin6_addr
            guard inet_ntop(AF_INET6, &a, &buffer, socklen_t(buffer.count)) != nil else { return nil }
            return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
    default:
        return nil
    }
}
