import Store

/// Roles and their trust policies.
extension IAMService {
    static let roleDescriptionMaximum = 1_000
    static let sessionDurationRange = 3_600...43_200

    func createRole(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        var check = QueryValidator()
        check.name(request["RoleName"], at: "roleName", max: 64)
        check.path(request["Path"], at: "path")
        check.document(request["AssumeRolePolicyDocument"], at: "assumeRolePolicyDocument")
        check.length(request["Description"], at: "description", max: Self.roleDescriptionMaximum)
        check.integer(request.integer("MaxSessionDuration"), at: "maxSessionDuration", Self.sessionDurationRange)
        let tags = request.tags("Tags")
        check.tags(tags, at: "tags")
        try check.check()
        try Self.refuseUnsupported(request, ["PermissionsBoundary", "MaxSigninSessionDuration"])
        let name = request["RoleName"] ?? ""
        let path = request["Path"] ?? "/"
        let trust = request["AssumeRolePolicyDocument"] ?? ""
        let arn = Self.arn(caller, "role", path: path, name: name)
        try authorized(caller, "CreateRole", arn)
        try checkDocument(trust, isTrustPolicy: true, quota: ("ACLSizePerRole", Self.trustPolicySize))

        let role = RoleRecord(
            name: name, roleId: IAMIdentifiers.make(prefix: "AROA", length: 21), path: path, arn: arn,
            assumeRolePolicyDocument: trust, description: request["Description"],
            maxSessionDurationSeconds: (request.integer("MaxSessionDuration") ?? nil) ?? 3_600,
            createdMilliseconds: now(), tags: try Self.uniqueTags(tags))
        try stored(conflict: .entityAlreadyExists("Role with name \(name) already exists.")) {
            () throws(StoreError) in try store.createRole(role)
        }
        return Self.result { $0.element("Role") { Self.write(role, to: &$0, withTags: true) } }
    }

    func getRole(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        let name = try Self.requiredName(request, "RoleName", at: "roleName", max: 64)
        let role = try authorizedRole(name, "GetRole", caller)
        return Self.result { result in
            result.element("Role") { element in
                Self.write(role, to: &element, withTags: true)
                element.element("RoleLastUsed") { _ in }
            }
        }
    }

    func listRoles(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        var check = QueryValidator()
        check.pathPrefix(request["PathPrefix"], at: "pathPrefix")
        try check.check()
        try authorized(caller, "ListRoles", Self.arn(caller, "role", path: "/", name: ""))
        let roles = try stored { () throws(StoreError) in try store.roles(pathPrefix: request["PathPrefix"]) }
        let page = try IAMPagination.page(roles, request) { $0.name.lowercased() }
        return Self.result { result in
            result.members("Roles", page.items) { member, role in Self.write(role, to: &member, withTags: false) }
            page.writeTruncation(&result)
        }
    }

    func deleteRole(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        let name = try Self.requiredName(request, "RoleName", at: "roleName", max: 64)
        let target = try authorizedEntity(.role(name), "DeleteRole", caller)
        let outcome = try stored { () throws(StoreError) in try store.deleteRole(named: target.name) }
        try Self.check(outcome, .role(name))
        return nil
    }

    func updateRole(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        var check = QueryValidator()
        check.name(request["RoleName"], at: "roleName", max: 64)
        check.length(request["Description"], at: "description", max: Self.roleDescriptionMaximum)
        check.integer(request.integer("MaxSessionDuration"), at: "maxSessionDuration", Self.sessionDurationRange)
        try check.check()
        try Self.refuseUnsupported(request, ["MaxSigninSessionDuration", "ResetMaxSigninSessionDuration"])
        let name = request["RoleName"] ?? ""
        let target = try authorizedEntity(.role(name), "UpdateRole", caller)
        let updated = try stored { () throws(StoreError) in
            try store.updateRole(
                named: target.name, description: request["Description"],
                maxSessionDurationSeconds: request.integer("MaxSessionDuration") ?? nil)
        }
        guard updated != nil else { throw Self.noSuchEntity(.role(name)) }
        return XMLWriter()
    }

    func updateAssumeRolePolicy(_ request: QueryRequest, _ caller: IAMCaller) throws(AWSError) -> XMLWriter? {
        var check = QueryValidator()
        check.name(request["RoleName"], at: "roleName", max: 64)
        check.document(request["PolicyDocument"], at: "policyDocument")
        try check.check()
        let name = request["RoleName"] ?? ""
        let document = request["PolicyDocument"] ?? ""
        let target = try authorizedEntity(.role(name), "UpdateAssumeRolePolicy", caller)
        try checkDocument(document, isTrustPolicy: true, quota: ("ACLSizePerRole", Self.trustPolicySize))
        let updated = try stored { () throws(StoreError) in
            try store.updateAssumeRolePolicy(roleName: target.name, document: document)
        }
        guard updated else { throw Self.noSuchEntity(.role(name)) }
        return nil
    }

    /// The role named `name` once `caller` may perform `operation` on it.
    private func authorizedRole(
        _ name: String, _ operation: String, _ caller: IAMCaller
    ) throws(AWSError)
        -> RoleRecord
    {
        let target = try authorizedEntity(.role(name), operation, caller)
        let role = try stored { () throws(StoreError) in try store.role(named: target.name) }
        guard let role else { throw Self.noSuchEntity(.role(name)) }
        return role
    }

    /// A Role shape's members.
    static func write(_ role: RoleRecord, to writer: inout XMLWriter, withTags: Bool) {
        writer.element("Path", role.path)
        writer.element("RoleName", role.name)
        writer.element("RoleId", role.roleId)
        writer.element("Arn", role.arn)
        writer.element("CreateDate", UTCTimestamp.iso8601(role.createdMilliseconds))
        writer.element("AssumeRolePolicyDocument", QueryProtocol.policyEncoded(role.assumeRolePolicyDocument))
        writer.element("Description", role.description)
        writer.element("MaxSessionDuration", role.maxSessionDurationSeconds)
        if withTags, !role.tags.isEmpty {
            writeTags(role.tags, to: &writer)
        }
    }
}
