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
    /// The server's own API address, for environments without a network namespace.
    let hostEndpoint: String
    private let connection = Mutex<Connection?>(nil)

    private struct Connection {
        let handler: any HTTPHandler
        let issue: @Sendable (FunctionRecord) -> FunctionCredentials?
    }

    public init(hostEndpoint: String) {
        self.hostEndpoint = hostEndpoint
    }

    /// Connects the Control API, which is made after the invoker: `handler` answers the
    /// endpoint inside sandboxes, `issue` makes credentials for an environment of a function
    /// (nil gives it none). Until then, environments get neither.
    public func connect(
        handler: any HTTPHandler, issue: @escaping @Sendable (FunctionRecord) -> FunctionCredentials?
    ) {
        connection.withLock { $0 = Connection(handler: handler, issue: issue) }
    }

    var currentHandler: (any HTTPHandler)? { connection.withLock { $0?.handler } }

    func issue(for function: FunctionRecord) -> FunctionCredentials? {
        connection.withLock { $0?.issue }?(function)
    }
}
