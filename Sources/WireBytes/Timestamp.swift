/// A capture time: seconds since the Unix epoch and nanoseconds, with the
/// precision the capture itself had (so that output shows no invented digits).
public struct Timestamp: Hashable, Comparable, Sendable {
    public var seconds: Int64
    public var nanoseconds: Int32
    public var precision: Precision

    public enum Precision: Sendable, Hashable {
        case microseconds
        case nanoseconds
    }

    public init(seconds: Int64, nanoseconds: Int32, precision: Precision = .nanoseconds) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.precision = precision
    }

    /// From a floating-point count of seconds (thresholds, tests).
    public init(_ value: Double, precision: Precision = .nanoseconds) {
        let whole = value.rounded(.down)
        seconds = Int64(whole)
        nanoseconds = Int32(((value - whole) * 1e9).rounded()).clamped(0, 999_999_999)
        self.precision = precision
    }

    public var totalNanoseconds: Int64 { seconds &* 1_000_000_000 &+ Int64(nanoseconds) }
    public var asDouble: Double { Double(seconds) + Double(nanoseconds) / 1e9 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    public static func == (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.seconds == rhs.seconds && lhs.nanoseconds == rhs.nanoseconds
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(seconds)
        hasher.combine(nanoseconds)
    }

    /// This time plus a duration in nanoseconds.
    public func adding(nanoseconds delta: Int64) -> Timestamp {
        let total = totalNanoseconds &+ delta
        var s = total / 1_000_000_000
        var ns = total % 1_000_000_000
        if ns < 0 { ns += 1_000_000_000; s -= 1 }
        return Timestamp(seconds: s, nanoseconds: Int32(ns), precision: precision)
    }

    /// Seconds from `earlier` to this time.
    public func seconds(since earlier: Timestamp) -> Double {
        Double(totalNanoseconds &- earlier.totalNanoseconds) / 1e9
    }

    /// RFC 3339 UTC with the capture's precision: `2026-11-25T12:00:01.234567Z`.
    @inlinable
    public func writeRFC3339<Sink: ByteSink>(to out: inout Sink) {
        writeDateAndTimeToTheSecond(to: &out)
        out.append(UInt8(ascii: "."))
        writeFraction(to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// `2026-11-25T12:00:01`: the RFC 3339 text before the fraction.
    @inlinable
    public func writeDateAndTimeToTheSecond<Sink: ByteSink>(to out: inout Sink) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilFromDays(days)
        appendDecimal(UInt64(max(0, year)), width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDecimal(UInt64(month), width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDecimal(UInt64(day), width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        writeClock(secondOfDay: secondOfDay, to: &out)
    }

    /// `HH:MM:SS` of a second of the day.
    @inlinable
    func writeClock<Sink: ByteSink>(secondOfDay: Int64, to out: inout Sink) {
        appendDecimal(UInt64(secondOfDay / 3600), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDecimal(UInt64(secondOfDay / 60 % 60), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDecimal(UInt64(secondOfDay % 60), width: 2, to: &out)
    }

    /// The digits after the second's point: six or nine, as the capture had them.
    @inlinable
    public func writeFraction<Sink: ByteSink>(to out: inout Sink) {
        switch precision {
        case .microseconds: appendDecimal(UInt64(nanoseconds / 1000), width: 6, to: &out)
        case .nanoseconds: appendDecimal(UInt64(nanoseconds), width: 9, to: &out)
        }
    }

    /// `HH:MM:SS.ffffff` (UTC), as tcpdump shows a packet's time.
    @inlinable
    public func writeTimeOfDay<Sink: ByteSink>(to out: inout Sink) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        writeTimeOfDay(secondOfDay: seconds - days * 86_400, to: &out)
    }

    @inlinable
    func writeTimeOfDay<Sink: ByteSink>(secondOfDay: Int64, to out: inout Sink) {
        writeClock(secondOfDay: secondOfDay, to: &out)
        out.append(UInt8(ascii: "."))
        writeFraction(to: &out)
    }

    /// `HH:MM:SS.ffffff` (UTC) as a String, at most its first `limit` bytes: written in
    /// place on the stack (at most 19 bytes), one String made of them, no array.
    public func timeOfDayText(limit: Int = 32) -> String {
        withTimeOfDay(limit: limit) { String(decoding: $0, as: UTF8.self) }
    }

    /// The same, at most its first `limit` bytes (`HH:MM:SS.mmm`: 12), written into `out`.
    public func writeTimeOfDay<Sink: ByteSink>(to out: inout Sink, limit: Int) {
        withTimeOfDay(limit: limit) { out.append(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// The time of day's first `limit` bytes, written on the stack and lent to `body`.
    private func withTimeOfDay<R>(limit: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var scratch: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        return Swift.withUnsafeMutableBytes(of: &scratch) { raw in
            let start = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var cursor = WriteCursor(start)
            writeTimeOfDay(to: &cursor)
            return body(UnsafeBufferPointer(start: start, count: min(limit, cursor.at - start)))
        }
    }

    public var rfc3339: String {
        var out: [UInt8] = []
        writeRFC3339(to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// Days since 1970-01-01 of a civil date: the inverse of `civilFromDays` (Howard
/// Hinnant's algorithm).
package func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}

/// Howard Hinnant's days-to-civil algorithm: (year, month, day) of a day count since 1970-01-01.
@usableFromInline
func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (m <= 2 ? y + 1 : y, m, d)
}

extension Comparable {
    func clamped(_ low: Self, _ high: Self) -> Self { min(max(self, low), high) }
}

/// RFC 3339 text of times that mostly share their second with the time before
/// (packets in capture order): the text up to the second is kept from one call to
/// the next, so that most times cost only their fraction.
public struct RFC3339Text {
    @usableFromInline var second: Int64 = .min
    /// The text to the second (at most 27 bytes: a twelve-digit year), and its length.
    @usableFromInline var text: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    @usableFromInline var length = 0

    public init() {}

    /// The same text as `time.writeRFC3339(to:)`.
    @inlinable
    public mutating func write<Sink: ByteSink>(_ time: Timestamp, to out: inout Sink) {
        if time.seconds != second {
            second = time.seconds
            length = withUnsafeMutableBytes(of: &text) { raw in
                let start = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                var cursor = WriteCursor(start)
                time.writeDateAndTimeToTheSecond(to: &cursor)
                return cursor.at - start
            }
        }
        let count = length
        withUnsafeBytes(of: &text) { out.append(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        out.append(UInt8(ascii: "."))
        time.writeFraction(to: &out)
        out.append(UInt8(ascii: "Z"))
    }
}
