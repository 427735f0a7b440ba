import CCrypto

/// Cryptographically secure random bytes from libcrypto's seeded generator.
public enum SecureRandom {
    /// Returns `count` random bytes suitable for keys, tokens and identifiers.
    ///
    /// - Parameter count: The number of bytes; must not be negative.
    public static func bytes(count: Int) -> [UInt8] {
        precondition(count >= 0, "SecureRandom.bytes(count:) needs a non-negative count")
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        let status = bytes.withUnsafeMutableBufferPointer { buffer in
            RAND_bytes(buffer.baseAddress, Int32(clamping: buffer.count))
        }
        // RAND_bytes fails only if the generator could not be seeded; handing
        // out predictable bytes instead would be worse than stopping.
        guard status == 1 else {
            fatalError("RAND_bytes failed: the random generator is not seeded")
        }
        return bytes
    }
}
