import Crypto
import Foundation
import Testing

@Suite("SHA-256")
struct SHA256Tests {
    @Test(
        "hashes known vectors",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
        ]
    )
    func knownVectors(input: String, expectedHex: String) {
        #expect(SHA256.hash(Array(input.utf8)).hexString == expectedHex)
        #expect(SHA256.hash(Data(input.utf8)).hexString == expectedHex)
    }

    @Test("incremental hashing matches one-shot hashing")
    func incrementalMatchesOneShot() {
        let message = Array("The quick brown fox jumps over the lazy dog".utf8)
        var hasher = SHA256Hasher()
        hasher.update(message[..<10])
        hasher.update(message[10...])
        #expect(hasher.finalize() == SHA256.hash(message))
    }

    @Test("non-contiguous data hashes like its contiguous copy")
    func nonContiguousData() {
        let pieces: [[UInt8]] = [Array("ab".utf8), [], Array("c".utf8)]
        let dispatchData = pieces.reduce(DispatchData.empty) { data, piece in
            var data = data
            piece.withUnsafeBytes { data.append($0) }
            return data
        }
        #expect(SHA256.hash(dispatchData) == SHA256.hash(Array("abc".utf8)))
    }

    @Test("different inputs give different digests")
    func differentInputsDiffer() {
        #expect(SHA256.hash(Array("abc".utf8)) != SHA256.hash(Array("abd".utf8)))
    }
}

@Suite("HMAC-SHA-256")
struct HMACTests {
    @Test("matches RFC 4231 test cases")
    func rfc4231() {
        // Test case 2: a short key and message.
        let code = HMAC.sha256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(code.hexString == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")

        // Test case 6: a key longer than the block size is hashed first.
        let longKey = [UInt8](repeating: 0xaa, count: 131)
        let message = Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)
        #expect(
            HMAC.sha256(key: longKey, message: message).hexString
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        )
    }

    @Test("accepts an empty key and an empty message")
    func emptyInputs() {
        // Python: hmac.new(b"", b"", hashlib.sha256).hexdigest()
        #expect(
            HMAC.sha256(key: [], message: [UInt8]()).hexString
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"
        )
    }

    @Test("a different key gives a different code")
    func keyMatters() {
        let message = Array("payload".utf8)
        #expect(HMAC.sha256(key: [1], message: message) != HMAC.sha256(key: [2], message: message))
    }

    @Test("Data and byte arrays give the same code")
    func dataAndArrays() {
        let key = Array("key".utf8)
        let fromData = HMAC.sha256(key: key, message: Data("m".utf8))
        #expect(fromData == HMAC.sha256(key: key, message: [UInt8(ascii: "m")]))
    }
}

@Suite("Secure randomness")
struct SecureRandomTests {
    @Test("returns the requested number of bytes", arguments: [0, 1, 16, 32, 1000])
    func length(count: Int) {
        #expect(SecureRandom.bytes(count: count).count == count)
    }

    @Test("does not repeat itself")
    func noRepetition() {
        let samples = (0..<100).map { _ in SecureRandom.bytes(count: 16) }
        #expect(Set(samples).count == samples.count)
    }

    @Test("is not all zeros")
    func notZero() {
        #expect(SecureRandom.bytes(count: 64).contains { $0 != 0 })
    }
}

@Suite("Byte helpers")
struct ByteHelperTests {
    @Test("hex encodes bytes in lowercase")
    func hexEncoding() {
        #expect([UInt8]().hexString == "")
        #expect([0x00, 0x0f, 0xa5, 0xff].hexString == "000fa5ff")
    }

    @Test("hex decoding round-trips", arguments: ["", "00", "000fa5ff", "DEADbeef"])
    func hexRoundTrip(hex: String) {
        #expect([UInt8](hexString: hex)?.hexString == hex.lowercased())
    }

    @Test("hex decoding refuses malformed input", arguments: ["0", "abc", "zz", "0g", " 00"])
    func hexRefusesMalformed(hex: String) {
        #expect([UInt8](hexString: hex) == nil)
    }

    @Test(
        "constant-time comparison tells equal from different bytes",
        arguments: [
            ([UInt8](), [UInt8](), true),
            ([1, 2, 3], [1, 2, 3], true),
            ([1, 2, 3], [1, 2, 4], false),
            ([1, 2, 3], [1, 2], false),
            ([], [0], false),
        ]
    )
    func constantTimeComparison(a: [UInt8], b: [UInt8], equal: Bool) {
        #expect(constantTimeEquals(a, b) == equal)
    }
}
