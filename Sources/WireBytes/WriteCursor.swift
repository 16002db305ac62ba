/// Writes into memory reserved beforehand (`RawBytes.write(reserving:_:)`): an
/// append is a store and a pointer bump, with no capacity check. The record writers
/// reserve a bound on what a record can take and then write through one of these.
public struct WriteCursor: ByteSink {
    public var at: UnsafeMutablePointer<UInt8>

    @inlinable
    public init(_ at: UnsafeMutablePointer<UInt8>) { self.at = at }

    @inlinable @inline(__always)
    public mutating func append(_ byte: UInt8) {
        at.pointee = byte
        at += 1
    }

    @inlinable @inline(__always)
    public mutating func append(bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        guard n > 0 else { return }
        copyBytes(to: at, from: bytes.baseAddress!, count: n)
        at += n
    }

    /// The digits, two at a time from a table of "00" to "99". Writes up to 20 bytes.
    @inlinable
    public mutating func append(decimal number: UInt64) {
        let width = decimalDigitCount(number)
        writeDigits(number, width: width)
        at += width
    }

    /// Exactly `width` digits, zero-padded (a wider number is written whole).
    @inlinable
    public mutating func append(decimal number: UInt64, width: Int) {
        if width == 2 && number < 100 {
            // A clock's hours, minutes or seconds: one pair from the table.
            writeDigits(number, width: 2)
            at += 2
            return
        }
        let digits = decimalDigitCount(number)
        var pad = width - digits
        while pad > 0 { at.pointee = 0x30; at += 1; pad -= 1 }
        writeDigits(number, width: digits)
        at += digits
    }

    /// Writes the `width` digits of `number` at `at` (not moving it).
    @inlinable @inline(__always)
    func writeDigits(_ number: UInt64, width: Int) {
        let pairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
        let table = UnsafeRawPointer(pairs.utf8Start)
        var end = width
        if number <= UInt64(UInt32.max) {
            // The usual numbers (packet numbers, ports, octets, lengths) in 32 bits: a
            // cheaper division by 100.
            var n = UInt32(truncatingIfNeeded: number)
            while end >= 2 {
                let quotient = n / 100
                let pair = Int(n &- quotient &* 100)
                n = quotient
                UnsafeMutableRawPointer(at + end - 2).storeBytes(of: table.loadUnaligned(fromByteOffset: 2 * pair, as: UInt16.self), as: UInt16.self)
                end -= 2
            }
            if end == 1 { at.pointee = 0x30 &+ UInt8(truncatingIfNeeded: n) }
            return
        }
        var n = number
        while end >= 2 {
            let pair = Int(n % 100)
            n /= 100
            UnsafeMutableRawPointer(at + end - 2).storeBytes(of: table.loadUnaligned(fromByteOffset: 2 * pair, as: UInt16.self), as: UInt16.self)
            end -= 2
        }
        if end == 1 { at.pointee = 0x30 &+ UInt8(truncatingIfNeeded: n) }
    }

    /// Dotted-quad text from a table of the 256 octets; writes up to 16 bytes.
    @inlinable
    public mutating func append(ipv4 value: UInt32) {
        let octets: StaticString = "0...1...2...3...4...5...6...7...8...9...10..11..12..13..14..15..16..17..18..19..20..21..22..23..24..25..26..27..28..29..30..31..32..33..34..35..36..37..38..39..40..41..42..43..44..45..46..47..48..49..50..51..52..53..54..55..56..57..58..59..60..61..62..63..64..65..66..67..68..69..70..71..72..73..74..75..76..77..78..79..80..81..82..83..84..85..86..87..88..89..90..91..92..93..94..95..96..97..98..99..100.101.102.103.104.105.106.107.108.109.110.111.112.113.114.115.116.117.118.119.120.121.122.123.124.125.126.127.128.129.130.131.132.133.134.135.136.137.138.139.140.141.142.143.144.145.146.147.148.149.150.151.152.153.154.155.156.157.158.159.160.161.162.163.164.165.166.167.168.169.170.171.172.173.174.175.176.177.178.179.180.181.182.183.184.185.186.187.188.189.190.191.192.193.194.195.196.197.198.199.200.201.202.203.204.205.206.207.208.209.210.211.212.213.214.215.216.217.218.219.220.221.222.223.224.225.226.227.228.229.230.231.232.233.234.235.236.237.238.239.240.241.242.243.244.245.246.247.248.249.250.251.252.253.254.255."
        let table = UnsafeRawPointer(octets.utf8Start)
        let raw = UnsafeMutableRawPointer(at)
        var offset = 0
        @inline(__always) func octet(_ octet: Int) {
            // Four bytes: the digits, then dots (the next octet overwrites the extra).
            raw.storeBytes(of: table.loadUnaligned(fromByteOffset: 4 * octet, as: UInt32.self), toByteOffset: offset, as: UInt32.self)
            offset += octet >= 100 ? 4 : octet >= 10 ? 3 : 2
        }
        octet(Int(truncatingIfNeeded: value >> 24))
        octet(Int(truncatingIfNeeded: (value >> 16) & 0xFF))
        octet(Int(truncatingIfNeeded: (value >> 8) & 0xFF))
        octet(Int(truncatingIfNeeded: value & 0xFF))
        at += offset - 1  // no dot after the last octet
    }
}
