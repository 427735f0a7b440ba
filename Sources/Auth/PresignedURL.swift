import Crypto
import Foundation

/// SigV4 query-string signing: URLs that carry their own signature and expiry,
/// such as GetFunction's `Code.Location`.
public enum PresignedURL {
    /// Why a presigned URL was refused.
    public enum Failure: Error, Equatable {
        case missingParameters
        case unknownAccessKey
        case expired
        case signatureMismatch
    }

    /// Longest validity AWS allows for a presigned URL (7 days).
    public static let maximumExpirySeconds = 604_800

    /// The query string that signs `GET host path` for `expirySeconds` from `date`.
    public static func query(
        host: String, path: String, credentials: Credentials, region: String, service: String,
        expirySeconds: Int, date: Date = Date()
    ) -> String {
        let amzDate = SigV4.timestamp(date)
        let scope = "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
        var parameters = [
            ("X-Amz-Algorithm", SigV4.algorithm),
            ("X-Amz-Credential", "\(credentials.accessKeyId)/\(scope)"),
            ("X-Amz-Date", amzDate),
            ("X-Amz-Expires", String(expirySeconds)),
            ("X-Amz-SignedHeaders", "host"),
        ]
        let unsigned = encode(parameters)
        let request = SigV4.Request(
            method: "GET", path: path, query: unsigned, headers: [(name: "host", value: host)], body: [],
            payloadHash: "UNSIGNED-PAYLOAD")
        let signature = SigV4.signature(
            request, signedHeaders: ["host"], amzDate: amzDate, scope: scope,
            secretAccessKey: credentials.secretAccessKey)
        parameters.append(("X-Amz-Signature", signature))
        return encode(parameters)
    }

    /// Checks a presigned `GET host path?query` against the secret of its access key.
    public static func verify(
        host: String, path: String, query: [String: String], now: Date = Date(),
        secret: (String) -> String?
    ) throws(Failure) {
        guard query["X-Amz-Algorithm"] == SigV4.algorithm, let credential = query["X-Amz-Credential"],
            let amzDate = query["X-Amz-Date"], let expires = query["X-Amz-Expires"].flatMap({ Int($0) }),
            query["X-Amz-SignedHeaders"] == "host", let signature = query["X-Amz-Signature"],
            let slash = credential.firstIndex(of: "/")
        else { throw .missingParameters }
        guard let secretAccessKey = secret(String(credential[..<slash])) else { throw .unknownAccessKey }
        guard let signed = date(amzDate), expires <= maximumExpirySeconds,
            now.timeIntervalSince(signed) <= Double(expires)
        else { throw .expired }
        let unsigned = encode(
            query.filter { $0.key != "X-Amz-Signature" }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        let request = SigV4.Request(
            method: "GET", path: path, query: unsigned, headers: [(name: "host", value: host)], body: [],
            payloadHash: "UNSIGNED-PAYLOAD")
        let expected = SigV4.signature(
            request, signedHeaders: ["host"], amzDate: amzDate,
            scope: String(credential[credential.index(after: slash)...]),
            secretAccessKey: secretAccessKey)
        guard constantTimeEquals(Array(expected.utf8), Array(signature.utf8)) else { throw .signatureMismatch }
    }

    private static func encode(_ parameters: [(String, String)]) -> String {
        parameters.map { "\(SigV4.uriEncode($0.0))=\(SigV4.uriEncode($0.1))" }.joined(separator: "&")
    }

    private static func date(_ amzDate: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.date(from: amzDate)
    }
}
