import Auth
import HTTP
import Store

/// STS over the query protocol: GetCallerIdentity and AssumeRole, as boto3's `sts` client
/// calls them. Temporary credentials are sessions in the IAM store.
public struct STSService: Sendable {
    /// The actions this service answers; IAM shares the endpoint and takes the rest.
    public static let actions: Set<String> = ["GetCallerIdentity", "AssumeRole"]
    static let durationRange = 900...43_200
    static let defaultDurationSeconds = 3_600
    /// AWS caps sessions of a role assumed with another role's session ("role chaining").
    static let chainedDurationMaximum = 3_600

    let store: any IAMStore
    let authorize: IAMAuthorizer
    let trustAllows: TrustEvaluator

    public init(store: any IAMStore, authorize: @escaping IAMAuthorizer, trustAllows: @escaping TrustEvaluator) {
        self.store = store
        self.authorize = authorize
        self.trustAllows = trustAllows
    }

    /// Performs the operation named by the `Action` field and answers in XML, errors included.
    public func handle(parameters: [String: String], caller: IAMCaller) -> HTTPResponse {
        let request = QueryRequest(parameters)
        let action = request["Action"] ?? ""
        do throws(AWSError) {
            let result: XMLWriter
            switch action {
            case "GetCallerIdentity": result = getCallerIdentity(caller)
            case "AssumeRole": result = try assumeRole(request, caller)
            default:
                throw AWSError(
                    status: 400, code: "InvalidAction",
                    message: "Could not find operation \(action) for version 2011-06-15")
            }
            return QueryProtocol.response(
                action: action, namespace: QueryProtocol.stsNamespace, requestId: caller.requestId, result: result)
        } catch {
            return error.queryProtocolResponse(requestId: caller.requestId, namespace: QueryProtocol.stsNamespace)
        }
    }

    /// Who the caller is. Like AWS, this needs no permission.
    private func getCallerIdentity(_ caller: IAMCaller) -> XMLWriter {
        IAMService.result { result in
            result.element("UserId", caller.principal.userId)
            result.element("Account", caller.accountId)
            result.element("Arn", caller.principal.arn)
        }
    }

    private func assumeRole(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter {
        let (roleArn, sessionName, requested) = try Self.validate(request)
        try authorize(caller, "sts:AssumeRole", roleArn)
        let denied = AWSError.accessDenied(
            "User: \(caller.principal.arn) is not authorized to perform: sts:AssumeRole on resource: \(roleArn)")
        guard caller.principal.kind != .root else {
            throw AWSError.accessDenied("Roles may not be assumed by root accounts.")
        }
        // A missing role is reported like a refusal, so callers cannot probe for roles.
        let role = try role(roleArn, caller)
        guard let role, trustAllows(role.assumeRolePolicyDocument, caller.principal, role.arn) else { throw denied }
        let duration = requested ?? Self.defaultDurationSeconds
        if duration > role.maxSessionDurationSeconds {
            throw AWSError.validationError(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        }
        if caller.principal.kind == .assumedRole, duration > Self.chainedDurationMaximum {
            throw AWSError.validationError(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
        }
        let session = try stored { () throws(StoreError) in
            try store.createSession(roleName: role.name, sessionName: sessionName, durationSeconds: duration)
        }
        return Self.write(session, accountId: caller.accountId)
    }

    /// RoleArn, RoleSessionName and DurationSeconds, checked against the model; members whose
    /// meaning Swiftlet does not implement are refused rather than ignored.
    private static func validate(
        _ request: QueryRequest
    ) throws(AWSError) -> (roleArn: String, sessionName: String, duration: Int?) {
        var check = QueryValidator()
        check.arn(request["RoleArn"], at: "roleArn")
        check.name(
            request["RoleSessionName"], at: "roleSessionName", min: 2, max: 64, pattern: #"[\w+=,.@-]*"#)
        check.integer(request.integer("DurationSeconds"), at: "durationSeconds", durationRange)
        check.length(request["ExternalId"], at: "externalId", min: 2, max: 1_224)
        try check.check()
        try IAMService.refuseUnsupported(
            request,
            [
                "Policy", "PolicyArns", "Tags", "TransitiveTagKeys", "SerialNumber", "TokenCode", "SourceIdentity",
                "ProvidedContexts",
            ], refusal: AWSError.validationError)
        return (request["RoleArn"] ?? "", request["RoleSessionName"] ?? "", request.integer("DurationSeconds") ?? nil)
    }

    /// The role `roleArn` names in the caller's account, or nil. The ARN must match the role's
    /// own, path included.
    private func role(_ roleArn: String, _ caller: IAMCaller) throws(AWSError) -> RoleRecord? {
        let prefix = "arn:aws:iam::\(caller.accountId):role/"
        guard roleArn.hasPrefix(prefix), let name = roleArn.split(separator: "/").last else { return nil }
        let role = try stored { () throws(StoreError) in try store.role(named: String(name)) }
        guard let role, role.arn.lowercased() == roleArn.lowercased() else { return nil }
        return role
    }

    private func stored<T>(_ body: () throws(StoreError) -> T) throws(AWSError) -> T {
        do {
            return try body()
        } catch {
            throw AWSError.serviceFailure
        }
    }

    /// AssumeRole's result: the session's credentials and the assumed-role user.
    private static func write(_ session: SessionRecord, accountId: String) -> XMLWriter {
        let principal = Principal.assumedRole(
            role: session.roleName, roleId: session.roleId, session: session.sessionName, accountId: accountId,
            rolePath: session.rolePath)
        return IAMService.result { result in
            result.element("Credentials") { credentials in
                credentials.element("AccessKeyId", session.accessKeyId)
                credentials.element("SecretAccessKey", session.secretAccessKey)
                credentials.element("SessionToken", session.sessionToken)
                credentials.element("Expiration", UTCTimestamp.iso8601(session.expirationMilliseconds))
            }
            result.element("AssumedRoleUser") { user in
                user.element("AssumedRoleId", principal.userId)
                user.element("Arn", principal.arn)
            }
        }
    }
}
