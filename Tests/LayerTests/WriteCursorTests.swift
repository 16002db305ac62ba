import Testing
import WireBytes

// The output's number and address formatting (digit pairs and an octet table,
// written through an unchecked cursor), against the standard library's own.

@Suite("Number and address text")
struct WriteCursorTests {
    private func text(_ body: (inout RawBytes) -> Void) -> String {
        var out = RawBytes(capacity: 8)
        defer { out.deallocate() }
        body(&out)
        return out.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    @Test("a copy of every length from 0 to 40 bytes, at every offset, writes those bytes and no others")
    func copiesOfEveryLength() {
        let source: [UInt8] = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for length in 0...40 {
            for offset in 0..<8 {
                var target = [UInt8](repeating: 0xEE, count: 64)
                source.withUnsafeBytes { from in
                    target.withUnsafeMutableBytes { to in
                        copyBytes(to: to.baseAddress! + offset, from: from.baseAddress! + 3, count: length)
                    }
                }
                let expected = [UInt8](repeating: 0xEE, count: offset) + source[3..<(3 + length)]
                    + [UInt8](repeating: 0xEE, count: 64 - offset - length)
                #expect(target == expected, "\(length) bytes at offset \(offset)")
            }
            // Through both sinks, appended after a byte so the copy is unaligned.
            let bytes = Array(source[0..<length])
            var raw = RawBytes(capacity: 8)
            defer { raw.deallocate() }
            raw.append(UInt8(ascii: "x"))
            bytes.withUnsafeBytes { raw.append(bytes: $0) }
            raw.withUnsafeBytes { #expect(Array($0) == [UInt8(ascii: "x")] + bytes) }
        }
    }

    @Test("every octet in every position of an address reads as the standard library writes it")
    func everyOctet() {
        for octet in 0...255 {
            let v = UInt32(octet)
            for (value, parts) in [(v << 24 | 0x00_01_02, [octet, 0, 1, 2]), (0x0A_00_00_00 | v << 16 | 0xFF, [10, octet, 0, 255]),
                                   (0xFF_FF_00_00 | v << 8, [255, 255, octet, 0]), (0x01_02_03_00 | v, [1, 2, 3, octet])] {
                let expected = parts.map { String($0) }.joined(separator: ".")
                #expect(text { $0.append(ipv4: value) } == expected)
                var array: [UInt8] = []
                array.append(ipv4: value)
                #expect(String(decoding: array, as: UTF8.self) == expected)
            }
        }
    }

    @Test("decimals at every digit-count boundary, and zero-padded widths")
    func decimals() {
        // The 32-bit path's edge too, and a spread of numbers between the powers.
        var numbers: [UInt64] = [0, 1, 9, UInt64.max, UInt64.max - 1, UInt64(UInt32.max), UInt64(UInt32.max) + 1, UInt64(UInt32.max) - 1]
        var generator = SystemRandomNumberGenerator()
        for bits in 1...64 { numbers.append(UInt64.random(in: 0...(UInt64.max >> (64 - bits)), using: &generator)) }
        var power: UInt64 = 10
        while true {
            numbers += [power - 1, power, power + 1]
            let (next, overflow) = power.multipliedReportingOverflow(by: 10)
            if overflow { break }
            power = next
        }
        for n in numbers {
            #expect(text { $0.append(decimal: n) } == String(n))
            var array: [UInt8] = []
            array.append(decimal: n)
            #expect(String(decoding: array, as: UTF8.self) == String(n))
            for width in [1, 2, 4, 6, 9] {
                let plain = String(n)
                let padded = String(repeating: "0", count: max(0, width - plain.count)) + plain
                #expect(text { out in appendDecimal(n, width: width, to: &out) } == padded, "\(n) in \(width)")
                #expect(text { out in out.write(reserving: 24) { $0.append(decimal: n, width: width) } } == padded, "\(n) in \(width)")
            }
        }
    }
}

import Foundation

@Suite("Times as RFC 3339 text")
struct RFC3339TextTests {
    @Test("times in and out of order, across seconds, days and years, read as Foundation reads them")
    func agreesWithFoundation() throws {
        var text = RFC3339Text()
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        var state: UInt64 = 7
        func below(_ n: UInt64) -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (state >> 33) % n
        }
        var seconds: Int64 = 1_700_000_000
        for step in 0..<20_000 {
            // Mostly the same second again, sometimes the next, now and then a jump.
            switch below(10) {
            case 0..<6: break
            case 6..<9: seconds += 1
            default: seconds += Int64(below(400 * 86_400)) - 200 * 86_400
            }
            let nanos = Int32(below(1_000_000_000))
            let precision: Timestamp.Precision = step % 3 == 0 ? .microseconds : .nanoseconds
            let time = Timestamp(seconds: seconds, nanoseconds: nanos, precision: precision)
            var cached: [UInt8] = []
            text.write(time, to: &cached)
            let written = String(decoding: cached, as: UTF8.self)
            #expect(written == time.rfc3339)
            // Foundation's reading of the part to the second, and the fraction's digits.
            let whole = try #require(written.split(separator: ".").first)
            #expect(formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))) == whole + "Z", "\(written)")
            let fraction = precision == .microseconds ? String(format: "%06d", nanos / 1000) : String(format: "%09d", nanos)
            #expect(written.hasSuffix("." + fraction + "Z"), "\(written)")
        }
    }
}

@Suite("Shared starts and ends of byte runs")
struct CommonBytesTests {
    @Test("the shared start and end of two runs, at every length to 160 and every place of the first difference (two rounds of 64 bytes and their rests)")
    func agreesWithByteByByte() {
        for length in 0...160 {
            let a = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
            for place in 0...length {
                var b = a
                if place < length { b[place] ^= 0x40 }
                a.withUnsafeBytes { x in
                    b.withUnsafeBytes { y in
                        let base = length == 0 ? UnsafeRawPointer(bitPattern: 16)! : x.baseAddress!
                        let other = length == 0 ? UnsafeRawPointer(bitPattern: 16)! : y.baseAddress!
                        #expect(commonPrefix(base, other, length) == place, "length \(length), difference at \(place)")
                        let expectedSuffix = place < length ? length - place - 1 : length
                        #expect(commonSuffix(base + length, other + length, length) == expectedSuffix, "length \(length), difference at \(place)")
                    }
                }
            }
        }
    }
}
