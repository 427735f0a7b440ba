import CCrypto
import Foundation

/// SHA-256 digests computed by OpenSSL's libcrypto.
public enum SHA256 {
    /// The number of bytes in a SHA-256 digest.
    public static let digestByteCount = 32

    /// Returns the SHA-256 digest of `data`.
    ///
    /// - Parameter data: The bytes to hash; non-contiguous data is hashed region by region.
    /// - Returns: The 32-byte digest.
    public static func hash<D: DataProtocol>(_ data: D) -> [UInt8] {
        var hasher = SHA256Hasher()
        hasher.update(data)
        return hasher.finalize()
    }
}

/// An incremental SHA-256 computation for data that arrives in pieces.
///
/// The hasher owns an OpenSSL digest context, so it cannot be copied;
/// `finalize()` consumes it.
public struct SHA256Hasher: ~Copyable {
    private let context: OpaquePointer

    /// Starts a new SHA-256 computation.
    public init() {
        // Allocation or initialisation of a built-in digest fails only when
        // the process is out of memory or libcrypto is broken: both are fatal.
        guard let context = EVP_MD_CTX_new() else {
            fatalError("EVP_MD_CTX_new failed: out of memory")
        }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(context)
            fatalError("EVP_DigestInit_ex(SHA-256) failed")
        }
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// Feeds `data` into the digest.
    public mutating func update<D: DataProtocol>(_ data: D) {
        for region in data.regions {
            region.withUnsafeBytes { buffer in
                update(buffer)
            }
        }
    }

    /// Feeds the bytes of `buffer` into the digest.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        guard EVP_DigestUpdate(context, base, buffer.count) == 1 else {
            fatalError("EVP_DigestUpdate failed")
        }
    }

    /// Finishes the computation and returns the 32-byte digest.
    public consuming func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: SHA256.digestByteCount)
        var length: UInt32 = 0
        let status = digest.withUnsafeMutableBufferPointer { buffer in
            EVP_DigestFinal_ex(context, buffer.baseAddress, &length)
        }
        guard status == 1, Int(length) == SHA256.digestByteCount else {
            fatalError("EVP_DigestFinal_ex failed")
        }
        return digest
    }
}
