import Auth
import Foundation
import HTTP
import Invoker
import Store

/// Who may do what: SigV4 authentication, IAM policy evaluation, the IAM and STS APIs,
/// and the credentials of functions' execution roles, built together over one IAM store.
final class Security: Sendable {
    let authenticator: Authenticator
    let authorizer: Authorizer
    let sessions: ExecutionSessions
    private let iam: IAMService
    private let sts: STSService
    private let store: any IAMStore
    private let accountId: String
    private static let lambdaService = "lambda.amazonaws.com"

    init(configuration: ControlAPIConfiguration, store: any IAMStore) {
        let accountId = configuration.accountId
        let sessions = ExecutionSessions(
            accountId: accountId, lifetime: configuration.executionCredentialSeconds
        ) { arn in
            guard let name = ExecutionSessions.roleName(fromArn: arn),
                let role = try? store.role(named: name.name), role.arn == arn
            else { return nil }
            return ExecutionSessions.Role(name: role.name, roleId: role.roleId, path: role.path)
        }
        let authenticator = Authenticator(accountId: accountId, root: configuration.rootCredentials) { accessKeyId in
            sessions.owner(of: accessKeyId) ?? Self.storedOwner(accessKeyId, store: store, accountId: accountId)
        }
        let authorizer = Authorizer(
            identityPolicies: { Self.identityPolicies($0, store: store) },
            audit: AuditLog(path: configuration.dataDirectory + "/audit.log"))
        let authorizeQuery: IAMAuthorizer = { caller, action, resource throws(AWSError) in
            var trustPolicy: String?
            if action == "sts:AssumeRole", let name = ExecutionSessions.roleName(fromArn: resource) {
                trustPolicy = try? store.role(named: name.name)?.assumeRolePolicyDocument
            }
            try authorizer.authorize(
                Caller(
                    principal: caller.principal, accessKeyId: caller.accessKeyId ?? "", region: caller.region,
                    service: action.hasPrefix("sts:") ? "sts" : "iam"),
                action: action, resource: resource, resourcePolicy: trustPolicy, resourcePolicyKind: .trust,
                wire: .query, requestId: caller.requestId)
        }
        self.iam = IAMService(store: store, authorize: authorizeQuery, validatePolicy: Self.validate)
        self.sts = STSService(store: store, authorize: authorizeQuery, trustAllows: Self.trustAllows)
        self.authenticator = authenticator
        self.authorizer = authorizer
        self.sessions = sessions
        self.store = store
        self.accountId = accountId
    }

    /// Answers a query-protocol request (`POST /`, a form body with `Action`): STS for its
    /// actions or an `sts` credential scope, IAM otherwise; nil for every other request.
    func queryResponse(_ request: HTTPRequest, _ context: RequestContext, _ caller: Caller) -> HTTPResponse? {
        guard WireProtocol(request) == .query else { return nil }
        let fields = QueryProtocol.parseForm(request.body)
        guard let action = fields["Action"] else { return nil }
        let iamCaller = IAMCaller(
            principal: caller.principal, requestId: context.requestId, accountId: accountId,
            accessKeyId: caller.accessKeyId, region: caller.region)
        if STSService.actions.contains(action) || caller.service == "sts" {
            return sts.handle(parameters: fields, caller: iamCaller)
        }
        return iam.handle(parameters: fields, caller: iamCaller)
    }

    /// Refuses an execution role that does not exist or does not trust Lambda, in AWS's words.
    func checkExecutionRole(_ arn: String) throws(AWSError) {
        let refusal = AWSError.invalidParameter("The role defined for the function cannot be assumed by Lambda.")
        guard let name = ExecutionSessions.roleName(fromArn: arn), let role = try? store.role(named: name.name),
            role.arn == arn, let trust = try? PolicyDocument.parse(role.assumeRolePolicyDocument, kind: .trust)
        else { throw refusal }
        // The Lambda service as a caller: named only through `{"Service": "lambda.amazonaws.com"}`
        // (or `*`), never through the account or a user.
        let service = Principal(
            kind: .assumedRole, accountId: "", arn: Self.lambdaService, userId: Self.lambdaService)
        let request = AuthorizationRequest(
            principal: service, action: "sts:AssumeRole", resource: arn,
            context: ["aws:PrincipalServiceName": [Self.lambdaService]])
        guard PolicyEvaluator.hasStatement(in: trust, effect: .allow, matching: request),
            !PolicyEvaluator.hasStatement(in: trust, effect: .deny, matching: request)
        else { throw refusal }
    }

    // MARK: Helpers

    private static func storedOwner(_ accessKeyId: String, store: any IAMStore, accountId: String) -> KeyOwner? {
        guard let credential = try? store.credential(accessKeyId: accessKeyId) else { return nil }
        let key = SigningKey(
            secretAccessKey: credential.secretAccessKey, sessionToken: credential.sessionToken,
            expiration: credential.expirationMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) },
            isActive: credential.status == .active)
        switch credential.owner {
        case .user(let name, let userId, let path):
            return KeyOwner(key: key, principal: .user(name: name, userId: userId, accountId: accountId, path: path))
        case .assumedRole(let role, let roleId, let rolePath, let session):
            return KeyOwner(
                key: key,
                principal: .assumedRole(
                    role: role, roleId: roleId, session: session, accountId: accountId, rolePath: rolePath))
        }
    }

    private static func identityPolicies(_ principal: Principal, store: any IAMStore) -> [String] {
        let entity: IAMEntity
        switch principal.kind {
        case .root: return []
        case .user: entity = .user(principal.name ?? "")
        case .assumedRole: entity = .role(principal.name ?? "")
        }
        let documents = try? store.policyDocuments(for: entity) { ManagedPolicies.document(arn: $0) }
        return documents?.map(\.document) ?? []
    }

    private static func validate(_ document: String, _ isTrustPolicy: Bool) -> String? {
        do {
            _ = try PolicyDocument.parse(document, kind: isTrustPolicy ? .trust : .identity)
            return nil
        } catch {
            return error.message
        }
    }

    private static func trustAllows(_ trustPolicy: String, _ caller: Principal, _ roleArn: String) -> Bool {
        guard let trust = try? PolicyDocument.parse(trustPolicy, kind: .trust) else { return false }
        let request = AuthorizationRequest(principal: caller, action: "sts:AssumeRole", resource: roleArn)
        return PolicyEvaluator.evaluate(request, identityPolicies: [], resourcePolicy: trust) == .allow
    }
}
