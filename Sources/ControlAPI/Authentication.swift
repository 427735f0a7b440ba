import Auth
import Foundation
import HTTP

/// The AWS protocol a request speaks, which decides how its errors are written.
enum WireProtocol: Sendable {
    /// Lambda's REST-JSON: `X-Amzn-ErrorType` and `{"message": ...}`.
    case rest
    /// JSON 1.1 with `X-Amz-Target` (CloudWatch Logs).
    case json
    /// The query protocol of IAM and STS: form bodies, XML replies.
    case query

    init(_ request: HTTPRequest) {
        if request.headers["X-Amz-Target"] != nil {
            self = .json
        } else if request.method == "POST", request.path == "/",
            request.headers["Content-Type"]?.hasPrefix("application/x-www-form-urlencoded") == true
        {
            self = .query
        } else {
            self = .rest
        }
    }
}

/// Who made a verified request, and the scope they signed it for.
struct Caller: Sendable {
    let principal: Principal
    let accessKeyId: String
    let region: String
    let service: String
}

/// The owner of an access key: its secret, and the identity it signs as.
struct KeyOwner: Sendable {
    let key: SigningKey
    let principal: Principal
}

/// Turns a signed request into a `Caller`, or into the error AWS returns for it.
///
/// Root's key is held in memory; every other key (IAM users' keys, sessions of
/// assumed roles) is looked up through `lookup`.
struct Authenticator: Sendable {
    let accountId: String
    let root: Credentials?
    let lookup: @Sendable (String) -> KeyOwner?

    func authenticate(_ request: HTTPRequest, as wire: WireProtocol) throws(AWSError) -> Caller {
        let signed = SigV4.Request(
            method: request.method, path: String(request.path), query: String(request.query),
            headers: request.headers.fields, body: request.body)
        var principal: Principal?
        do throws(SigV4Failure) {
            let scope = try SigV4Verifier.verify(signed) { accessKeyId in
                let owner = owner(of: accessKeyId)
                principal = owner?.principal
                return owner?.key
            }
            guard let principal else { throw SigV4Failure.unrecognized }
            return Caller(
                principal: principal, accessKeyId: scope.accessKeyId, region: scope.region, service: scope.service)
        } catch {
            throw Self.error(for: error, wire: wire)
        }
    }

    private func owner(of accessKeyId: String) -> KeyOwner? {
        if let root, accessKeyId == root.accessKeyId {
            return KeyOwner(
                key: SigningKey(secretAccessKey: root.secretAccessKey), principal: .root(accountId: accountId))
        }
        return lookup(accessKeyId)
    }

    /// AWS's code and status for each failure, in the dialect of the request's protocol.
    static func error(for failure: SigV4Failure, wire: WireProtocol) -> AWSError {
        let code: String
        switch (failure.kind, wire) {
        case (.missingAuthentication, .query): code = "MissingAuthenticationToken"
        case (.missingAuthentication, _): code = "MissingAuthenticationTokenException"
        case (.incompleteSignature, .query): code = "IncompleteSignature"
        case (.incompleteSignature, _): code = "IncompleteSignatureException"
        case (.unrecognizedClient, .query): code = "InvalidClientTokenId"
        case (.unrecognizedClient, _): code = "UnrecognizedClientException"
        case (.expiredToken, .query): code = "ExpiredToken"
        case (.expiredToken, _): code = "ExpiredTokenException"
        case (.signatureExpired, .query), (.signatureMismatch, .query): code = "SignatureDoesNotMatch"
        case (.signatureExpired, _), (.signatureMismatch, _): code = "InvalidSignatureException"
        }
        let message =
            failure.kind == .missingAuthentication && wire == .query
            ? "Request is missing Authentication Token" : failure.message
        // JSON 1.1 services answer authentication failures with 400; REST and query with 403.
        let status = wire == .json || (failure.kind == .incompleteSignature && wire == .query) ? 400 : 403
        return AWSError(status: status, code: code, message: message)
    }
}

extension SigV4Failure {
    static let unrecognized = SigV4Failure(
        .unrecognizedClient, "The security token included in the request is invalid.")
}
