import Auth
import Foundation
import HTTP
import Store

/// Who is calling IAM or STS, as the request's verified signature says.
public struct IAMCaller: Sendable {
    public let principal: Principal
    public let requestId: String
    public let accountId: String
    /// The access key the request was signed with, for the audit log.
    public let accessKeyId: String?
    /// The region of the request's credential scope.
    public let region: String

    public init(
        principal: Principal, requestId: String, accountId: String, accessKeyId: String? = nil,
        region: String = "us-east-1"
    ) {
        self.principal = principal
        self.requestId = requestId
        self.accountId = accountId
        self.accessKeyId = accessKeyId
        self.region = region
    }
}

/// Decides whether `caller` may perform `action` (`iam:CreateUser`) on `resource` (an ARN, or
/// `*`); throws the error to answer with (AccessDenied) when not.
public typealias IAMAuthorizer =
    @Sendable (_ caller: IAMCaller, _ action: String, _ resource: String) throws(AWSError) -> Void

/// Checks a policy document: nil when well-formed, else the MalformedPolicyDocument message.
/// `isTrustPolicy` selects the rules of a role's trust policy.
public typealias PolicyValidator = @Sendable (_ document: String, _ isTrustPolicy: Bool) -> String?

/// Whether a role's trust policy lets `caller` assume the role with `roleArn`.
public typealias TrustEvaluator = @Sendable (_ trustPolicy: String, _ caller: Principal, _ roleArn: String) -> Bool

/// IAM over the query protocol: users and their access keys, roles, managed and inline
/// policies and their attachments, as boto3's `iam` client calls them.
///
/// Policy evaluation and signature checks are not done here: `authorize` is asked before every
/// operation, and `validatePolicy` judges every policy document a request carries.
public struct IAMService: Sendable {
    static let accessKeysPerUser = 2
    static let policiesPerEntity = 10
    static let versionsPerPolicy = 5
    static let tagsPerEntity = 50
    /// IAM's quota on a managed policy's size, counted without white space.
    static let managedPolicySize = 6_144
    /// IAM's quota on a trust policy's size, counted without white space.
    static let trustPolicySize = 2_048

    let store: any IAMStore
    let authorize: IAMAuthorizer
    let validatePolicy: PolicyValidator
    /// Milliseconds since the Unix epoch; injectable so tests control creation times.
    let now: @Sendable () -> Int64

    public init(
        store: any IAMStore, authorize: @escaping IAMAuthorizer, validatePolicy: @escaping PolicyValidator,
        clock: @escaping @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1_000).rounded(.down)) }
    ) {
        self.store = store
        self.authorize = authorize
        self.validatePolicy = validatePolicy
        self.now = clock
    }

    /// Performs the operation named by the `Action` field of a decoded form body and answers
    /// in the query protocol's XML, errors included.
    public func handle(parameters: [String: String], caller: IAMCaller) -> HTTPResponse {
        let request = QueryRequest(parameters)
        let action = request["Action"] ?? ""
        do throws(AWSError) {
            let result = try perform(action, request, caller)
            return QueryProtocol.response(
                action: action, namespace: QueryProtocol.iamNamespace, requestId: caller.requestId, result: result)
        } catch {
            return error.queryProtocolResponse(requestId: caller.requestId, namespace: QueryProtocol.iamNamespace)
        }
    }

    /// Runs one operation; returns what goes inside `<ActionResult>`, or nil for operations
    /// that answer with no result element.
    private func perform(_ action: String, _ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter?
    {
        switch action {
        case "CreateUser": return try createUser(request, caller)
        case "GetUser": return try getUser(request, caller)
        case "ListUsers": return try listUsers(request, caller)
        case "DeleteUser": return try deleteUser(request, caller)
        case "TagUser", "TagRole": return try tag(action, request, caller)
        case "UntagUser", "UntagRole": return try untag(action, request, caller)
        case "ListUserTags", "ListRoleTags": return try listTags(action, request, caller)
        case "CreateAccessKey": return try createAccessKey(request, caller)
        case "ListAccessKeys": return try listAccessKeys(request, caller)
        case "UpdateAccessKey": return try updateAccessKey(request, caller)
        case "DeleteAccessKey": return try deleteAccessKey(request, caller)
        case "CreateRole": return try createRole(request, caller)
        case "GetRole": return try getRole(request, caller)
        case "ListRoles": return try listRoles(request, caller)
        case "DeleteRole": return try deleteRole(request, caller)
        case "UpdateRole": return try updateRole(request, caller)
        case "UpdateAssumeRolePolicy": return try updateAssumeRolePolicy(request, caller)
        case "PutUserPolicy", "PutRolePolicy": return try putInlinePolicy(action, request, caller)
        case "GetUserPolicy", "GetRolePolicy": return try getInlinePolicy(action, request, caller)
        case "DeleteUserPolicy", "DeleteRolePolicy": return try deleteInlinePolicy(action, request, caller)
        case "ListUserPolicies", "ListRolePolicies": return try listInlinePolicies(action, request, caller)
        case "AttachUserPolicy", "AttachRolePolicy": return try attachPolicy(action, request, caller)
        case "DetachUserPolicy", "DetachRolePolicy": return try detachPolicy(action, request, caller)
        case "ListAttachedUserPolicies", "ListAttachedRolePolicies": return try listAttached(action, request, caller)
        case "CreatePolicy": return try createPolicy(request, caller)
        case "GetPolicy": return try getPolicy(request, caller)
        case "DeletePolicy": return try deletePolicy(request, caller)
        case "ListPolicies": return try listPolicies(request, caller)
        case "CreatePolicyVersion": return try createPolicyVersion(request, caller)
        case "GetPolicyVersion": return try getPolicyVersion(request, caller)
        case "ListPolicyVersions": return try listPolicyVersions(request, caller)
        case "DeletePolicyVersion": return try deletePolicyVersion(request, caller)
        case "SetDefaultPolicyVersion": return try setDefaultPolicyVersion(request, caller)
        default:
            throw AWSError(
                status: 400, code: "InvalidAction",
                message: "Could not find operation \(action) for version 2010-05-08")
        }
    }

    // MARK: Shared steps

    /// Asks the injected authorizer about `iam:<operation>` on `resource`.
    func authorized(_ caller: IAMCaller, _ operation: String, _ resource: String) throws(AWSError) {
        try authorize(caller, "iam:\(operation)", resource)
    }

    /// `arn:aws:iam::ACCOUNT:<kind><path><name>`, the ARN of a user, role or policy.
    static func arn(_ caller: IAMCaller, _ kind: String, path: String, name: String) -> String {
        "arn:aws:iam::\(caller.accountId):\(kind)\(path)\(name)"
    }

    /// Runs a store call, turning `.notFound` and `.conflict` into the given errors and any
    /// other failure into ServiceFailure.
    func stored<T>(
        notFound: AWSError? = nil, conflict: AWSError? = nil, _ body: () throws(StoreError) -> T
    ) throws(AWSError) -> T {
        do {
            return try body()
        } catch {
            if error.code == .notFound, let notFound { throw notFound }
            if error.code == .conflict, let conflict { throw conflict }
            throw AWSError.serviceFailure
        }
    }

    /// Checks `document` with the injected validator and against a size quota, as IAM does
    /// before storing it.
    func checkDocument(_ document: String, isTrustPolicy: Bool, quota: (name: String, size: Int)?) throws(AWSError) {
        if let message = validatePolicy(document, isTrustPolicy) {
            throw AWSError.malformedPolicyDocument(message)
        }
        if let quota, document.unicodeScalars.count(where: { !$0.properties.isWhitespace }) > quota.size {
            throw AWSError.limitExceeded("Cannot exceed quota for \(quota.name): \(quota.size)")
        }
    }

    /// The user a request without `UserName` is about: the calling user.
    static func callingUserName(_ caller: IAMCaller) throws(AWSError) -> String {
        guard caller.principal.kind == .user, let name = caller.principal.name else {
            throw AWSError.validationError("Must specify userName when calling with non-User credentials")
        }
        return name
    }
}

// MARK: - Entities

/// A user or role an operation names, looked up before authorization so the authorizer sees
/// its real ARN; `exists` is false when there is no such entity (its ARN then has path `/`).
struct EntityTarget {
    let entity: IAMEntity
    /// The stored name (its case may differ from the request's).
    let name: String
    let arn: String
    let exists: Bool
}

extension IAMService {
    /// Looks `entity` up, asks whether `caller` may perform `operation` on it, and only then
    /// reports it missing, so a caller without the permission learns nothing of its existence.
    func authorizedEntity(
        _ entity: IAMEntity, _ operation: String, _ caller: IAMCaller
    ) throws(AWSError)
        -> EntityTarget
    {
        let target = try lookUp(entity, caller)
        try authorized(caller, operation, target.arn)
        guard target.exists else { throw Self.noSuchEntity(entity) }
        return target
    }

    func lookUp(_ entity: IAMEntity, _ caller: IAMCaller) throws(AWSError) -> EntityTarget {
        let found: (name: String, arn: String)?
        switch entity {
        case .user(let name):
            found = try stored { () throws(StoreError) in try store.user(named: name) }.map { ($0.name, $0.arn) }
        case .role(let name):
            found = try stored { () throws(StoreError) in try store.role(named: name) }.map { ($0.name, $0.arn) }
        }
        let kind = Self.kind(entity)
        return EntityTarget(
            entity: entity, name: found?.name ?? entity.name,
            arn: found?.arn ?? Self.arn(caller, kind, path: "/", name: entity.name), exists: found != nil)
    }

    static func kind(_ entity: IAMEntity) -> String {
        switch entity {
        case .user: "user"
        case .role: "role"
        }
    }

    /// "The user with name X cannot be found." or the role's equivalent.
    static func noSuchEntity(_ entity: IAMEntity) -> AWSError {
        .noSuchEntity("The \(kind(entity)) with name \(entity.name) cannot be found.")
    }
}

// MARK: - Errors

extension AWSError {
    static func noSuchEntity(_ message: String) -> AWSError {
        AWSError(status: 404, code: "NoSuchEntity", message: message)
    }

    static func entityAlreadyExists(_ message: String) -> AWSError {
        AWSError(status: 409, code: "EntityAlreadyExists", message: message)
    }

    static func deleteConflict(_ message: String) -> AWSError {
        AWSError(status: 409, code: "DeleteConflict", message: message)
    }

    static func limitExceeded(_ message: String) -> AWSError {
        AWSError(status: 409, code: "LimitExceeded", message: message)
    }

    static func malformedPolicyDocument(_ message: String) -> AWSError {
        AWSError(status: 400, code: "MalformedPolicyDocument", message: message)
    }

    static func invalidInput(_ message: String) -> AWSError {
        AWSError(status: 400, code: "InvalidInput", message: message)
    }

    /// The query protocol's validation failure (Lambda's REST API calls it ValidationException).
    static func validationError(_ message: String) -> AWSError {
        AWSError(status: 400, code: "ValidationError", message: message)
    }

    static func accessDenied(_ message: String) -> AWSError {
        AWSError(status: 403, code: "AccessDenied", message: message)
    }

    static let serviceFailure = AWSError(
        status: 500, code: "ServiceFailure", message: "The request processing has failed because of an unknown error.")
}
