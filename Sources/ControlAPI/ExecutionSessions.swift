import Auth
import Crypto
import Foundation
import Invoker
import Store
import Synchronization

/// The temporary credentials of functions' execution roles, one session per
/// environment, held in memory: they live no longer than the environments that
/// carry them, which a restart ends too.
///
/// A session signs as `arn:aws:sts::ACCOUNT:assumed-role/ROLE/FUNCTION`, with the
/// role's policies, as on AWS.
final class ExecutionSessions: Sendable {
    /// What a role is, as the sessions need it.
    struct Role: Sendable {
        let name: String
        let roleId: String
        let path: String
    }

    /// How long a session's credentials last by default. Environments are not reused near the end.
    static let defaultLifetime: TimeInterval = 3600

    private let accountId: String
    private let lifetime: TimeInterval
    private let role: @Sendable (_ arn: String) -> Role?
    private let sessions = Mutex<[String: KeyOwner]>([:])

    init(
        accountId: String, lifetime: TimeInterval = defaultLifetime,
        role: @escaping @Sendable (_ arn: String) -> Role?
    ) {
        self.accountId = accountId
        self.lifetime = lifetime
        self.role = role
    }

    /// New credentials for an environment of `function`; nil when its role no longer exists.
    func issue(for function: FunctionRecord) -> FunctionCredentials? {
        guard let role = role(function.role) else { return nil }
        let expiration = Date().addingTimeInterval(lifetime)
        let credentials = FunctionCredentials(
            accessKeyId: "ASIA" + Self.randomBase32(count: 16), secretAccessKey: Self.randomBase64(bytes: 30),
            sessionToken: Self.randomBase64(bytes: 96), expiration: expiration)
        let principal = Principal.assumedRole(
            role: role.name, roleId: role.roleId, session: function.name, accountId: accountId, rolePath: role.path)
        let owner = KeyOwner(
            key: SigningKey(
                secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken,
                expiration: expiration),
            principal: principal)
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.key.expiration.map { $0 > Date() } ?? false }
            sessions[credentials.accessKeyId] = owner
        }
        return credentials
    }

    /// The session behind `accessKeyId`, if it is one of these.
    func owner(of accessKeyId: String) -> KeyOwner? {
        sessions.withLock { $0[accessKeyId] }
    }

    /// The role name and path in `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
    static func roleName(fromArn arn: String) -> (name: String, path: String)? {
        guard let range = arn.range(of: ":role/") else { return nil }
        let rest = arn[range.upperBound...]
        guard let slash = rest.lastIndex(of: "/") else { return (String(rest), "/") }
        return (String(rest[rest.index(after: slash)...]), "/" + rest[..<slash] + "/")
    }

    private static func randomBase32(count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        return String(SecureRandom.bytes(count: count).map { alphabet[Int($0) % alphabet.count] })
    }

    private static func randomBase64(bytes: Int) -> String {
        Data(SecureRandom.bytes(count: bytes)).base64EncodedString()
    }
}
