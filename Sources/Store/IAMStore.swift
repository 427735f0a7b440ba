import Crypto
import Foundation

/// IAM's entities as the store keeps them: users and their access keys, roles, customer
/// managed policies with their versions, inline policies, attachments of managed policies,
/// and the temporary credentials of role sessions.
///
/// Names of users, roles and managed policies are unique within the account regardless of
/// case, as in IAM: looking up "ADMIN" finds the user stored as "admin". Every method that
/// changes state does so in one transaction that is durable when it returns.
///
/// Methods that act on something that belongs to a user or role throw `.notFound` when that
/// user or role does not exist; a missing child is reported through the return value.
public protocol IAMStore: Sendable {
    // MARK: Users

    /// Stores a new user; `.conflict` when a user by that name (in any case) exists.
    func createUser(_ user: IAMUserRecord) throws(StoreError)

    /// The user named `name`, or nil.
    func user(named name: String) throws(StoreError) -> IAMUserRecord?

    /// Users whose path starts with `pathPrefix` (all when nil), ordered by name ignoring case.
    func users(pathPrefix: String?) throws(StoreError) -> [IAMUserRecord]

    /// Deletes a user that has no access keys, inline policies or attached policies.
    func deleteUser(named name: String) throws(StoreError) -> IAMDeletion

    // MARK: Access keys

    /// Stores a new access key for its user.
    ///
    /// - Parameter limit: How many keys a user may have; one more is `.conflict`.
    /// - Throws: `.notFound` without the user.
    func createAccessKey(_ key: AccessKeyRecord, limit: Int) throws(StoreError)

    /// The access keys of `userName`, oldest first. `.notFound` without the user.
    func accessKeys(userName: String) throws(StoreError) -> [AccessKeyRecord]

    /// Sets the status of one of `userName`'s keys; false when the user has no such key.
    func updateAccessKey(userName: String, accessKeyId: String, status: AccessKeyStatus) throws(StoreError) -> Bool

    /// Deletes one of `userName`'s keys; false when the user has no such key.
    func deleteAccessKey(userName: String, accessKeyId: String) throws(StoreError) -> Bool

    /// What a request signed with `accessKeyId` needs to be verified and attributed: a user's
    /// long-term key or a session's temporary one, or nil when neither exists. Expired
    /// sessions are returned too, with their expiration, for the caller to refuse.
    func credential(accessKeyId: String) throws(StoreError) -> IAMCredential?

    // MARK: Roles

    /// Stores a new role; `.conflict` when a role by that name (in any case) exists.
    func createRole(_ role: RoleRecord) throws(StoreError)

    /// The role named `name`, or nil.
    func role(named name: String) throws(StoreError) -> RoleRecord?

    /// Roles whose path starts with `pathPrefix` (all when nil), ordered by name ignoring case.
    func roles(pathPrefix: String?) throws(StoreError) -> [RoleRecord]

    /// Changes a role's description (when not nil) and maximum session duration (when not
    /// nil). Returns the updated role, or nil when there is no such role.
    func updateRole(
        named name: String, description: String?, maxSessionDurationSeconds: Int?
    ) throws(StoreError) -> RoleRecord?

    /// Replaces a role's trust policy; false when there is no such role.
    func updateAssumeRolePolicy(roleName: String, document: String) throws(StoreError) -> Bool

    /// Deletes a role that has no inline or attached policies, and the sessions of that role,
    /// so a later role of the same name never inherits them.
    func deleteRole(named name: String) throws(StoreError) -> IAMDeletion

    // MARK: Tags

    /// Adds `tags` (replacing the values of keys already there, compared ignoring case) and
    /// then removes the tags with `removing` keys from a user or role.
    ///
    /// - Parameter limit: How many tags the entity may end up with; more is `.conflict`.
    /// - Returns: The entity's tags afterwards.
    /// - Throws: `.notFound` without the entity.
    func updateTags(
        of entity: IAMEntity, adding tags: [IAMTag], removing: [String], limit: Int
    ) throws(StoreError) -> [IAMTag]

    // MARK: Inline policies

    /// Creates or replaces the inline policy `name` of a user or role.
    func putInlinePolicy(_ entity: IAMEntity, name: String, document: String) throws(StoreError)

    /// The document of the inline policy `name`, or nil when the entity has none by that name.
    func inlinePolicy(_ entity: IAMEntity, name: String) throws(StoreError) -> String?

    /// The names of the entity's inline policies, in order.
    func inlinePolicyNames(_ entity: IAMEntity) throws(StoreError) -> [String]

    /// Deletes an inline policy; false when the entity has none by that name.
    func deleteInlinePolicy(_ entity: IAMEntity, name: String) throws(StoreError) -> Bool

    // MARK: Managed policies

    /// Stores a new customer managed policy with its first version `v1` as the default.
    /// `.conflict` when a policy by that name (in any case and any path) exists.
    func createPolicy(_ policy: ManagedPolicyRecord, document: String) throws(StoreError)

    /// The customer managed policy with `arn`, with its attachment count, or nil.
    func policy(arn: String) throws(StoreError) -> ManagedPolicyRecord?

    /// Customer managed policies whose path starts with `pathPrefix` (all when nil), ordered
    /// by name ignoring case; only those attached to something when `onlyAttached`.
    func policies(pathPrefix: String?, onlyAttached: Bool) throws(StoreError) -> [ManagedPolicyRecord]

    /// Deletes a customer managed policy that is attached to nothing and has no version but
    /// its default one.
    func deletePolicy(arn: String) throws(StoreError) -> IAMDeletion

    /// Adds the next version (`v2`, `v3`, … numbers are never reused) to a policy.
    ///
    /// - Parameter limit: How many versions a policy may have; one more is `.conflict`.
    /// - Throws: `.notFound` without the policy.
    func createPolicyVersion(
        policyArn: String, document: String, setAsDefault: Bool, createdMilliseconds: Int64, limit: Int
    ) throws(StoreError) -> PolicyVersionRecord

    /// One version of a policy, or nil when the policy or the version does not exist.
    func policyVersion(policyArn: String, versionId: String) throws(StoreError) -> PolicyVersionRecord?

    /// Every version of a policy, newest first. `.notFound` without the policy.
    func policyVersions(policyArn: String) throws(StoreError) -> [PolicyVersionRecord]

    /// Makes `versionId` the policy's default; false when the policy has no such version.
    /// `.notFound` without the policy.
    func setDefaultPolicyVersion(policyArn: String, versionId: String) throws(StoreError) -> Bool

    /// Deletes a version that is not the default. `.notFound` without the policy.
    func deletePolicyVersion(policyArn: String, versionId: String) throws(StoreError) -> IAMDeletion

    // MARK: Attachments

    /// Attaches a managed policy to a user or role; attaching it again changes nothing.
    ///
    /// - Parameters:
    ///   - policyArn: A customer managed policy, which must exist, or an AWS managed one
    ///     (`arn:aws:iam::aws:policy/…`), which the caller has checked.
    ///   - limit: How many policies the entity may have attached; one more is `.conflict`.
    /// - Throws: `.notFound` without the entity or the customer managed policy.
    func attachPolicy(_ entity: IAMEntity, policyArn: String, limit: Int) throws(StoreError)

    /// Detaches a policy; false when it was not attached.
    func detachPolicy(_ entity: IAMEntity, policyArn: String) throws(StoreError) -> Bool

    /// The ARNs of the managed policies attached to the entity, in order.
    func attachedPolicies(_ entity: IAMEntity) throws(StoreError) -> [String]

    /// How many users and roles the managed policy `policyArn` (customer or AWS) is attached to.
    func attachmentCount(policyArn: String) throws(StoreError) -> Int

    /// Every policy document that applies to a user or role: its inline policies, then the
    /// default versions of its attached managed policies. Empty when the entity does not exist.
    ///
    /// - Parameter awsManagedDocument: The document of an AWS managed policy by ARN; the
    ///   store keeps only customer managed ones. Attachments it has no document for are skipped.
    func policyDocuments(
        for entity: IAMEntity, awsManagedDocument: (String) -> String?
    ) throws(StoreError) -> [IAMPolicyDocument]

    // MARK: Sessions

    /// Issues temporary credentials for a session of role `roleName`, valid for
    /// `durationSeconds` from now by the store's clock. Needs no request: the invoker uses it
    /// for functions' execution roles as STS AssumeRole does for callers.
    ///
    /// - Throws: `.notFound` without the role.
    func createSession(roleName: String, sessionName: String, durationSeconds: Int) throws(StoreError) -> SessionRecord

    /// Deletes sessions that expired before `milliseconds` since the epoch; returns how many.
    @discardableResult
    func deleteExpiredSessions(before milliseconds: Int64) throws(StoreError) -> Int
}

/// A user or role, the two entities that hold policies.
public enum IAMEntity: Sendable, Hashable {
    case user(String)
    case role(String)

    /// The kind as the store records it.
    var kind: String {
        switch self {
        case .user: "user"
        case .role: "role"
        }
    }

    /// The user or role name.
    public var name: String {
        switch self {
        case .user(let name), .role(let name): name
        }
    }
}

/// What a delete did, or what stopped it.
public enum IAMDeletion: Sendable, Equatable {
    case deleted
    case notFound
    /// Something that must be removed first still exists.
    case blocked(by: IAMDependent)
}

/// Things that keep an IAM entity from being deleted.
public enum IAMDependent: Sendable, Equatable {
    case accessKeys
    case inlinePolicies
    case attachedPolicies
    /// A managed policy is still attached to users or roles.
    case attachments
    /// A managed policy has versions besides its default.
    case nonDefaultVersions
    /// The version to delete is the policy's default.
    case defaultVersion
}

/// A tag on a user, role or policy.
public struct IAMTag: Codable, Sendable, Equatable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// An IAM user.
public struct IAMUserRecord: Sendable, Equatable {
    public var name: String
    /// `AIDA…`
    public var userId: String
    public var path: String
    public var arn: String
    public var createdMilliseconds: Int64
    public var tags: [IAMTag]

    public init(
        name: String, userId: String, path: String, arn: String, createdMilliseconds: Int64, tags: [IAMTag] = []
    ) {
        self.name = name
        self.userId = userId
        self.path = path
        self.arn = arn
        self.createdMilliseconds = createdMilliseconds
        self.tags = tags
    }
}

/// Whether an access key may sign requests.
public enum AccessKeyStatus: String, Sendable, Equatable {
    case active = "Active"
    case inactive = "Inactive"
}

/// A user's long-term access key.
public struct AccessKeyRecord: Sendable, Equatable {
    /// `AKIA…`, 20 characters.
    public var accessKeyId: String
    /// 40 characters.
    public var secretAccessKey: String
    public var userName: String
    public var status: AccessKeyStatus
    public var createdMilliseconds: Int64

    public init(
        accessKeyId: String, secretAccessKey: String, userName: String, status: AccessKeyStatus = .active,
        createdMilliseconds: Int64
    ) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.userName = userName
        self.status = status
        self.createdMilliseconds = createdMilliseconds
    }
}

/// An IAM role.
public struct RoleRecord: Sendable, Equatable {
    public var name: String
    /// `AROA…`
    public var roleId: String
    public var path: String
    public var arn: String
    /// The trust policy: who may assume the role.
    public var assumeRolePolicyDocument: String
    public var description: String?
    public var maxSessionDurationSeconds: Int
    public var createdMilliseconds: Int64
    public var tags: [IAMTag]

    public init(
        name: String, roleId: String, path: String, arn: String, assumeRolePolicyDocument: String,
        description: String? = nil, maxSessionDurationSeconds: Int = 3600, createdMilliseconds: Int64,
        tags: [IAMTag] = []
    ) {
        self.name = name
        self.roleId = roleId
        self.path = path
        self.arn = arn
        self.assumeRolePolicyDocument = assumeRolePolicyDocument
        self.description = description
        self.maxSessionDurationSeconds = maxSessionDurationSeconds
        self.createdMilliseconds = createdMilliseconds
        self.tags = tags
    }
}

/// A customer managed policy. Its documents live in its versions.
public struct ManagedPolicyRecord: Sendable, Equatable {
    public var arn: String
    public var name: String
    /// `ANPA…`
    public var policyId: String
    public var path: String
    public var description: String?
    /// `v1`, `v2`, …
    public var defaultVersionId: String
    public var createdMilliseconds: Int64
    public var updatedMilliseconds: Int64
    /// How many users and roles it is attached to; derived, ignored when creating.
    public var attachmentCount: Int
    public var tags: [IAMTag]

    public init(
        arn: String, name: String, policyId: String, path: String, description: String? = nil,
        defaultVersionId: String = "v1", createdMilliseconds: Int64, updatedMilliseconds: Int64,
        attachmentCount: Int = 0, tags: [IAMTag] = []
    ) {
        self.arn = arn
        self.name = name
        self.policyId = policyId
        self.path = path
        self.description = description
        self.defaultVersionId = defaultVersionId
        self.createdMilliseconds = createdMilliseconds
        self.updatedMilliseconds = updatedMilliseconds
        self.attachmentCount = attachmentCount
        self.tags = tags
    }
}

/// One version of a customer managed policy.
public struct PolicyVersionRecord: Sendable, Equatable {
    public var policyArn: String
    public var versionId: String
    public var document: String
    public var isDefault: Bool
    public var createdMilliseconds: Int64

    public init(policyArn: String, versionId: String, document: String, isDefault: Bool, createdMilliseconds: Int64) {
        self.policyArn = policyArn
        self.versionId = versionId
        self.document = document
        self.isDefault = isDefault
        self.createdMilliseconds = createdMilliseconds
    }
}

/// The temporary credentials of one session of a role.
public struct SessionRecord: Sendable, Equatable {
    /// `ASIA…`, 20 characters.
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String
    public var roleName: String
    public var roleId: String
    public var rolePath: String
    public var sessionName: String
    public var createdMilliseconds: Int64
    public var expirationMilliseconds: Int64

    public init(
        accessKeyId: String, secretAccessKey: String, sessionToken: String, roleName: String, roleId: String,
        rolePath: String, sessionName: String, createdMilliseconds: Int64, expirationMilliseconds: Int64
    ) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.roleName = roleName
        self.roleId = roleId
        self.rolePath = rolePath
        self.sessionName = sessionName
        self.createdMilliseconds = createdMilliseconds
        self.expirationMilliseconds = expirationMilliseconds
    }
}

/// Who owns a credential.
public enum IAMCredentialOwner: Sendable, Equatable {
    case user(name: String, userId: String, path: String)
    case assumedRole(roleName: String, roleId: String, rolePath: String, sessionName: String)
}

/// What verifying a signature and naming its principal needs, for one access key id.
public struct IAMCredential: Sendable, Equatable {
    public var accessKeyId: String
    public var secretAccessKey: String
    /// The session token a request must carry; nil for a user's long-term key.
    public var sessionToken: String?
    public var status: AccessKeyStatus
    /// When a session's credentials stop working; nil for a user's key.
    public var expirationMilliseconds: Int64?
    public var owner: IAMCredentialOwner

    public init(
        accessKeyId: String, secretAccessKey: String, sessionToken: String?, status: AccessKeyStatus,
        expirationMilliseconds: Int64?, owner: IAMCredentialOwner
    ) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.status = status
        self.expirationMilliseconds = expirationMilliseconds
        self.owner = owner
    }
}

/// One policy document that applies to a user or role, and where it came from.
public struct IAMPolicyDocument: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// An inline policy, by name.
        case inline(String)
        /// An attached managed policy, by ARN.
        case managed(String)
    }

    public var source: Source
    public var document: String

    public init(source: Source, document: String) {
        self.source = source
        self.document = document
    }
}

/// Fresh identifiers and secrets in the forms IAM and STS hand out.
public enum IAMIdentifiers {
    /// The characters of IAM's unique ids and access key ids: upper-case letters and 2–7.
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    /// `prefix` followed by random characters up to `length` in all: user ids are `AIDA` and
    /// 21 characters, role ids `AROA`, policy ids `ANPA`; access key ids are `AKIA` (a user's)
    /// or `ASIA` (a session's) and 20 characters.
    public static func make(prefix: String, length: Int) -> String {
        let count = max(0, length - prefix.count)
        // 256 is a multiple of 32, so taking each byte modulo 32 is unbiased.
        let characters = SecureRandom.bytes(count: count).map { alphabet[Int($0 % 32)] }
        return prefix + String(characters)
    }

    /// A 40-character secret access key.
    public static func secretAccessKey() -> String {
        base64(SecureRandom.bytes(count: 30))
    }

    /// A session token: 120 random bytes in base64.
    public static func sessionToken() -> String {
        base64(SecureRandom.bytes(count: 120))
    }

    private static func base64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }
}
