import Foundation
import Testing
import WireBytes
import EndToEndSupport
import TestSupport

// The checked reader every layer and the codec read with: at every offset near the
// end of buffers of every small length, a read gives its value exactly when all its
// bytes are there and nil otherwise; a read moves the cursor past what it read, a
// failed one leaves it where it was. Values are checked against bytes put together
// by hand, one at a time.

/// Buffers of exactly `count` bytes (0x11, 0x22, ...), allocated to size so that
/// AddressSanitizer would see a read past the end.
private func withBuffer<R>(count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
    defer { buffer.deallocate() }
    for k in 0..<count { buffer[k] = UInt8(truncatingIfNeeded: (k + 1) * 0x11) }
    return try body(UnsafeRawBufferPointer(buffer))
}

/// The integer of `width` bytes at `offset`, put together byte by byte.
private func expected(_ bytes: UnsafeRawBufferPointer, at offset: Int, width: Int, _ endianness: Endianness) -> UInt64 {
    var value: UInt64 = 0
    for k in 0..<width {
        let byte = UInt64(bytes[offset + (endianness == .big ? k : width - 1 - k)])
        value = value << 8 | byte
    }
    return value
}

/// One integer type, read every way the reader reads it, widened to UInt64.
struct IntegerWidth: CustomTestStringConvertible, Sendable {
    let name: String
    let width: Int
    let read: @Sendable (inout ByteReader, Endianness) -> UInt64?
    let get: @Sendable (ByteReader, Int, Endianness) -> UInt64?
    let peek: @Sendable (ByteReader, Endianness) -> UInt64?
    var testDescription: String { name }

    static func of<T: FixedWidthInteger & Sendable>(_ type: T.Type) -> IntegerWidth {
        IntegerWidth(
            name: "\(T.self)", width: MemoryLayout<T>.size,
            read: { reader, order in reader.readInteger(endianness: order, as: T.self).map { UInt64(truncatingIfNeeded: $0) & mask(T.self) } },
            get: { reader, index, order in reader.getInteger(at: index, endianness: order, as: T.self).map { UInt64(truncatingIfNeeded: $0) & mask(T.self) } },
            peek: { reader, order in reader.peekInteger(endianness: order, as: T.self).map { UInt64(truncatingIfNeeded: $0) & mask(T.self) } })
    }

    private static func mask<T: FixedWidthInteger>(_: T.Type) -> UInt64 {
        T.bitWidth == 64 ? .max : (1 << UInt64(T.bitWidth)) - 1
    }
}

private let integerWidths: [IntegerWidth] = [
    .of(UInt8.self), .of(Int8.self), .of(UInt16.self), .of(Int16.self),
    .of(UInt32.self), .of(Int32.self), .of(UInt64.self), .of(Int64.self),
]

/// Buffer lengths: empty, shorter than every integer, and a few beyond the widest.
private let lengths = Array(0...12)

@Suite("Checked byte reader")
struct ByteReaderTests {
    @Test("an integer read at every offset near the end: its value exactly when its bytes are there", arguments: integerWidths)
    func readInteger(_ integer: IntegerWidth) {
        for count in lengths {
            withBuffer(count: count) { bytes in
                for start in 0...count {
                    for order in [Endianness.big, .little] {
                        var reader = ByteReader(bytes, at: start)!
                        let fits = start + integer.width <= count
                        let value = integer.read(&reader, order)
                        if fits {
                            #expect(value == expected(bytes, at: start, width: integer.width, order), "\(integer.name) at \(start) of \(count)")
                            #expect(reader.readerIndex == start + integer.width, "the cursor moves past the integer")
                            #expect(reader.readableBytes == count - start - integer.width)
                        } else {
                            #expect(value == nil, "\(integer.name) at \(start) of \(count): \(count - start) bytes left")
                            #expect(reader.readerIndex == start, "a failed read does not move the cursor")
                            // And again: still nil, still not moved.
                            #expect(integer.read(&reader, order) == nil)
                            #expect(reader.readerIndex == start)
                        }
                    }
                }
            }
        }
    }

    @Test("get and peek read at an index without moving the cursor; nil at indexes past the end or negative", arguments: integerWidths)
    func getAndPeek(_ integer: IntegerWidth) {
        for count in lengths {
            withBuffer(count: count) { bytes in
                let reader = ByteReader(bytes)
                for index in -integer.width...(count + 2) {
                    for order in [Endianness.big, .little] {
                        let fits = index >= 0 && index + integer.width <= count
                        let value = integer.get(reader, index, order)
                        #expect(value == (fits ? expected(bytes, at: index, width: integer.width, order) : nil), "\(integer.name) at \(index) of \(count)")
                        #expect(reader.readerIndex == 0)
                    }
                }
                for start in 0...count {
                    let at = ByteReader(bytes, at: start)!
                    let fits = start + integer.width <= count
                    #expect(integer.peek(at, .big) == (fits ? expected(bytes, at: start, width: integer.width, .big) : nil))
                    #expect(at.readerIndex == start)
                }
            }
        }
    }

    @Test("reads one after another walk the buffer and stop exactly at its end")
    func readsInSequence() {
        withBuffer(count: 7) { bytes in
            var reader = ByteReader(bytes)
            #expect(reader.readInteger(as: UInt16.self) == 0x1122)
            #expect(reader.readInteger(as: UInt32.self) == 0x3344_5566)
            #expect(reader.readInteger(as: UInt16.self) == nil)
            #expect(reader.readerIndex == 6)
            #expect(reader.readInteger(as: UInt8.self) == 0x77)
            #expect(reader.readableBytes == 0)
            #expect(reader.readInteger(as: UInt8.self) == nil)
            #expect(reader.readBytes(0)?.count == 0)
            #expect(reader.readBytes(1) == nil)
            #expect(reader.readerIndex == 7)
        }
    }

    @Test("readBytes and getBytes: a slice of the buffer exactly when its bytes are there", arguments: lengths)
    func bytes(_ count: Int) {
        withBuffer(count: count) { bytes in
            for start in 0...count {
                for length in -1...(count + 2) {
                    var reader = ByteReader(bytes, at: start)!
                    let fits = length >= 0 && start + length <= count
                    let slice = reader.readBytes(length)
                    if fits, let slice {
                        #expect(Array(slice) == Array(bytes[start..<start + length]), "\(length) bytes at \(start) of \(count)")
                        if length > 0 { #expect(slice.baseAddress == bytes.baseAddress! + start, "a slice of the buffer, not a copy") }
                        #expect(reader.readerIndex == start + length)
                    } else {
                        #expect(slice == nil, "\(length) bytes at \(start) of \(count)")
                        #expect(reader.readerIndex == start, "a failed read does not move the cursor")
                    }
                    let got = reader.getBytes(at: start, count: length)
                    #expect(got.map(Array.init) == (fits ? Array(bytes[start..<start + length]) : nil))
                    let range = reader.getBytes(from: start, upTo: start + length)
                    #expect(range.map(Array.init) == (fits ? Array(bytes[start..<start + length]) : nil))
                }
            }
            #expect(ByteReader(bytes).getBytes(at: -1, count: 1) == nil)
            #expect(ByteReader(bytes).getBytes(from: -1, upTo: 0) == nil)
        }
    }

    @Test("the cursor moves only within the buffer; a reader starts only within it", arguments: lengths)
    func cursor(_ count: Int) {
        withBuffer(count: count) { bytes in
            for index in -2...(count + 2) {
                let inside = index >= 0 && index <= count
                #expect((ByteReader(bytes, at: index) != nil) == inside, "start at \(index) of \(count)")
                var reader = ByteReader(bytes)
                #expect(reader.moveReaderIndex(to: index) == inside)
                #expect(reader.readerIndex == (inside ? index : 0))
                if inside {
                    #expect(reader.readableBytes == count - index)
                    #expect(Array(reader.readableBytesView) == Array(bytes[index...]))
                }
                for step in -2...(count + 2) {
                    guard var from = ByteReader(bytes, at: max(0, min(index, count))) else { continue }
                    let start = from.readerIndex
                    let fits = step >= 0 && start + step <= count
                    #expect(from.moveReaderIndex(forwardBy: step) == fits, "\(step) on from \(start) of \(count)")
                    #expect(from.readerIndex == (fits ? start + step : start))
                }
            }
        }
    }

    @Test("a whole header is read with one check: all its fields, or nil and the cursor unmoved", arguments: headerShapes)
    func multipleIntegers(_ shape: HeaderShape) {
        for count in 0...(shape.size + 3) {
            withBuffer(count: count) { bytes in
                for start in 0...count {
                    for order in [Endianness.big, .little] {
                        var reader = ByteReader(bytes, at: start)!
                        let fields = shape.read(&reader, order)
                        if start + shape.size <= count {
                            var at = start
                            var expectedFields: [UInt64] = []
                            for width in shape.widths {
                                expectedFields.append(expected(bytes, at: at, width: width, order))
                                at += width
                            }
                            #expect(fields == expectedFields, "\(shape.name) at \(start) of \(count)")
                            #expect(reader.readerIndex == start + shape.size)
                        } else {
                            #expect(fields == nil, "\(shape.name) at \(start) of \(count)")
                            #expect(reader.readerIndex == start, "a failed read does not move the cursor")
                        }
                    }
                }
            }
        }
    }

    @Test("the old loads, now checked, agree with the reader inside the bounds")
    func oldLoads() {
        withBuffer(count: 9) { bytes in
            let reader = ByteReader(bytes)
            for index in 0...7 {
                #expect(bytes.loadBigEndianUInt16(at: index) == reader.getInteger(at: index, as: UInt16.self))
                if index <= 5 {
                    #expect(bytes.loadBigEndianUInt32(at: index) == reader.getInteger(at: index, as: UInt32.self))
                    #expect(bytes.loadLittleEndianUInt32(at: index) == reader.getInteger(at: index, endianness: .little, as: UInt32.self))
                }
            }
        }
    }

    @Test("addresses: an IPv6 address's sixteen bytes, or nil")
    func addresses() {
        withBuffer(count: 17) { bytes in
            for start in 0...17 {
                var reader = ByteReader(bytes, at: start)!
                let address = reader.readIPv6Address()
                if start + 16 <= 17 {
                    #expect(address == IPv6Address(high: expected(bytes, at: start, width: 8, .big), low: expected(bytes, at: start + 8, width: 8, .big)))
                    #expect(reader.readerIndex == start + 16)
                } else {
                    #expect(address == nil)
                    #expect(reader.readerIndex == start)
                }
            }
        }
    }

    @Test("an empty buffer without an address reads nothing and nothing fails badly")
    func emptyBuffer() {
        var reader = ByteReader(UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(reader.readInteger(as: UInt8.self) == nil)
        #expect(reader.readMultipleIntegers(as: (UInt8, UInt8).self) == nil)
        #expect(reader.readBytes(0)?.count == 0)
        #expect(reader.readBytes(1) == nil)
        #expect(reader.readableBytesView.count == 0)
        #expect(reader.getInteger(at: 0, as: UInt8.self) == nil)
    }

    @Test("the old loads trap past the end rather than read there")
    func oldLoadsTrap() async {
        await #expect(processExitsWith: .failure) {
            let bytes: [UInt8] = [1, 2, 3]
            _ = bytes.withUnsafeBytes { $0.loadBigEndianUInt32(at: 0) }
        }
    }
}

/// A header shape for `readMultipleIntegers`: one of each arity, and those the
/// layers and the codec read (a FULL entry, UDP, IPv4, the IPv6 fixed header).
struct HeaderShape: CustomTestStringConvertible, Sendable {
    let name: String
    let widths: [Int]
    let read: @Sendable (inout ByteReader, Endianness) -> [UInt64]?
    var size: Int { widths.reduce(0, +) }
    var testDescription: String { name }
}

private func u(_ value: some FixedWidthInteger) -> UInt64 {
    UInt64(truncatingIfNeeded: value) & (value.bitWidth == 64 ? .max : (1 << UInt64(value.bitWidth)) - 1)
}

private let headerShapes: [HeaderShape] = [
    HeaderShape(name: "FULL entry (UInt32, UInt8)", widths: [4, 1]) { r, o in
        r.readMultipleIntegers(endianness: o, as: (UInt32, UInt8).self).map { [u($0.0), u($0.1)] }
    },
    HeaderShape(name: "3 (UInt8, Int16, UInt32)", widths: [1, 2, 4]) { r, o in
        r.readMultipleIntegers(endianness: o, as: (UInt8, Int16, UInt32).self).map { [u($0.0), u($0.1), u($0.2)] }
    },
    HeaderShape(name: "UDP (4 × UInt16)", widths: [2, 2, 2, 2]) { r, o in
        r.readMultipleIntegers(endianness: o, as: (UInt16, UInt16, UInt16, UInt16).self).map { [u($0.0), u($0.1), u($0.2), u($0.3)] }
    },
    HeaderShape(name: "5 (UInt64, UInt8, UInt8, Int32, UInt16)", widths: [8, 1, 1, 4, 2]) { r, o in
        r.readMultipleIntegers(endianness: o, as: (UInt64, UInt8, UInt8, Int32, UInt16).self)
            .map { [u($0.0), u($0.1), u($0.2), u($0.3), u($0.4)] }
    },
    HeaderShape(name: "6 (6 × UInt8)", widths: [1, 1, 1, 1, 1, 1]) { r, o in
        r.readMultipleIntegers(endianness: o, as: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8).self)
            .map { [u($0.0), u($0.1), u($0.2), u($0.3), u($0.4), u($0.5)] }
    },
    HeaderShape(name: "7 (UInt16, UInt8, UInt32, UInt8, UInt16, UInt8, Int64)", widths: [2, 1, 4, 1, 2, 1, 8]) { r, o in
        r.readMultipleIntegers(endianness: o, as: (UInt16, UInt8, UInt32, UInt8, UInt16, UInt8, Int64).self)
            .map { [u($0.0), u($0.1), u($0.2), u($0.3), u($0.4), u($0.5), u($0.6)] }
    },
    HeaderShape(name: "IPv6 fixed header (UInt32, UInt16, UInt8, UInt8, 4 × UInt64)", widths: [4, 2, 1, 1, 8, 8, 8, 8]) { r, o in
        r.readMultipleIntegers(endianness: o, as: (UInt32, UInt16, UInt8, UInt8, UInt64, UInt64, UInt64, UInt64).self)
            .map { [u($0.0), u($0.1), u($0.2), u($0.3), u($0.4), u($0.5), u($0.6), u($0.7)] }
    },
    HeaderShape(name: "9 (9 × UInt8)", widths: [1, 1, 1, 1, 1, 1, 1, 1, 1]) { r, o in
        r.readMultipleIntegers(endianness: o, as: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8).self)
            .map { [u($0.0), u($0.1), u($0.2), u($0.3), u($0.4), u($0.5), u($0.6), u($0.7), u($0.8)] }
    },
    HeaderShape(name: "IPv4 (UInt8, UInt8, UInt16, UInt16, UInt16, UInt8, UInt8, UInt16, UInt32, UInt32)",
                widths: [1, 1, 2, 2, 2, 1, 1, 2, 4, 4]) { r, o in
        r.readMultipleIntegers(endianness: o, as: (UInt8, UInt8, UInt16, UInt16, UInt16, UInt8, UInt8, UInt16, UInt32, UInt32).self)
            .map { [u($0.0), u($0.1), u($0.2), u($0.3), u($0.4), u($0.5), u($0.6), u($0.7), u($0.8), u($0.9)] }
    },
]

@Suite("ByteReader+MultipleIntegers.swift")
struct GeneratedMultipleIntegersTests {
    @Test("is exactly what scripts/generate-multiple-integers.sh writes (never edited by hand)")
    func generated() throws {
        let folder = Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fresh = folder.appendingPathComponent("generated.swift").path
        let script = Paths.root.appendingPathComponent("scripts/generate-multiple-integers.sh").path
        let run = try runProgram("/bin/bash", [script, fresh])
        #expect(run.status == 0, "\(run.stderr)")
        let checkedIn = try String(contentsOf: Paths.root.appendingPathComponent("Sources/WireBytes/ByteReader+MultipleIntegers.swift"), encoding: .utf8)
        #expect(try String(contentsOfFile: fresh, encoding: .utf8) == checkedIn)
        #expect(checkedIn.hasPrefix("// GENERATED by scripts/generate-multiple-integers.sh"))
    }
}
