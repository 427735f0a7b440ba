import Store

/// Inline policies of users and roles, and the managed policies attached to them. Each
/// operation comes in a User and a Role form that differ only in the entity they name.
extension IAMService {
    func putInlinePolicy(_ action: String, _ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter?
    {
        let entity = try Self.policyHolder(action, request)
        var check = QueryValidator()
        check.name(request["PolicyName"], at: "policyName", max: 128)
        check.document(request["PolicyDocument"], at: "policyDocument")
        try check.check()
        let name = request["PolicyName"] ?? ""
        let document = request["PolicyDocument"] ?? ""
        let target = try authorizedEntity(entity, action, caller)
        try checkDocument(document, isTrustPolicy: false, quota: nil)
        try stored(notFound: Self.noSuchEntity(entity)) { () throws(StoreError) in
            try store.putInlinePolicy(target.entity, name: name, document: document)
        }
        return nil
    }

    func getInlinePolicy(_ action: String, _ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter?
    {
        let entity = try Self.policyHolder(action, request)
        let name = try Self.requiredName(request, "PolicyName", at: "policyName", max: 128)
        let target = try authorizedEntity(entity, action, caller)
        let document = try stored(notFound: Self.noSuchEntity(entity)) { () throws(StoreError) in
            try store.inlinePolicy(target.entity, name: name)
        }
        guard let document else { throw Self.noSuchInlinePolicy(entity, name) }
        return Self.result { result in
            result.element(entity.isUser ? "UserName" : "RoleName", target.name)
            result.element("PolicyName", name)
            result.element("PolicyDocument", QueryProtocol.policyEncoded(document))
        }
    }

    func deleteInlinePolicy(
        _ action: String, _ request: QueryRequest, _ caller: IAMCaller
    ) throws(AWSError) -> XMLWriter? {
        let entity = try Self.policyHolder(action, request)
        let name = try Self.requiredName(request, "PolicyName", at: "policyName", max: 128)
        let target = try authorizedEntity(entity, action, caller)
        let deleted = try stored(notFound: Self.noSuchEntity(entity)) { () throws(StoreError) in
            try store.deleteInlinePolicy(target.entity, name: name)
        }
        guard deleted else { throw Self.noSuchInlinePolicy(entity, name) }
        return nil
    }

    func listInlinePolicies(
        _ action: String, _ request: QueryRequest, _ caller: IAMCaller
    ) throws(AWSError) -> XMLWriter? {
        let entity = try Self.policyHolder(action, request)
        let target = try authorizedEntity(entity, action, caller)
        let names = try stored(notFound: Self.noSuchEntity(entity)) { () throws(StoreError) in
            try store.inlinePolicyNames(target.entity)
        }
        let page = try IAMPagination.page(names, request) { $0 }
        return Self.result { result in
            result.members("PolicyNames", page.items) { member, name in member.characters(name) }
            page.writeTruncation(&result)
        }
    }

    // MARK: Attachments

    func attachPolicy(_ action: String, _ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        let entity = try Self.policyHolder(action, request)
        let arn = try Self.requiredArn(request)
        let target = try authorizedEntity(entity, action, caller)
        let notAttachable = AWSError.noSuchEntity("Policy \(arn) does not exist or is not attachable.")
        guard try policyExists(arn, caller) else { throw notAttachable }
        let quota = entity.isUser ? "PoliciesPerUser" : "PoliciesPerRole"
        try stored(
            notFound: notAttachable,
            conflict: .limitExceeded("Cannot exceed quota for \(quota): \(Self.policiesPerEntity)")
        ) { () throws(StoreError) in
            try store.attachPolicy(target.entity, policyArn: arn, limit: Self.policiesPerEntity)
        }
        return nil
    }

    func detachPolicy(_ action: String, _ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        let entity = try Self.policyHolder(action, request)
        let arn = try Self.requiredArn(request)
        let target = try authorizedEntity(entity, action, caller)
        let detached = try stored(notFound: Self.noSuchEntity(entity)) { () throws(StoreError) in
            try store.detachPolicy(target.entity, policyArn: arn)
        }
        guard detached else { throw AWSError.noSuchEntity("Policy \(arn) was not found.") }
        return nil
    }

    func listAttached(_ action: String, _ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        let entity = try Self.policyHolder(action, request)
        var check = QueryValidator()
        check.policyPath(request["PathPrefix"], at: "pathPrefix")
        try check.check()
        let target = try authorizedEntity(entity, action, caller)
        let arns = try stored(notFound: Self.noSuchEntity(entity)) { () throws(StoreError) in
            try store.attachedPolicies(target.entity)
        }
        let prefix = request["PathPrefix"] ?? "/"
        let attached = arns.compactMap(PolicyReference.init(parsing:)).filter { $0.path.hasPrefix(prefix) }
        let page = try IAMPagination.page(attached, request) { $0.arn }
        return Self.result { result in
            result.members("AttachedPolicies", page.items) { member, policy in
                member.element("PolicyName", policy.name)
                member.element("PolicyArn", policy.arn)
            }
            page.writeTruncation(&result)
        }
    }

    /// Whether `arn` names an AWS managed policy Swiftlet has or a customer managed policy of
    /// the caller's account.
    private func policyExists(_ arn: String, _ caller: IAMCaller) throws(AWSError) -> Bool {
        if ManagedPolicies.isAWSManaged(arn) {
            return ManagedPolicies.policy(arn: arn) != nil
        }
        return try stored { () throws(StoreError) in try store.policy(arn: arn) } != nil
    }

    /// The user or role an inline-policy or attachment operation names.
    private static func policyHolder(_ action: String, _ request: QueryRequest) throws(AWSError) -> IAMEntity {
        if action.contains("User") {
            return .user(try requiredName(request, "UserName", at: "userName", max: 128))
        }
        return .role(try requiredName(request, "RoleName", at: "roleName", max: 64))
    }

    /// The `PolicyArn` member, checked against the model.
    static func requiredArn(_ request: QueryRequest) throws(AWSError) -> String {
        var check = QueryValidator()
        check.arn(request["PolicyArn"], at: "policyArn")
        try check.check()
        return request["PolicyArn"] ?? ""
    }

    private static func noSuchInlinePolicy(_ entity: IAMEntity, _ name: String) -> AWSError {
        .noSuchEntity("The \(kind(entity)) policy with name \(name) cannot be found.")
    }
}

extension IAMEntity {
    var isUser: Bool {
        if case .user = self { return true }
        return false
    }
}

/// A managed policy's ARN taken apart: `arn:aws:iam::ACCOUNT:policy/PATH/NAME`, where the
/// account is `aws` for AWS managed policies.
struct PolicyReference {
    let arn: String
    let account: String
    /// `/` or `/…/`.
    let path: String
    let name: String

    init?(parsing arn: String) {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1] == "aws", parts[2] == "iam", parts[3].isEmpty,
            !parts[4].isEmpty, parts[5].hasPrefix("policy/")
        else { return nil }
        let resource = parts[5].dropFirst("policy".count)
        guard let slash = resource.lastIndex(of: "/") else { return nil }
        let name = resource[resource.index(after: slash)...]
        guard !name.isEmpty else { return nil }
        self.arn = arn
        self.account = String(parts[4])
        self.path = String(resource[...slash])
        self.name = String(name)
    }
}
