import Store

/// Managed policies and their versions: the customer managed ones in the store, and the AWS
/// managed ones Swiftlet serves read-only.
extension IAMService {
    func createPolicy(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        var check = QueryValidator()
        check.name(request["PolicyName"], at: "policyName", max: 128)
        check.policyPath(request["Path"], at: "path")
        check.document(request["PolicyDocument"], at: "policyDocument")
        check.length(request["Description"], at: "description", max: 1_000)
        let tags = request.tags("Tags")
        check.tags(tags, at: "tags")
        try check.check()
        let name = request["PolicyName"] ?? ""
        let path = request["Path"] ?? "/"
        let document = request["PolicyDocument"] ?? ""
        let arn = Self.arn(caller, "policy", path: path, name: name)
        try authorized(caller, "CreatePolicy", arn)
        try checkDocument(document, isTrustPolicy: false, quota: ("PolicySize", Self.managedPolicySize))

        let created = now()
        let policy = ManagedPolicyRecord(
            arn: arn, name: name, policyId: IAMIdentifiers.make(prefix: "ANPA", length: 21), path: path,
            description: request["Description"], createdMilliseconds: created, updatedMilliseconds: created,
            tags: try Self.uniqueTags(tags))
        let exists = AWSError.entityAlreadyExists(
            "A policy called \(name) already exists. Duplicate names are not allowed.")
        try stored(conflict: exists) { () throws(StoreError) in try store.createPolicy(policy, document: document) }
        return Self.result { $0.element("Policy") { Self.write(policy, to: &$0, details: false) } }
    }

    func getPolicy(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        let reference = try Self.policyReference(request)
        try authorized(caller, "GetPolicy", reference.arn)
        let policy = try managedPolicy(reference, caller)
        return Self.result { $0.element("Policy") { Self.write(policy, to: &$0, details: true) } }
    }

    func deletePolicy(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        let reference = try Self.policyReference(request)
        try authorized(caller, "DeletePolicy", reference.arn)
        try Self.refuseChange(reference, "DeletePolicy", caller)
        let outcome = try stored { () throws(StoreError) in try store.deletePolicy(arn: reference.arn) }
        switch outcome {
        case .deleted: return nil
        case .notFound: throw Self.noSuchPolicy(reference.arn)
        case .blocked(by: .attachments): throw AWSError.deleteConflict("Cannot delete a policy attached to entities.")
        case .blocked:
            throw AWSError.deleteConflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's "
                    + "versions. The default version is deleted with the policy.")
        }
    }

    func listPolicies(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        var check = QueryValidator()
        check.oneOf(request["Scope"], at: "scope", ["All", "AWS", "Local"])
        check.policyPath(request["PathPrefix"], at: "pathPrefix")
        check.oneOf(
            request["PolicyUsageFilter"], at: "policyUsageFilter", ["PermissionsPolicy", "PermissionsBoundary"])
        try check.check()
        try authorized(caller, "ListPolicies", Self.arn(caller, "policy", path: "/", name: ""))
        let scope = request["Scope"] ?? "All"
        let onlyAttached = request.boolean("OnlyAttached") ?? false
        let prefix = request["PathPrefix"] ?? "/"
        var policies: [ManagedPolicyRecord] = []
        // Swiftlet supports no permissions boundaries, so no policy is used as one.
        if request["PolicyUsageFilter"] != "PermissionsBoundary" {
            if scope != "Local" {
                policies += try ManagedPolicies.all.filter { $0.path.hasPrefix(prefix) }.map(awsRecord)
                    .filter { !onlyAttached || $0.attachmentCount > 0 }
            }
            if scope != "AWS" {
                policies += try stored { () throws(StoreError) in
                    try store.policies(pathPrefix: prefix, onlyAttached: onlyAttached)
                }
            }
        }
        policies.sort { Self.listKey($0) < Self.listKey($1) }
        let page = try IAMPagination.page(policies, request, key: Self.listKey)
        return Self.result { result in
            result.members("Policies", page.items) { member, policy in Self.write(policy, to: &member, details: false) }
            page.writeTruncation(&result)
        }
    }

    // MARK: Versions

    func createPolicyVersion(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        let reference = try Self.policyReference(request)
        var check = QueryValidator()
        check.document(request["PolicyDocument"], at: "policyDocument")
        try check.check()
        let document = request["PolicyDocument"] ?? ""
        try authorized(caller, "CreatePolicyVersion", reference.arn)
        try Self.refuseChange(reference, "CreatePolicyVersion", caller)
        try checkDocument(document, isTrustPolicy: false, quota: ("PolicySize", Self.managedPolicySize))
        let limit = AWSError.limitExceeded(
            "A managed policy can have up to \(Self.versionsPerPolicy) versions. "
                + "Before you create a new version, you must delete an existing version.")
        let version = try stored(notFound: Self.noSuchPolicy(reference.arn), conflict: limit) {
            () throws(StoreError) in
            try store.createPolicyVersion(
                policyArn: reference.arn, document: document, setAsDefault: request.boolean("SetAsDefault") ?? false,
                createdMilliseconds: now(), limit: Self.versionsPerPolicy)
        }
        return Self.result { $0.element("PolicyVersion") { Self.write(version, to: &$0, withDocument: false) } }
    }

    func getPolicyVersion(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        let reference = try Self.policyReference(request)
        let versionId = try Self.requiredVersionId(request)
        try authorized(caller, "GetPolicyVersion", reference.arn)
        let versions = try policyVersions(reference, caller)
        guard let version = versions.first(where: { $0.versionId == versionId }) else {
            throw Self.noSuchVersion(reference.arn, versionId)
        }
        return Self.result { $0.element("PolicyVersion") { Self.write(version, to: &$0, withDocument: true) } }
    }

    func listPolicyVersions(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        let reference = try Self.policyReference(request)
        try authorized(caller, "ListPolicyVersions", reference.arn)
        // Newest first, as IAM lists them; the marker names a version by its id.
        let page = try IAMPagination.page(try policyVersions(reference, caller), request) { $0.versionId }
        return Self.result { result in
            result.members("Versions", page.items) { member, version in
                Self.write(version, to: &member, withDocument: false)
            }
            page.writeTruncation(&result)
        }
    }

    func deletePolicyVersion(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        let reference = try Self.policyReference(request)
        let versionId = try Self.requiredVersionId(request)
        try authorized(caller, "DeletePolicyVersion", reference.arn)
        try Self.refuseChange(reference, "DeletePolicyVersion", caller)
        let outcome = try stored(notFound: Self.noSuchPolicy(reference.arn)) { () throws(StoreError) in
            try store.deletePolicyVersion(policyArn: reference.arn, versionId: versionId)
        }
        switch outcome {
        case .deleted: return nil
        case .notFound: throw Self.noSuchVersion(reference.arn, versionId)
        case .blocked: throw AWSError.deleteConflict("Cannot delete the default version of a policy.")
        }
    }

    func setDefaultPolicyVersion(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        let reference = try Self.policyReference(request)
        let versionId = try Self.requiredVersionId(request)
        try authorized(caller, "SetDefaultPolicyVersion", reference.arn)
        try Self.refuseChange(reference, "SetDefaultPolicyVersion", caller)
        let set = try stored(notFound: Self.noSuchPolicy(reference.arn)) { () throws(StoreError) in
            try store.setDefaultPolicyVersion(policyArn: reference.arn, versionId: versionId)
        }
        guard set else { throw Self.noSuchVersion(reference.arn, versionId) }
        return nil
    }

    // MARK: Lookups

    /// The customer or AWS managed policy `reference` names, or NoSuchEntity.
    private func managedPolicy(
        _ reference: PolicyReference, _ caller: IAMCaller
    ) throws(AWSError)
        -> ManagedPolicyRecord
    {
        if reference.account == "aws" {
            guard let policy = ManagedPolicies.policy(arn: reference.arn) else {
                throw Self.noSuchPolicy(reference.arn)
            }
            return try awsRecord(policy)
        }
        let policy = try stored { () throws(StoreError) in try store.policy(arn: reference.arn) }
        guard let policy, reference.account == caller.accountId else { throw Self.noSuchPolicy(reference.arn) }
        return policy
    }

    /// Every version of the policy, newest first; an AWS managed policy has just its default.
    private func policyVersions(
        _ reference: PolicyReference, _ caller: IAMCaller
    ) throws(AWSError)
        -> [PolicyVersionRecord]
    {
        guard reference.account == "aws" else {
            return try stored(notFound: Self.noSuchPolicy(reference.arn)) { () throws(StoreError) in
                try store.policyVersions(policyArn: reference.arn)
            }
        }
        guard let policy = ManagedPolicies.policy(arn: reference.arn) else { throw Self.noSuchPolicy(reference.arn) }
        return [
            PolicyVersionRecord(
                policyArn: policy.arn, versionId: policy.versionId, document: policy.document, isDefault: true,
                createdMilliseconds: policy.updatedMilliseconds)
        ]
    }

    /// An AWS managed policy in the store's shape, with its attachment count in this account.
    private func awsRecord(_ policy: AWSManagedPolicy) throws(AWSError) -> ManagedPolicyRecord {
        let attachments = try stored { () throws(StoreError) in try store.attachmentCount(policyArn: policy.arn) }
        return ManagedPolicyRecord(
            arn: policy.arn, name: policy.name, policyId: policy.policyId, path: policy.path,
            description: policy.description, defaultVersionId: policy.versionId,
            createdMilliseconds: policy.createdMilliseconds, updatedMilliseconds: policy.updatedMilliseconds,
            attachmentCount: attachments)
    }

    /// Policies sort by name ignoring case; the ARN breaks ties between an AWS managed policy
    /// and a customer one of the same name.
    private static func listKey(_ policy: ManagedPolicyRecord) -> String {
        policy.name.lowercased() + " " + policy.arn
    }

    /// The `PolicyArn` member taken apart; InvalidInput when it is no policy ARN.
    private static func policyReference(_ request: QueryRequest) throws(AWSError) -> PolicyReference {
        let arn = try requiredArn(request)
        guard let reference = PolicyReference(parsing: arn) else {
            throw AWSError.invalidInput("ARN \(arn) is not valid.")
        }
        return reference
    }

    private static func requiredVersionId(_ request: QueryRequest) throws(AWSError) -> String {
        var check = QueryValidator()
        check.versionId(request["VersionId"], at: "versionId")
        try check.check()
        return request["VersionId"] ?? ""
    }

    /// AWS managed policies belong to AWS's account, which no caller may change.
    private static func refuseChange(
        _ reference: PolicyReference, _ operation: String, _ caller: IAMCaller
    ) throws(AWSError) {
        guard reference.account == "aws" else { return }
        throw AWSError.accessDenied(
            "User: \(caller.principal.arn) is not authorized to perform: iam:\(operation) on resource: policy "
                + reference.arn)
    }

    private static func noSuchPolicy(_ arn: String) -> AWSError {
        .noSuchEntity("Policy \(arn) was not found.")
    }

    private static func noSuchVersion(_ arn: String, _ versionId: String) -> AWSError {
        .noSuchEntity("Policy \(arn) version \(versionId) does not exist or is not attachable.")
    }

    // MARK: Shapes

    /// A Policy shape's members; `details` adds the description and tags, as GetPolicy has them.
    private static func write(_ policy: ManagedPolicyRecord, to writer: inout XMLWriter, details: Bool) {
        writer.element("PolicyName", policy.name)
        writer.element("PolicyId", policy.policyId)
        writer.element("Arn", policy.arn)
        writer.element("Path", policy.path)
        writer.element("DefaultVersionId", policy.defaultVersionId)
        writer.element("AttachmentCount", policy.attachmentCount)
        writer.element("PermissionsBoundaryUsageCount", 0)
        writer.element("IsAttachable", true)
        if details {
            writer.element("Description", policy.description)
        }
        writer.element("CreateDate", UTCTimestamp.iso8601(policy.createdMilliseconds))
        writer.element("UpdateDate", UTCTimestamp.iso8601(policy.updatedMilliseconds))
        if !policy.tags.isEmpty {
            writeTags(policy.tags, to: &writer)
        }
    }

    private static func write(_ version: PolicyVersionRecord, to writer: inout XMLWriter, withDocument: Bool) {
        if withDocument {
            writer.element("Document", QueryProtocol.policyEncoded(version.document))
        }
        writer.element("VersionId", version.versionId)
        writer.element("IsDefaultVersion", version.isDefault)
        writer.element("CreateDate", UTCTimestamp.iso8601(version.createdMilliseconds))
    }
}
