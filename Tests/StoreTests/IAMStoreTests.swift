import Testing

@testable import Store

private let account = "123456789012"

private func makeUser(_ name: String, path: String = "/", tags: [IAMTag] = []) -> IAMUserRecord {
    IAMUserRecord(
        name: name, userId: IAMIdentifiers.make(prefix: "AIDA", length: 21), path: path,
        arn: "arn:aws:iam::\(account):user\(path)\(name)", createdMilliseconds: 1_700_000_000_000, tags: tags)
}

private func makeRole(_ name: String, path: String = "/") -> RoleRecord {
    RoleRecord(
        name: name, roleId: IAMIdentifiers.make(prefix: "AROA", length: 21), path: path,
        arn: "arn:aws:iam::\(account):role\(path)\(name)", assumeRolePolicyDocument: "{}",
        createdMilliseconds: 1_700_000_000_000)
}

private func makePolicy(_ name: String, path: String = "/") -> ManagedPolicyRecord {
    ManagedPolicyRecord(
        arn: "arn:aws:iam::\(account):policy\(path)\(name)", name: name,
        policyId: IAMIdentifiers.make(prefix: "ANPA", length: 21), path: path,
        createdMilliseconds: 1_700_000_000_000, updatedMilliseconds: 1_700_000_000_000)
}

private func makeKey(_ user: String) -> AccessKeyRecord {
    AccessKeyRecord(
        accessKeyId: IAMIdentifiers.make(prefix: "AKIA", length: 20), secretAccessKey: IAMIdentifiers.secretAccessKey(),
        userName: user, createdMilliseconds: 1_700_000_000_000)
}

@Suite("IAM users, access keys and roles in the store")
struct IAMEntityStoreTests {
    @Test("user names are unique and found ignoring case; lists filter by path and order by name")
    func users() throws {
        try withStore { store, _ in
            try store.createUser(makeUser("bob"))
            try store.createUser(makeUser("Alice", path: "/team/"))
            let error = #expect(throws: StoreError.self) { try store.createUser(makeUser("BOB")) }
            #expect(error?.code == .conflict)
            #expect(try store.user(named: "BOB")?.name == "bob")
            #expect(try store.users(pathPrefix: nil).map(\.name) == ["Alice", "bob"])
            #expect(try store.users(pathPrefix: "/team").map(\.name) == ["Alice"])
            #expect(try store.user(named: "carol") == nil)
        }
    }

    @Test("a user with access keys, inline or attached policies cannot be deleted")
    func deleteUserConflicts() throws {
        try withStore { store, _ in
            try store.createUser(makeUser("bob"))
            let key = makeKey("bob")
            try store.createAccessKey(key, limit: 2)
            #expect(try store.deleteUser(named: "bob") == .blocked(by: .accessKeys))
            #expect(try store.deleteAccessKey(userName: "bob", accessKeyId: key.accessKeyId))

            try store.putInlinePolicy(.user("bob"), name: "p", document: "{}")
            #expect(try store.deleteUser(named: "bob") == .blocked(by: .inlinePolicies))
            #expect(try store.deleteInlinePolicy(.user("Bob"), name: "p"))

            try store.attachPolicy(.user("bob"), policyArn: "arn:aws:iam::aws:policy/AdministratorAccess", limit: 10)
            #expect(try store.deleteUser(named: "bob") == .blocked(by: .attachedPolicies))
            #expect(try store.detachPolicy(.user("bob"), policyArn: "arn:aws:iam::aws:policy/AdministratorAccess"))

            #expect(try store.deleteUser(named: "bob") == .deleted)
            #expect(try store.deleteUser(named: "bob") == .notFound)
        }
    }

    @Test("a user has at most `limit` access keys; keys change status and resolve to their owner")
    func accessKeys() throws {
        try withStore { store, _ in
            try store.createUser(makeUser("bob", path: "/ops/"))
            let first = makeKey("BOB")
            try store.createAccessKey(first, limit: 2)
            try store.createAccessKey(makeKey("bob"), limit: 2)
            let error = #expect(throws: StoreError.self) { try store.createAccessKey(makeKey("bob"), limit: 2) }
            #expect(error?.code == .conflict)
            #expect(try store.accessKeys(userName: "bob").count == 2)
            #expect(try store.accessKeys(userName: "bob").allSatisfy { $0.userName == "bob" })

            #expect(try store.updateAccessKey(userName: "bob", accessKeyId: first.accessKeyId, status: .inactive))
            #expect(try !store.updateAccessKey(userName: "bob", accessKeyId: "AKIANOSUCHKEY0000000", status: .active))
            let credential = try #require(try store.credential(accessKeyId: first.accessKeyId))
            #expect(credential.status == .inactive)
            #expect(credential.secretAccessKey == first.secretAccessKey)
            #expect(credential.sessionToken == nil)
            guard case .user(let name, _, let path) = credential.owner else {
                Issue.record("expected a user's key")
                return
            }
            #expect(name == "bob" && path == "/ops/")
        }
    }

    @Test("operations on a missing user's keys are not found")
    func missingUser() throws {
        try withStore { store, _ throws in
            let operations: [() throws -> Void] = [
                { _ = try store.accessKeys(userName: "ghost") },
                { try store.createAccessKey(makeKey("ghost"), limit: 2) },
                { _ = try store.deleteAccessKey(userName: "ghost", accessKeyId: "AKIA") },
                { _ = try store.inlinePolicyNames(.user("ghost")) },
            ]
            for operation in operations {
                let error = #expect(throws: StoreError.self) { try operation() }
                #expect(error?.code == .notFound)
            }
            #expect(try store.credential(accessKeyId: "AKIANOSUCHKEY0000000") == nil)
        }
    }

    @Test("roles are updated in place, and deleting one ends its sessions")
    func roles() throws {
        try withStore { store, _ in
            try store.createRole(makeRole("lambda-exec"))
            let updated = try store.updateRole(
                named: "LAMBDA-EXEC", description: "runs", maxSessionDurationSeconds: 7200)
            #expect(updated?.description == "runs")
            #expect(updated?.maxSessionDurationSeconds == 7200)
            #expect(
                try store.updateRole(named: "lambda-exec", description: nil, maxSessionDurationSeconds: nil)?
                    .description == "runs")
            #expect(try store.updateAssumeRolePolicy(roleName: "lambda-exec", document: "{\"a\":1}"))
            #expect(try store.role(named: "lambda-exec")?.assumeRolePolicyDocument == "{\"a\":1}")
            #expect(try store.updateRole(named: "ghost", description: "x", maxSessionDurationSeconds: nil) == nil)

            let session = try store.createSession(roleName: "lambda-exec", sessionName: "s", durationSeconds: 900)
            try store.putInlinePolicy(.role("lambda-exec"), name: "p", document: "{}")
            #expect(try store.deleteRole(named: "lambda-exec") == .blocked(by: .inlinePolicies))
            #expect(try store.deleteInlinePolicy(.role("lambda-exec"), name: "p"))
            #expect(try store.deleteRole(named: "lambda-exec") == .deleted)
            #expect(try store.credential(accessKeyId: session.accessKeyId) == nil)
        }
    }

    @Test("tags merge ignoring key case, are removed by key and stay within the limit")
    func tags() throws {
        try withStore { store, _ in
            try store.createUser(makeUser("bob", tags: [IAMTag(key: "team", value: "a")]))
            let merged = try store.updateTags(
                of: .user("bob"), adding: [IAMTag(key: "Team", value: "b"), IAMTag(key: "env", value: "dev")],
                removing: [], limit: 50)
            #expect(merged == [IAMTag(key: "Team", value: "b"), IAMTag(key: "env", value: "dev")])
            #expect(
                try store.updateTags(of: .user("bob"), adding: [], removing: ["TEAM"], limit: 50).map(\.key) == ["env"])
            let error = #expect(throws: StoreError.self) {
                try store.updateTags(of: .user("bob"), adding: [IAMTag(key: "x", value: "")], removing: [], limit: 1)
            }
            #expect(error?.code == .conflict)
            #expect(try store.user(named: "bob")?.tags == [IAMTag(key: "env", value: "dev")])
        }
    }
}

@Suite("IAM policies and sessions in the store")
struct IAMPolicyStoreTests {
    @Test("managed policy names are unique across paths; versions count up and are never reused")
    func versions() throws {
        try withStore { store, _ in
            let policy = makePolicy("read", path: "/a/")
            try store.createPolicy(policy, document: "{\"v\":1}")
            let error = #expect(throws: StoreError.self) { try store.createPolicy(makePolicy("READ"), document: "{}") }
            #expect(error?.code == .conflict)

            let second = try store.createPolicyVersion(
                policyArn: policy.arn, document: "{\"v\":2}", setAsDefault: true, createdMilliseconds: 5, limit: 5)
            #expect(second.versionId == "v2")
            #expect(try store.policy(arn: policy.arn)?.defaultVersionId == "v2")
            #expect(
                try store.deletePolicyVersion(policyArn: policy.arn, versionId: "v2") == .blocked(by: .defaultVersion))
            #expect(try store.deletePolicyVersion(policyArn: policy.arn, versionId: "v1") == .deleted)
            #expect(try store.deletePolicyVersion(policyArn: policy.arn, versionId: "v1") == .notFound)
            let third = try store.createPolicyVersion(
                policyArn: policy.arn, document: "{}", setAsDefault: false, createdMilliseconds: 6, limit: 5)
            #expect(third.versionId == "v3")
            #expect(try store.policyVersions(policyArn: policy.arn).map(\.versionId) == ["v3", "v2"])
            #expect(try store.policyVersion(policyArn: policy.arn, versionId: "v2")?.isDefault == true)
            #expect(try store.policyVersion(policyArn: policy.arn, versionId: "bogus") == nil)
            #expect(try store.setDefaultPolicyVersion(policyArn: policy.arn, versionId: "v3"))
            #expect(try !store.setDefaultPolicyVersion(policyArn: policy.arn, versionId: "v9"))
        }
    }

    @Test("a policy has at most `limit` versions")
    func versionLimit() throws {
        try withStore { store, _ in
            let policy = makePolicy("p")
            try store.createPolicy(policy, document: "{}")
            let error = #expect(throws: StoreError.self) {
                try store.createPolicyVersion(
                    policyArn: policy.arn, document: "{}", setAsDefault: false, createdMilliseconds: 1, limit: 1)
            }
            #expect(error?.code == .conflict)
        }
    }

    @Test("a policy that is attached or has other versions cannot be deleted")
    func deletePolicy() throws {
        try withStore { store, _ in
            let policy = makePolicy("p")
            try store.createPolicy(policy, document: "{}")
            try store.createRole(makeRole("r"))
            try store.attachPolicy(.role("r"), policyArn: policy.arn, limit: 10)
            try store.attachPolicy(.role("r"), policyArn: policy.arn, limit: 10)
            #expect(try store.attachmentCount(policyArn: policy.arn) == 1)
            #expect(try store.policy(arn: policy.arn)?.attachmentCount == 1)
            #expect(try store.policies(pathPrefix: nil, onlyAttached: true).map(\.name) == ["p"])
            #expect(try store.deletePolicy(arn: policy.arn) == .blocked(by: .attachments))

            #expect(try store.detachPolicy(.role("r"), policyArn: policy.arn))
            #expect(try store.policies(pathPrefix: nil, onlyAttached: true).isEmpty)
            _ = try store.createPolicyVersion(
                policyArn: policy.arn, document: "{}", setAsDefault: false, createdMilliseconds: 1, limit: 5)
            #expect(try store.deletePolicy(arn: policy.arn) == .blocked(by: .nonDefaultVersions))
            #expect(try store.deletePolicyVersion(policyArn: policy.arn, versionId: "v2") == .deleted)
            #expect(try store.deletePolicy(arn: policy.arn) == .deleted)
            #expect(try store.policy(arn: policy.arn) == nil)
            #expect(try store.deletePolicy(arn: policy.arn) == .notFound)
        }
    }

    @Test("attaching needs the entity and the customer policy, and stops at the limit")
    func attachments() throws {
        try withStore { store, _ in
            try store.createUser(makeUser("bob"))
            let missing = #expect(throws: StoreError.self) {
                try store.attachPolicy(.user("bob"), policyArn: "arn:aws:iam::\(account):policy/none", limit: 10)
            }
            #expect(missing?.code == .notFound)
            try store.attachPolicy(.user("bob"), policyArn: "arn:aws:iam::aws:policy/A", limit: 1)
            let full = #expect(throws: StoreError.self) {
                try store.attachPolicy(.user("bob"), policyArn: "arn:aws:iam::aws:policy/B", limit: 1)
            }
            #expect(full?.code == .conflict)
            #expect(try store.attachedPolicies(.user("bob")) == ["arn:aws:iam::aws:policy/A"])
            #expect(try !store.detachPolicy(.user("bob"), policyArn: "arn:aws:iam::aws:policy/B"))
        }
    }

    @Test("a role's policy documents are its inline ones, then its attached managed ones' defaults")
    func policyDocuments() throws {
        try withStore { store, _ in
            try store.createRole(makeRole("r"))
            let policy = makePolicy("custom")
            try store.createPolicy(policy, document: "{\"v\":1}")
            _ = try store.createPolicyVersion(
                policyArn: policy.arn, document: "{\"v\":2}", setAsDefault: true, createdMilliseconds: 1, limit: 5)
            try store.putInlinePolicy(.role("r"), name: "inline", document: "{\"inline\":1}")
            try store.attachPolicy(.role("r"), policyArn: policy.arn, limit: 10)
            try store.attachPolicy(.role("r"), policyArn: "arn:aws:iam::aws:policy/Known", limit: 10)
            try store.attachPolicy(.role("r"), policyArn: "arn:aws:iam::aws:policy/Unknown", limit: 10)

            let documents = try store.policyDocuments(for: .role("R")) { arn in
                arn.hasSuffix("/Known") ? "{\"aws\":1}" : nil
            }
            #expect(
                documents == [
                    IAMPolicyDocument(source: .inline("inline"), document: "{\"inline\":1}"),
                    IAMPolicyDocument(source: .managed(policy.arn), document: "{\"v\":2}"),
                    IAMPolicyDocument(source: .managed("arn:aws:iam::aws:policy/Known"), document: "{\"aws\":1}"),
                ])
            #expect(try store.policyDocuments(for: .user("nobody")) { _ in "{}" }.isEmpty)
        }
    }

    @Test("sessions carry fresh credentials that expire after their duration by the store's clock")
    func sessions() throws {
        let clock = TestClock()
        try withStore(clock: clock) { store, _ in
            try store.createRole(makeRole("exec", path: "/service/"))
            let session = try store.createSession(roleName: "EXEC", sessionName: "fn", durationSeconds: 900)
            #expect(session.accessKeyId.hasPrefix("ASIA") && session.accessKeyId.count == 20)
            #expect(session.secretAccessKey.count == 40)
            #expect(session.expirationMilliseconds == clock.now + 900_000)
            let credential = try #require(try store.credential(accessKeyId: session.accessKeyId))
            #expect(credential.sessionToken == session.sessionToken)
            #expect(credential.expirationMilliseconds == session.expirationMilliseconds)
            #expect(
                credential.owner
                    == .assumedRole(roleName: "exec", roleId: session.roleId, rolePath: "/service/", sessionName: "fn"))

            #expect(try store.deleteExpiredSessions(before: clock.now + 900_000) == 0)
            #expect(try store.deleteExpiredSessions(before: clock.now + 900_001) == 1)
            #expect(try store.credential(accessKeyId: session.accessKeyId) == nil)
            let error = #expect(throws: StoreError.self) {
                try store.createSession(roleName: "ghost", sessionName: "fn", durationSeconds: 900)
            }
            #expect(error?.code == .notFound)
        }
    }

    @Test("everything IAM stores is there after the store is reopened")
    func durability() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = makeKey("bob")
        do {
            let store = try SQLiteStore(dataDirectory: directory.path)
            try store.createUser(makeUser("bob"))
            try store.createAccessKey(key, limit: 2)
            try store.createRole(makeRole("r"))
            try store.createPolicy(makePolicy("p"), document: "{}")
        }
        let reopened = try SQLiteStore(dataDirectory: directory.path)
        #expect(try reopened.credential(accessKeyId: key.accessKeyId)?.secretAccessKey == key.secretAccessKey)
        #expect(try reopened.role(named: "r") != nil)
        #expect(try reopened.policies(pathPrefix: nil, onlyAttached: false).count == 1)
    }

    @Test("identifiers have IAM's prefixes, lengths and alphabet")
    func identifiers() {
        let id = IAMIdentifiers.make(prefix: "AIDA", length: 21)
        #expect(id.count == 21 && id.hasPrefix("AIDA"))
        #expect(id.allSatisfy { $0.isUppercase || ("2"..."7").contains($0) })
        #expect(IAMIdentifiers.secretAccessKey().count == 40)
        #expect(IAMIdentifiers.sessionToken().count == 160)
        #expect(IAMIdentifiers.make(prefix: "AKIA", length: 20) != IAMIdentifiers.make(prefix: "AKIA", length: 20))
    }
}
