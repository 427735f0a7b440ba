import Crypto
import Foundation
import Synchronization

/// AWS credentials: an access key and its secret, with a session token for
/// temporary credentials.
public struct Credentials: Sendable, Equatable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

/// AWS Signature Version 4, as AWS specifies it for services other than S3.
///
/// The canonical request is built here once, so the signer (CLI, cluster
/// peers) and the verifier (every AWS-compatible endpoint) cannot disagree.
public enum SigV4 {
    public static let algorithm = "AWS4-HMAC-SHA256"
    private static let signingKeys = SigningKeyCache()

    /// A request to sign or verify, with its path still percent-encoded as sent.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: String
        /// Header fields; names are compared case-insensitively.
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]
        /// The payload hash to sign instead of the body's (`UNSIGNED-PAYLOAD` for presigned URLs).
        public var payloadHash: String?

        public init(
            method: String, path: String, query: String = "", headers: [(name: String, value: String)],
            body: [UInt8], payloadHash: String? = nil
        ) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
            self.payloadHash = payloadHash
        }
    }

    /// The headers to add to `request` so that it is signed for `service` in `region` at `date`.
    public static func sign(
        _ request: Request, credentials: Credentials, region: String, service: String, date: Date = Date()
    ) -> [(name: String, value: String)] {
        let amzDate = timestamp(date)
        var signed = request
        var added: [(name: String, value: String)] = [(name: "X-Amz-Date", value: amzDate)]
        if let token = credentials.sessionToken {
            added.append((name: "X-Amz-Security-Token", value: token))
        }
        signed.headers += added
        let headerNames = signed.headers.map { $0.name.lowercased() }
            .filter { $0 == "host" || $0.hasPrefix("x-amz-") || $0 == "content-type" }
        let scope = "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
        let signature = self.signature(
            signed, signedHeaders: Set(headerNames), amzDate: amzDate, scope: scope,
            secretAccessKey: credentials.secretAccessKey)
        let authorization =
            "\(algorithm) Credential=\(credentials.accessKeyId)/\(scope), "
            + "SignedHeaders=\(Set(headerNames).sorted().joined(separator: ";")), Signature=\(signature)"
        return added + [(name: "Authorization", value: authorization)]
    }

    /// The hex signature of `request` over `signedHeaders`.
    public static func signature(
        _ request: Request, signedHeaders: Set<String>, amzDate: String, scope: String, secretAccessKey: String
    ) -> String {
        let canonical = canonicalRequestBytes(request, signedHeaders: signedHeaders)
        let stringToSign = [algorithm, amzDate, scope, SHA256.hash(canonical).hexString].joined(separator: "\n")
        let key = signingKeys.key(secretAccessKey: secretAccessKey, scope: scope)
        return HMAC.sha256(key: key, message: Array(stringToSign.utf8)).hexString
    }

    /// The canonical request AWS signs: method, canonical URI, query, headers, signed headers, payload hash.
    public static func canonicalRequest(_ request: Request, signedHeaders: Set<String>) -> String {
        String(decoding: canonicalRequestBytes(request, signedHeaders: signedHeaders), as: UTF8.self)
    }

    /// The canonical request as the bytes that are hashed. Built on bytes rather than strings:
    /// every request is signed by its client and verified by the server, and string building
    /// here was most of the cost of both beyond the hashing itself.
    static func canonicalRequestBytes(_ request: Request, signedHeaders: Set<String>) -> [UInt8] {
        var values: [String: [UInt8]] = [:]
        for header in request.headers {
            let name = asciiLowercased(header.name)
            guard signedHeaders.contains(name) else { continue }
            let value = canonicalValue(header.value)
            if let earlier = values[name] {
                values[name] = earlier + [UInt8(ascii: ",")] + value
            } else {
                values[name] = value
            }
        }
        let names = values.keys.sorted()
        let newline = UInt8(ascii: "\n")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256 + request.path.utf8.count + request.query.utf8.count)
        bytes += request.method.utf8
        bytes.append(newline)
        bytes += canonicalURI(request.path).utf8
        bytes.append(newline)
        bytes += canonicalQuery(request.query).utf8
        bytes.append(newline)
        for name in names {
            bytes += name.utf8
            bytes.append(UInt8(ascii: ":"))
            bytes += values[name, default: []]
            bytes.append(newline)
        }
        bytes.append(newline)
        bytes += names.joined(separator: ";").utf8
        bytes.append(newline)
        bytes += (request.payloadHash ?? SHA256.hash(request.body).hexString).utf8
        return bytes
    }

    /// `name` in lower case; header names are ASCII tokens, so only A-Z change (anything else
    /// goes through the full Unicode mapping, as before).
    static func asciiLowercased(_ name: String) -> String {
        guard name.utf8.contains(where: { $0 >= 0x80 || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) else {
            return name
        }
        guard name.utf8.allSatisfy({ $0 < 0x80 }) else { return name.lowercased() }
        return String(
            decoding: name.utf8.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 | 0x20 : $0 },
            as: UTF8.self)
    }

    /// The path as non-S3 services sign it: normalized, then each segment encoded once more, so `%3A` in an
    /// ARN becomes `%253A`.
    ///
    /// Normalizing drops empty and `.` segments and lets `..` remove the segment before it (RFC 3986's
    /// dot-segment removal, with `//` collapsed as AWS's suite and SDKs do); a trailing slash stays.
    static func canonicalURI(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/") {
            switch segment {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(segment)
            }
        }
        let trailingSlash = path.hasSuffix("/") && !segments.isEmpty ? "/" : ""
        return "/" + segments.map { uriEncode(String($0)) }.joined(separator: "/") + trailingSlash
    }

    static func canonicalQuery(_ query: String) -> String {
        var pairs: [(key: String, value: String)] = []
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            pairs.append((key: uriEncode(key), value: uriEncode(value)))
        }
        pairs.sort { left, right in left.key == right.key ? left.value < right.value : left.key < right.key }
        return pairs.map { pair in pair.key + "=" + pair.value }.joined(separator: "&")
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// RFC 3986 encoding of everything but unreserved characters, as SigV4 requires.
    static func uriEncode(_ text: String) -> String {
        guard !text.utf8.allSatisfy(isUnreserved) else { return text }
        var result: [UInt8] = []
        result.reserveCapacity(text.utf8.count * 3)
        for byte in text.utf8 {
            if isUnreserved(byte) {
                result.append(byte)
            } else {
                result += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0f)]]
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default: false
        }
    }

    /// A header value as SigV4 signs it: each line of a folded (multi-line) value trimmed, with its runs of
    /// spaces collapsed, and the lines joined with commas as if they were repeated fields.
    private static func canonicalValue(_ value: String) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(value.utf8.count)
        for line in value.utf8.split(whereSeparator: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
            let words = line.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
            guard !words.isEmpty else { continue }
            if !result.isEmpty {
                result.append(UInt8(ascii: ","))
            }
            for (index, word) in words.enumerated() {
                if index > 0 {
                    result.append(UInt8(ascii: " "))
                }
                result += word
            }
        }
        return result
    }

    /// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
    ///
    /// Formatted from `gmtime_r` rather than a `DateFormatter`, whose creation costs more than
    /// the rest of signing a request.
    public static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        func append(_ value: Int32, digits: Int) {
            var divisor: Int32 = 1
            for _ in 1..<digits { divisor *= 10 }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8((value / divisor) % 10))
                divisor /= 10
            }
        }
        append(parts.tm_year + 1900, digits: 4)
        append(parts.tm_mon + 1, digits: 2)
        append(parts.tm_mday, digits: 2)
        bytes.append(UInt8(ascii: "T"))
        append(parts.tm_hour, digits: 2)
        append(parts.tm_min, digits: 2)
        append(parts.tm_sec, digits: 2)
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Signing keys by secret and scope. A key depends only on the secret, the day, the region and
/// the service, so deriving it (four HMACs) once a day per client is enough.
final class SigningKeyCache: Sendable {
    private let keys = Mutex<[String: [UInt8]]>([:])
    /// Bound on cached keys; the cache is emptied when it grows past this.
    private static let limit = 1024

    func key(secretAccessKey: String, scope: String) -> [UInt8] {
        let cacheKey = scope + "\u{0}" + secretAccessKey
        if let key = keys.withLock({ $0[cacheKey] }) {
            return key
        }
        let parts = scope.split(separator: "/")
        var key = HMAC.sha256(key: Array("AWS4\(secretAccessKey)".utf8), message: Array((parts.first ?? "").utf8))
        for part in parts.dropFirst() {
            key = HMAC.sha256(key: key, message: Array(part.utf8))
        }
        keys.withLock { keys in
            if keys.count >= Self.limit {
                keys.removeAll()
            }
            keys[cacheKey] = key
        }
        return key
    }
}
