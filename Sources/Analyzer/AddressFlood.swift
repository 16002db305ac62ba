#if canImport(Glibc)
import Glibc
#endif
import WireBytes

/// Addresses beyond the node cap: anyone on the LAN can send discovery frames from
/// any address, and a FULL can list 255 invented ones. The analyzer keeps at most
/// `maxNodes` nodes; an address beyond them is counted here, not kept: how many
/// (distinct addresses, estimated in fixed memory), since when, and which senders
/// brought them.
public struct AddressFlood: Sendable {
    /// Addresses evicted or refused, counting repeats.
    public private(set) var times = 0
    public private(set) var first: Timestamp?
    public private(set) var last: Timestamp?
    private var addresses = DistinctCounter()
    private var senders = DistinctCounter()
    /// Misra–Gries summary of the senders that brought them: every sender that brought
    /// more than 1/9 of them is here, with a count at most that far below its true one.
    private var heavy: [(ip: IPv4Address, count: Int)] = []
    static let heavyHitters = 8
    /// The last few senders (when no sender stands out, as when each address announces itself).
    public private(set) var recentSenders: [IPv4Address] = []

    public init() {
        heavy.reserveCapacity(AddressFlood.heavyHitters + 1)
        recentSenders.reserveCapacity(4)
    }

    /// `address` was not kept (refused, or evicted to make room); `sender` sent the
    /// frame that named it.
    mutating func note(_ address: IPv4Address, broughtBy sender: IPv4Address, at time: Timestamp) {
        times += 1
        if first == nil { first = time }
        last = time
        addresses.add(address.value)
        senders.add(sender.value)
        if recentSenders.last != sender {
            if recentSenders.count == 4 { recentSenders.removeFirst() }
            recentSenders.append(sender)
        }
        if let k = heavy.firstIndex(where: { $0.ip == sender }) {
            heavy[k].count += 1
        } else if heavy.count < AddressFlood.heavyHitters {
            heavy.append((sender, 1))
        } else {
            for k in heavy.indices { heavy[k].count -= 1 }
            heavy.removeAll { $0.count == 0 }
        }
    }

    public var isEmpty: Bool { times == 0 }
    /// Distinct addresses not kept (an estimate within about 2%).
    public var distinctAddresses: Int { min(addresses.estimate, times) }
    /// Distinct senders that brought them (an estimate within about 2%).
    public var distinctSenders: Int { min(senders.estimate, times) }
    /// The senders that brought the most, most first.
    public var topSenders: [(ip: IPv4Address, count: Int)] {
        heavy.sorted { $0.count != $1.count ? $0.count > $1.count : $0.ip < $1.ip }
    }
}

/// A HyperLogLog of 4096 registers: distinct 32-bit values in 4 KB, within about 1.6%.
struct DistinctCounter: Sendable {
    private var registers = [UInt8](repeating: 0, count: 1 << DistinctCounter.bits)
    static let bits = 12

    mutating func add(_ value: UInt32) {
        // SplitMix64's finaliser: every input bit reaches every output bit.
        var x = UInt64(value) &+ 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        x ^= x >> 31
        let index = Int(x >> UInt64(64 - DistinctCounter.bits))
        let rank = UInt8((x << UInt64(DistinctCounter.bits) | (1 << UInt64(DistinctCounter.bits - 1))).leadingZeroBitCount + 1)
        if rank > registers[index] { registers[index] = rank }
    }

    var estimate: Int {
        let m = Double(registers.count)
        var sum = 0.0
        var zeros = 0
        for r in registers {
            sum += 1 / Double(UInt64(1) << UInt64(r))
            if r == 0 { zeros += 1 }
        }
        let raw = 0.7213 / (1 + 1.079 / m) * m * m / sum
        // Few values: linear counting is exact enough and unbiased.
        if raw <= 2.5 * m, zeros > 0 { return Int((m * log(m / Double(zeros))).rounded()) }
        return Int(raw.rounded())
    }
}

/// Node places in the order they were made: the candidates the cap may evict,
/// oldest first (each place at most once).
struct PlaceQueue {
    private var ring: [Int32]
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) { ring = [Int32](repeating: -1, count: max(1, capacity)) }

    mutating func push(_ index: Int) {
        guard count < ring.count else { return }
        ring[(head + count) % ring.count] = Int32(index)
        count += 1
    }

    mutating func pop() -> Int? {
        guard count > 0 else { return nil }
        let index = Int(ring[head])
        head = (head + 1) % ring.count
        count -= 1
        return index
    }
}
