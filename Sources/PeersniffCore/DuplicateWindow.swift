import WireBytes

/// Two views of one LAN (`-r bridge.pcap -r board-view.pcap`): the same datagram, seen
/// in two inputs, is analysed once. The same datagram is the same sender, IP
/// identification and UDP datagram (ports, length, payload: compared by a 64-bit
/// hash), seen in another input within `window` of the first sighting; a board that
/// sends the same bytes again gives them a new IP identification.
///
/// A fixed table (no allocation per packet): each datagram's slot is chosen by its
/// hash, and a newer datagram takes the slot over. Over 4096 datagrams in half a
/// second one copy may be missed (then counted twice, as without this), never a
/// datagram dropped that was not seen.
struct DuplicateWindow {
    static let slots = 4096
    static let window: Int64 = 500_000_000  // half a second, in nanoseconds

    private struct Entry {
        var hash: UInt64 = 0
        var time: Int64 = 0
        var input: Int32 = -1
    }

    private var table = [Entry](repeating: Entry(), count: DuplicateWindow.slots)

    /// Whether this datagram was already seen in another input; if not, it is remembered.
    mutating func isDuplicate(source: IPv4Address, identification: UInt16, udp: UnsafeRawBufferPointer, time: Timestamp, input: Int) -> Bool {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        @inline(__always) func mix(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x0100_0000_01b3 }
        for shift in stride(from: 24, through: 0, by: -8) { mix(UInt8(truncatingIfNeeded: source.value >> UInt32(shift))) }
        mix(UInt8(identification >> 8)); mix(UInt8(truncatingIfNeeded: identification))
        for byte in udp { mix(byte) }
        let slot = Int(truncatingIfNeeded: (hash ^ hash >> 32) & UInt64(DuplicateWindow.slots - 1))
        let now = time.totalNanoseconds
        let entry = table[slot]
        if entry.hash == hash, entry.input != Int32(input), abs(now - entry.time) <= DuplicateWindow.window {
            return true
        }
        table[slot] = Entry(hash: hash, time: now, input: Int32(input))
        return false
    }
}
