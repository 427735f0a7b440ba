import CCrypto

private let lowercaseHexDigits: [UInt8] = Array("0123456789abcdef".utf8)

extension Collection<UInt8> {
    /// The bytes as lowercase hexadecimal, two digits per byte.
    public var hexString: String {
        let digits = lowercaseHexDigits
        return String(unsafeUninitializedCapacity: count * 2) { output in
            var index = 0
            for byte in self {
                output[index] = digits[Int(byte >> 4)]
                output[index + 1] = digits[Int(byte & 0x0f)]
                index += 2
            }
            return index
        }
    }
}

/// Returns whether `a` and `b` hold the same bytes, taking time that depends
/// only on their lengths, so comparing secrets (signatures, tokens) leaks nothing
/// about where they differ.
///
/// Lengths are not secret: inputs of different lengths compare unequal at once.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    guard !a.isEmpty else { return true }
    return a.withUnsafeBytes { left in
        b.withUnsafeBytes { right in
            CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0
        }
    }
}

extension [UInt8] {
    /// Decodes hexadecimal (either case) into bytes.
    ///
    /// Fails when `hexString` has an odd length or a character that is not a hex digit.
    public init?(hexString: some StringProtocol) {
        let digits = Array(hexString.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else {
                return nil
            }
            bytes.append(high << 4 | low)
            index += 2
        }
        self = bytes
    }
}

private func hexValue(_ digit: UInt8) -> UInt8? {
    switch digit {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
    default: nil
    }
}
