import Foundation
import HTTP
import Store
import Synchronization

/// Temporary credentials for one environment's execution role.
public struct FunctionCredentials: Sendable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String
    public var expiration: Date

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String, expiration: Date) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }
}

/// How functions reach the AWS APIs as their execution role.
///
/// Each new environment gets credentials of its own (issued by the Control API) in
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, and an
/// `AWS_ENDPOINT_URL`: inside a sandbox, a port in the environment's own network
/// namespace that the server answers, so no host loopback service is reachable;
/// without a sandbox, the server's own address. An environment is not reused once
/// its credentials are near expiry, so the next one starts with fresh ones.
public final class FunctionAWSAccess: Sendable {
    /// Issues credentials for an environment of `function`; nil gives it none.
    let issue: @Sendable (FunctionRecord) -> FunctionCredentials?
    /// The server's own API address, for environments without a network namespace.
    let hostEndpoint: String
    private let handler = Mutex<(any HTTPHandler)?>(nil)

    public init(hostEndpoint: String, issue: @escaping @Sendable (FunctionRecord) -> FunctionCredentials?) {
        self.hostEndpoint = hostEndpoint
        self.issue = issue
    }

    /// The handler that answers the endpoint inside sandboxes (the Control API, made after the invoker).
    public func serve(with handler: any HTTPHandler) {
        self.handler.withLock { $0 = handler }
    }

    var currentHandler: (any HTTPHandler)? { handler.withLock { $0 } }
}
