/// Parsers for the typed values that condition operators compare: numbers, dates and IP ranges.
///
/// Each parser works on the UTF-8 bytes of its input and allocates nothing, because request-side
/// values are parsed on every evaluation. Policy-side values are parsed once, when the policy is.
enum PolicyNumber {
    /// The value of a decimal number (`-12`, `3.25`); nil for anything else, exponents included.
    static func parse(_ text: String) -> Double? {
        let isDecimal = withUTF8(text) { bytes -> Bool in
            var scanner = ByteScanner(bytes)
            _ = scanner.consume(UInt8(ascii: "-")) || scanner.consume(UInt8(ascii: "+"))
            guard scanner.skipDigits() > 0 else { return false }
            if scanner.consume(UInt8(ascii: ".")), scanner.skipDigits() == 0 { return false }
            return scanner.atEnd
        }
        guard isDecimal, let value = Double(text), value.isFinite else { return nil }
        return value
    }
}

/// Dates as IAM's date operators read them: the W3C profile of ISO 8601, or epoch seconds.
enum PolicyDate {
    /// Seconds since 1970-01-01T00:00:00Z.
    ///
    /// Text made only of digits (with an optional fraction) is epoch seconds, so `2020` is a moment
    /// in 1970, not a year. Otherwise the forms are `YYYY-MM`, `YYYY-MM-DD`, and
    /// `YYYY-MM-DDThh:mm[:ss[.s…]]` followed by `Z` or `±hh:mm` (no zone means UTC).
    static func parse(_ text: String) -> Double? {
        withUTF8(text) { bytes in
            epochSeconds(bytes) ?? iso8601(bytes)
        }
    }

    private static func epochSeconds(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var scanner = ByteScanner(bytes)
        guard let whole = scanner.integer(maxDigits: 12) else { return nil }
        var seconds = Double(whole)
        if scanner.consume(UInt8(ascii: ".")) {
            guard let fraction = scanner.fraction() else { return nil }
            seconds += fraction
        }
        return scanner.atEnd ? seconds : nil
    }

    private static func iso8601(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var scanner = ByteScanner(bytes)
        guard let year = scanner.integer(digits: 4), scanner.consume(UInt8(ascii: "-")),
            let month = scanner.integer(digits: 2), (1...12).contains(month)
        else { return nil }
        var day = 1
        if scanner.consume(UInt8(ascii: "-")) {
            guard let parsed = scanner.integer(digits: 2), (1...daysIn(month, of: year)).contains(parsed) else {
                return nil
            }
            day = parsed
        }
        let midnight = Double(daysSinceEpoch(year: year, month: month, day: day) * 86_400)
        if scanner.atEnd { return midnight }
        guard scanner.consume(UInt8(ascii: "T")) || scanner.consume(UInt8(ascii: "t")),
            let time = timeOfDay(&scanner), let offset = zoneOffset(&scanner), scanner.atEnd
        else { return nil }
        return midnight + time - offset
    }

    /// `hh:mm[:ss[.s…]]` as seconds since midnight.
    private static func timeOfDay(_ scanner: inout ByteScanner) -> Double? {
        guard let hour = scanner.integer(digits: 2), hour < 24, scanner.consume(UInt8(ascii: ":")),
            let minute = scanner.integer(digits: 2), minute < 60
        else { return nil }
        var seconds = Double(hour * 3600 + minute * 60)
        guard scanner.consume(UInt8(ascii: ":")) else { return seconds }
        guard let second = scanner.integer(digits: 2), second <= 60 else { return nil }
        seconds += Double(second)
        if scanner.consume(UInt8(ascii: ".")) {
            guard let fraction = scanner.fraction() else { return nil }
            seconds += fraction
        }
        return seconds
    }

    /// `Z`, `±hh:mm`, `±hhmm`, or nothing (UTC), as seconds east of UTC.
    private static func zoneOffset(_ scanner: inout ByteScanner) -> Double? {
        if scanner.atEnd || scanner.consume(UInt8(ascii: "Z")) || scanner.consume(UInt8(ascii: "z")) { return 0 }
        let sign: Double
        if scanner.consume(UInt8(ascii: "+")) {
            sign = 1
        } else if scanner.consume(UInt8(ascii: "-")) {
            sign = -1
        } else {
            return nil
        }
        guard let hours = scanner.integer(digits: 2), hours < 24 else { return nil }
        _ = scanner.consume(UInt8(ascii: ":"))
        guard let minutes = scanner.integer(digits: 2), minutes < 60 else { return nil }
        return sign * Double(hours * 3600 + minutes * 60)
    }

    private static func daysIn(_ month: Int, of year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to the given proleptic Gregorian date.
    ///
    /// Counting years from March puts the leap day last, so each year's day of year follows one
    /// formula; 400-year eras of 146,097 days keep the arithmetic in small non-negative numbers.
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let marchYear = month <= 2 ? year - 1 : year
        let era = (marchYear >= 0 ? marchYear : marchYear - 399) / 400
        let yearOfEra = marchYear - era * 400
        let monthFromMarch = (month + 9) % 12
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

/// An IPv4 or IPv6 address; IPv4 addresses (and IPv4-mapped IPv6 ones) are kept in the low 32 bits.
struct IPAddress: Sendable, Equatable {
    let value: UInt128
    let isIPv6: Bool

    /// Parses dotted-quad IPv4 or RFC 4291 text IPv6 (with `::` and a trailing dotted quad).
    static func parse(_ text: String) -> IPAddress? {
        withUTF8(text) { parse(bytes: $0) }
    }

    static func parse(bytes: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        if !bytes.contains(UInt8(ascii: ":")) {
            return ipv4(bytes).map { IPAddress(value: UInt128($0), isIPv6: false) }
        }
        guard let value = ipv6(bytes) else { return nil }
        if value >> 32 == 0xFFFF { return IPAddress(value: value & 0xFFFF_FFFF, isIPv6: false) }
        return IPAddress(value: value, isIPv6: true)
    }

    private static func ipv4(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var scanner = ByteScanner(bytes)
        var value: UInt32 = 0
        for octet in 0..<4 {
            if octet > 0, !scanner.consume(UInt8(ascii: ".")) { return nil }
            guard let part = scanner.integer(maxDigits: 3), part <= 255 else { return nil }
            value = value << 8 | UInt32(part)
        }
        return scanner.atEnd ? value : nil
    }

    /// Groups before `::` fill from the left, groups after it from the right.
    private static func ipv6(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt128? {
        var scanner = ByteScanner(bytes)
        var head = Groups()
        var tail = Groups()
        var compressed = scanner.consume(UInt8(ascii: ":"))
        if compressed, !scanner.consume(UInt8(ascii: ":")) { return nil }
        while !scanner.atEnd {
            if scanner.remainingContains(UInt8(ascii: "."), before: UInt8(ascii: ":")) {
                guard let quad = ipv4(scanner.remaining) else { return nil }
                if compressed { tail.append(UInt128(quad), width: 2) } else { head.append(UInt128(quad), width: 2) }
                break
            }
            guard let group = scanner.hexGroup() else { return nil }
            if compressed { tail.append(UInt128(group), width: 1) } else { head.append(UInt128(group), width: 1) }
            if scanner.atEnd { break }
            guard scanner.consume(UInt8(ascii: ":")), !scanner.atEnd else { return nil }
            if scanner.consume(UInt8(ascii: ":")) {
                if compressed { return nil }
                compressed = true
            }
        }
        if compressed {
            guard head.count + tail.count <= 7 else { return nil }
            return head.value << (16 * (8 - head.count)) | tail.value
        }
        return head.count == 8 ? head.value : nil
    }

    /// Sixteen-bit groups accumulated into one number.
    private struct Groups {
        var value: UInt128 = 0
        var count = 0

        mutating func append(_ bits: UInt128, width: Int) {
            value = value << (16 * width) | bits
            count += width
        }
    }
}

/// A CIDR block such as `203.0.113.0/24` or `2001:db8::/32`; a bare address is a block of one.
struct IPNetwork: Sendable, Equatable {
    let address: IPAddress
    let prefixLength: Int

    static func parse(_ text: String) -> IPNetwork? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress.parse(String(parts[0])) else { return nil }
        let width = address.isIPv6 ? 128 : 32
        guard parts.count == 2 else { return IPNetwork(address: address, prefixLength: width) }
        guard parts[1].allSatisfy(\.isASCIIDigit), let length = Int(parts[1]), (0...width).contains(length) else {
            return nil
        }
        return IPNetwork(address: address, prefixLength: length)
    }

    func contains(_ other: IPAddress) -> Bool {
        guard other.isIPv6 == address.isIPv6 else { return false }
        let hostBits = (address.isIPv6 ? 128 : 32) - prefixLength
        return (address.value ^ other.value) >> hostBits == 0
    }
}

/// A cursor over UTF-8 bytes for the small grammars above.
struct ByteScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }

    var remaining: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: bytes[position...]) }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// Skips decimal digits and says how many there were.
    mutating func skipDigits() -> Int {
        let start = position
        while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        return position - start
    }

    /// Exactly `digits` decimal digits.
    mutating func integer(digits: Int) -> Int? {
        guard bytes.count - position >= digits else { return nil }
        var value = 0
        for _ in 0..<digits {
            guard isDigit(bytes[position]) else { return nil }
            value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
            position += 1
        }
        return value
    }

    /// One to `maxDigits` decimal digits.
    mutating func integer(maxDigits: Int) -> Int? {
        var value = 0
        var count = 0
        while position < bytes.count, isDigit(bytes[position]), count < maxDigits {
            value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
            position += 1
            count += 1
        }
        return count > 0 && (position == bytes.count || !isDigit(bytes[position])) ? value : nil
    }

    /// The digits after a decimal point, as a fraction of one (digits past the fifteenth are ignored).
    mutating func fraction() -> Double? {
        var numerator = 0
        var denominator = 1
        guard position < bytes.count, isDigit(bytes[position]) else { return nil }
        while position < bytes.count, isDigit(bytes[position]) {
            if denominator < 1_000_000_000_000_000 {
                numerator = numerator * 10 + Int(bytes[position] - UInt8(ascii: "0"))
                denominator *= 10
            }
            position += 1
        }
        return Double(numerator) / Double(denominator)
    }

    /// One to four hexadecimal digits.
    mutating func hexGroup() -> UInt16? {
        var value: UInt16 = 0
        var count = 0
        while position < bytes.count, count < 4, let digit = hexValue(bytes[position]) {
            value = value << 4 | UInt16(digit)
            position += 1
            count += 1
        }
        return count > 0 ? value : nil
    }

    /// Whether `byte` occurs in the rest of the input before the first `stop`.
    func remainingContains(_ byte: UInt8, before stop: UInt8) -> Bool {
        for candidate in bytes[position...] {
            if candidate == stop { return false }
            if candidate == byte { return true }
        }
        return false
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
