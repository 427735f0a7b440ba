/// Who signed a request, as IAM names it.
///
/// Root is the account itself; a user holds long-term access keys; an assumed
/// role is a session with temporary credentials (from STS AssumeRole, or a
/// function's execution role).
public struct Principal: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case root = "Account"
        case user = "User"
        case assumedRole = "AssumedRole"
    }

    public var kind: Kind
    public var accountId: String
    /// The principal's ARN: `arn:aws:iam::ACCOUNT:root`, `arn:aws:iam::ACCOUNT:user/NAME`,
    /// or `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    public var arn: String
    /// IAM's unique id: the account id for root, `AIDA…` for a user, `AROA…:SESSION` for a session.
    public var userId: String
    /// The user name, or the role name of a session; nil for root.
    public var name: String?
    /// The session name of an assumed role.
    public var sessionName: String?
    /// The ARN of the role behind an assumed-role session, which is what policies name.
    public var roleArn: String?

    public init(
        kind: Kind, accountId: String, arn: String, userId: String, name: String? = nil, sessionName: String? = nil,
        roleArn: String? = nil
    ) {
        self.kind = kind
        self.accountId = accountId
        self.arn = arn
        self.userId = userId
        self.name = name
        self.sessionName = sessionName
        self.roleArn = roleArn
    }

    public static func root(accountId: String) -> Principal {
        Principal(kind: .root, accountId: accountId, arn: "arn:aws:iam::\(accountId):root", userId: accountId)
    }

    public static func user(name: String, userId: String, accountId: String, path: String = "/") -> Principal {
        Principal(
            kind: .user, accountId: accountId, arn: "arn:aws:iam::\(accountId):user\(path)\(name)", userId: userId,
            name: name)
    }

    /// A session of role `role` (whose path is `rolePath`) named `session`.
    public static func assumedRole(
        role: String, roleId: String, session: String, accountId: String, rolePath: String = "/"
    ) -> Principal {
        Principal(
            kind: .assumedRole, accountId: accountId, arn: "arn:aws:sts::\(accountId):assumed-role/\(role)/\(session)",
            userId: "\(roleId):\(session)", name: role, sessionName: session,
            roleArn: "arn:aws:iam::\(accountId):role\(rolePath)\(role)")
    }
}
