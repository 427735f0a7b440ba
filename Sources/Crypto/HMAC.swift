import CCrypto
import Foundation

/// Keyed-hash message authentication codes (RFC 2104) computed by libcrypto.
public enum HMAC {
    /// Returns HMAC-SHA-256 of `message` under `key`.
    ///
    /// - Parameters:
    ///   - key: The secret key; any length (longer keys are hashed first, as RFC 2104 says).
    ///   - message: The authenticated bytes.
    /// - Returns: The 32-byte authentication code.
    public static func sha256(key: [UInt8], message: some DataProtocol) -> [UInt8] {
        let contiguous = message.withContiguousStorageIfAvailable { buffer in
            sha256(key: key, message: UnsafeRawBufferPointer(buffer))
        }
        if let contiguous { return contiguous }
        return Array(message).withUnsafeBytes { sha256(key: key, message: $0) }
    }

    private static func sha256(key: [UInt8], message: UnsafeRawBufferPointer) -> [UInt8] {
        var code = [UInt8](repeating: 0, count: SHA256.digestByteCount)
        var length: UInt32 = 0
        let result = withNonNullBytes(key) { keyBytes in
            withNonNullBytes(message) { messageBytes in
                code.withUnsafeMutableBufferPointer { output in
                    CCrypto.HMAC(
                        EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count),
                        messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), messageBytes.count,
                        output.baseAddress, &length
                    )
                }
            }
        }
        // One-shot HMAC with a built-in digest fails only when libcrypto is broken.
        guard result != nil, Int(length) == SHA256.digestByteCount else {
            fatalError("HMAC-SHA-256 failed in libcrypto")
        }
        return code
    }

    /// Calls `body` with a buffer whose base address is never nil, even when it is empty,
    /// because libcrypto treats a NULL key or message specially.
    private static func withNonNullBytes<R>(
        _ bytes: some ContiguousBytes, _ body: (UnsafeRawBufferPointer) -> R
    ) -> R {
        bytes.withUnsafeBytes { buffer in
            if buffer.baseAddress != nil { return body(buffer) }
            let placeholder: [UInt8] = [0]
            return placeholder.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<0])) }
        }
    }
}
