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
        var numbers: [UInt64] = [0, 1, 9, UInt64.max, UInt64.max - 1]
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
