import Crypto
import Foundation

/// The secret behind an access key, as the verifier needs it.
public struct SigningKey: Sendable {
    public var secretAccessKey: String
    /// Temporary credentials carry a token the request must present; long-term keys have none.
    public var sessionToken: String?
    /// When temporary credentials stop working.
    public var expiration: Date?
    /// An access key made inactive through IAM signs nothing.
    public var isActive: Bool

    public init(secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil, isActive: Bool = true) {
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.isActive = isActive
    }
}

/// What a request was verifiably signed with.
public struct SignedScope: Sendable, Equatable {
    public var accessKeyId: String
    public var region: String
    public var service: String
}

/// Why a request's signature was refused; `message` is AWS's wording.
public struct SigV4Failure: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Neither an Authorization header nor a presigned query: an anonymous request.
        case missingAuthentication
        /// An Authorization header or presigned query that lacks a part or is malformed.
        case incompleteSignature
        /// The access key does not exist, is inactive, or its session token is wrong.
        case unrecognizedClient
        /// Temporary credentials past their expiry.
        case expiredToken
        /// Outside the clock-skew window, or a presigned URL past X-Amz-Expires.
        case signatureExpired
        /// The signature does not match: the secret, or any signed part of the request, differs.
        case signatureMismatch
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}

/// Verifies AWS Signature Version 4 on an incoming request, in either form: the
/// `Authorization` header, or a presigned query string (`X-Amz-Signature`).
///
/// Checks run cheapest first and the signature last, so a malformed or unknown
/// request costs no hashing: the form of the header, then the key, the token and
/// the clock, then the canonical request and the HMAC, compared in constant time.
public enum SigV4Verifier {
    /// How far a request's `X-Amz-Date` may be from the server's clock.
    public static let clockSkewSeconds: TimeInterval = 15 * 60

    private struct Parts {
        var accessKeyId: String
        var scope: String
        var region: String
        var service: String
        var amzDate: String
        var signedHeaders: [String]
        var signature: String
        var sessionToken: String?
        /// Presigned requests only: how long the URL is valid.
        var expiresSeconds: Int?
    }

    /// Verifies `request` as received: `path` and `query` still percent-encoded as sent.
    ///
    /// - Parameters:
    ///   - allowUnsignedPayload: Whether `UNSIGNED-PAYLOAD` may stand in for the body's hash
    ///     (S3-style endpoints); every other service signs the body.
    ///   - key: Looks up an access key id.
    public static func verify(
        _ request: SigV4.Request, now: Date = Date(), allowUnsignedPayload: Bool = false,
        key: (String) -> SigningKey?
    ) throws(SigV4Failure) -> SignedScope {
        let parts = try parse(request)
        guard let signingKey = key(parts.accessKeyId), signingKey.isActive else {
            throw SigV4Failure(.unrecognizedClient, "The security token included in the request is invalid.")
        }
        try checkToken(parts.sessionToken, against: signingKey, now: now)
        try checkClock(parts, now: now)

        var canonical = request
        if parts.expiresSeconds != nil {
            canonical.query = removingSignature(from: request.query)
        }
        let declaredHash = request.headers.first { $0.name.lowercased() == "x-amz-content-sha256" }?.value
        if allowUnsignedPayload, declaredHash == "UNSIGNED-PAYLOAD" || parts.expiresSeconds != nil {
            canonical.payloadHash = "UNSIGNED-PAYLOAD"
        } else {
            canonical.payloadHash = nil
        }
        let expected = SigV4.signature(
            canonical, signedHeaders: Set(parts.signedHeaders), amzDate: parts.amzDate, scope: parts.scope,
            secretAccessKey: signingKey.secretAccessKey)
        guard constantTimeEquals(Array(expected.utf8), Array(parts.signature.utf8)) else {
            throw SigV4Failure(
                .signatureMismatch,
                "The request signature we calculated does not match the signature you provided. Check your AWS "
                    + "Secret Access Key and signing method. Consult the service documentation for details.")
        }
        return SignedScope(accessKeyId: parts.accessKeyId, region: parts.region, service: parts.service)
    }

    /// The access key id a request claims, without verifying anything: for messages and audit.
    public static func claimedAccessKeyId(_ request: SigV4.Request) -> String? {
        try? parse(request).accessKeyId
    }

    // MARK: Parsing

    private static func parse(_ request: SigV4.Request) throws(SigV4Failure) -> Parts {
        if let authorization = header("authorization", in: request) {
            return try parseHeader(authorization, request)
        }
        let query = queryParameters(request.query)
        if query["X-Amz-Signature"] != nil || query["X-Amz-Algorithm"] != nil || query["X-Amz-Credential"] != nil {
            return try parsePresigned(query)
        }
        throw SigV4Failure(.missingAuthentication, "Missing Authentication Token")
    }

    private static func parseHeader(_ authorization: String, _ request: SigV4.Request) throws(SigV4Failure) -> Parts {
        let trimmed = authorization.drop { $0 == " " }
        guard trimmed.hasPrefix(SigV4.algorithm + " ") else {
            throw SigV4Failure(
                .incompleteSignature,
                "Authorization header requires the \(SigV4.algorithm) algorithm. Authorization=\(authorization)")
        }
        var fields: [String: String] = [:]
        for component in trimmed.dropFirst(SigV4.algorithm.count + 1).split(separator: ",") {
            let pair = component.drop { $0 == " " }.split(separator: "=", maxSplits: 1)
            if pair.count == 2 {
                var value = pair[1]
                while value.last == " " { value.removeLast() }
                fields[String(pair[0])] = String(value)
            }
        }
        let missing = ["Credential", "SignedHeaders", "Signature"].filter { fields[$0] == nil }
        guard missing.isEmpty, let credential = fields["Credential"], let signedHeaders = fields["SignedHeaders"],
            let signature = fields["Signature"]
        else {
            let requirements = missing.map { "Authorization header requires '\($0)' parameter." }
            throw SigV4Failure(
                .incompleteSignature, (requirements + ["Authorization=\(authorization)"]).joined(separator: " "))
        }
        guard let amzDate = header("x-amz-date", in: request) else {
            throw SigV4Failure(
                .incompleteSignature, "Authorization header requires existence of a 'X-Amz-Date' header.")
        }
        return try assemble(
            credential: credential, amzDate: amzDate, signedHeaders: signedHeaders, signature: signature,
            sessionToken: header("x-amz-security-token", in: request), expires: nil)
    }

    private static func parsePresigned(_ query: [String: String]) throws(SigV4Failure) -> Parts {
        let required = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature"]
        let missing = required.filter { query[$0] == nil }
        guard missing.isEmpty, let credential = query["X-Amz-Credential"], let amzDate = query["X-Amz-Date"],
            let signedHeaders = query["X-Amz-SignedHeaders"], let signature = query["X-Amz-Signature"]
        else {
            throw SigV4Failure(
                .incompleteSignature,
                missing.map { "AWS query-string parameters must include '\($0)'." }.joined(separator: " "))
        }
        guard query["X-Amz-Algorithm"] == SigV4.algorithm else {
            throw SigV4Failure(.incompleteSignature, "X-Amz-Algorithm only supports \(SigV4.algorithm)")
        }
        guard let expires = query["X-Amz-Expires"].flatMap({ Int($0) }), expires >= 0 else {
            throw SigV4Failure(
                .incompleteSignature, "AWS query-string parameters must include a numeric 'X-Amz-Expires'.")
        }
        guard expires <= PresignedURL.maximumExpirySeconds else {
            throw SigV4Failure(
                .incompleteSignature,
                "X-Amz-Expires must be less than a week (in seconds) that is \(PresignedURL.maximumExpirySeconds)")
        }
        return try assemble(
            credential: credential, amzDate: amzDate, signedHeaders: signedHeaders, signature: signature,
            sessionToken: query["X-Amz-Security-Token"], expires: expires)
    }

    private static func assemble(
        credential: String, amzDate: String, signedHeaders: String, signature: String, sessionToken: String?,
        expires: Int?
    ) throws(SigV4Failure) -> Parts {
        let scopeParts = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scopeParts.count == 5, !scopeParts[0].isEmpty, scopeParts[4] == "aws4_request" else {
            throw SigV4Failure(
                .incompleteSignature,
                "Credential should be scoped to a valid region, a service and 'aws4_request'. Credential=\(credential)")
        }
        guard date(amzDate) != nil else {
            throw SigV4Failure(.incompleteSignature, "Date must be in ISO-8601 'basic format'. Got '\(amzDate)'.")
        }
        guard scopeParts[1] == amzDate.prefix(8) else {
            throw SigV4Failure(
                .signatureMismatch,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                    + "'\(scopeParts[1])' != '\(amzDate.prefix(8))', from '\(amzDate)'.")
        }
        let headers = signedHeaders.split(separator: ";").map { $0.lowercased() }
        guard headers.contains("host") else {
            throw SigV4Failure(.signatureMismatch, "'Host' must be a 'SignedHeader' in the AWS Authorization.")
        }
        return Parts(
            accessKeyId: scopeParts[0], scope: scopeParts.dropFirst().joined(separator: "/"), region: scopeParts[2],
            service: scopeParts[3], amzDate: amzDate, signedHeaders: headers,
            signature: signature, sessionToken: sessionToken, expiresSeconds: expires)
    }

    // MARK: Checks

    private static func checkToken(_ token: String?, against key: SigningKey, now: Date) throws(SigV4Failure) {
        let presented = Array((token ?? "").utf8)
        let expected = Array((key.sessionToken ?? "").utf8)
        guard (token == nil) == (key.sessionToken == nil), constantTimeEquals(presented, expected) else {
            throw SigV4Failure(.unrecognizedClient, "The security token included in the request is invalid.")
        }
        if let expiration = key.expiration, expiration <= now {
            throw SigV4Failure(.expiredToken, "The security token included in the request is expired")
        }
    }

    private static func checkClock(_ parts: Parts, now: Date) throws(SigV4Failure) {
        guard let signed = date(parts.amzDate) else {
            throw SigV4Failure(.incompleteSignature, "Date must be in ISO-8601 'basic format'.")
        }
        if let expires = parts.expiresSeconds {
            guard now.timeIntervalSince(signed) <= Double(expires) else {
                throw SigV4Failure(
                    .signatureExpired,
                    "Signature expired: \(parts.amzDate) is now earlier than "
                        + "\(SigV4.timestamp(now)) (\(parts.amzDate) + \(expires) sec.)")
            }
            guard signed.timeIntervalSince(now) <= clockSkewSeconds else {
                throw SigV4Failure(.signatureExpired, "Signature not yet current: \(parts.amzDate)")
            }
            return
        }
        if now.timeIntervalSince(signed) > clockSkewSeconds {
            let nowStamp = SigV4.timestamp(now)
            let earliest = SigV4.timestamp(now.addingTimeInterval(-clockSkewSeconds))
            throw SigV4Failure(
                .signatureExpired,
                "Signature expired: \(parts.amzDate) is now earlier than \(earliest) (\(nowStamp) - 15 min.)")
        }
        if signed.timeIntervalSince(now) > clockSkewSeconds {
            let nowStamp = SigV4.timestamp(now)
            let latest = SigV4.timestamp(now.addingTimeInterval(clockSkewSeconds))
            throw SigV4Failure(
                .signatureExpired,
                "Signature not yet current: \(parts.amzDate) is still later than \(latest) (\(nowStamp) + 15 min.)")
        }
    }

    // MARK: Helpers

    private static func header(_ name: String, in request: SigV4.Request) -> String? {
        request.headers.first { $0.name.lowercased() == name }?.value
    }

    /// The query's parameters, percent-decoded; the first of a repeated name wins.
    static func queryParameters(_ query: String) -> [String: String] {
        var parameters: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            if parameters[name] == nil {
                parameters[name] = value
            }
        }
        return parameters
    }

    private static func removingSignature(from query: String) -> String {
        query.split(separator: "&")
            .filter { !$0.hasPrefix("X-Amz-Signature=") }
            .joined(separator: "&")
    }

    private static func date(_ amzDate: String) -> Date? {
        let bytes = Array(amzDate.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
            let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        // Days since the epoch of a proleptic Gregorian date (Howard Hinnant's days_from_civil):
        // Calendar and DateComponents cost more than verifying the signature.
        let shifted = month <= 2 ? year - 1 : year
        let era = shifted / 400
        let yearOfEra = shifted - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3_600 + minute * 60 + second))
    }
}
