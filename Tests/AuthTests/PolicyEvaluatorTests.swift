import Testing

@testable import Auth

/// Principals and helpers shared by the policy suites.
enum Fixture {
    static let account = "123456789012"
    static let root = Principal.root(accountId: account)
    static let alice = Principal.user(name: "alice", userId: "AIDAALICE", accountId: account)
    static let bob = Principal.user(name: "bob", userId: "AIDABOB", accountId: account)
    static let session = Principal.assumedRole(
        role: "deployer", roleId: "AROADEPLOYER", session: "ci", accountId: account)
    static let otherSession = Principal.assumedRole(
        role: "deployer", roleId: "AROADEPLOYER", session: "laptop", accountId: account)
    static let stranger = Principal.user(name: "eve", userId: "AIDAEVE", accountId: "999999999999")
    static let function = "arn:aws:lambda:us-east-1:123456789012:function:f"

    /// A policy of one or more statements (a JSON object or array literal).
    static func policy(
        _ statements: String, kind: PolicyKind = .identity, version: String? = "2012-10-17"
    ) throws -> PolicyDocument {
        let versionMember = version.map { #""Version":"\#($0)","# } ?? ""
        return try PolicyDocument.parse(#"{\#(versionMember)"Statement":\#(statements)}"#, kind: kind)
    }

    static func request(
        _ principal: Principal = alice, action: String = "lambda:InvokeFunction", resource: String = function,
        context: [String: [String]] = [:]
    ) -> AuthorizationRequest {
        AuthorizationRequest(principal: principal, action: action, resource: resource, context: context)
    }

    static func decide(
        _ request: AuthorizationRequest, identity: [PolicyDocument] = [], resource: PolicyDocument? = nil
    ) -> Decision {
        PolicyEvaluator.evaluate(request, identityPolicies: identity, resourcePolicy: resource)
    }
}

@Suite("Policy evaluation")
struct PolicyEvaluatorTests {
    struct MatchCase: Sendable, CustomTestStringConvertible {
        let pattern: String
        let value: String
        let matches: Bool
        init(_ pattern: String, _ value: String, _ matches: Bool) {
            self.pattern = pattern
            self.value = value
            self.matches = matches
        }
        var testDescription: String { "\(pattern) \(matches ? "matches" : "does not match") \(value)" }
    }

    static let actionCases: [MatchCase] = [
        MatchCase("lambda:InvokeFunction", "lambda:InvokeFunction", true),
        MatchCase("lambda:InvokeFunction", "lambda:InvokeAsync", false),
        MatchCase("lambda:invoke*", "LAMBDA:InvokeFunction", true),
        MatchCase("lambda:Get*", "lambda:InvokeFunction", false),
        MatchCase("*", "sts:AssumeRole", true),
        MatchCase("s3:*", "lambda:InvokeFunction", false),
        MatchCase("lambda:?nvokeFunction", "lambda:InvokeFunction", true),
        MatchCase("lambda:?InvokeFunction", "lambda:InvokeFunction", false),
        MatchCase("lambda:*Function", "lambda:InvokeFunction", true),
        MatchCase("lambda:*Function", "lambda:InvokeFunctionUrl", false),
        MatchCase("lambda:*Function*", "lambda:InvokeFunctionUrl", true),
        MatchCase("lambda:*Url*Config", "lambda:GetFunctionUrlConfig", true),
        MatchCase("lambda:*Url*Config", "lambda:GetFunctionUrl", false),
    ]

    @Test("actions match case-insensitively with * and ?", arguments: actionCases)
    func actions(_ testCase: MatchCase) throws {
        let policy = try Fixture.policy(
            #"{"Effect":"Allow","Action":"\#(testCase.pattern)","Resource":"*"}"#)
        let decision = Fixture.decide(Fixture.request(action: testCase.value), identity: [policy])
        #expect(decision == (testCase.matches ? .allow : .implicitDeny))
    }

    static let resourceCases: [MatchCase] = [
        MatchCase(Fixture.function, Fixture.function, true),
        MatchCase(Fixture.function, "arn:aws:lambda:us-east-1:123456789012:function:F", false),
        MatchCase("arn:aws:lambda:*:123456789012:function:*", Fixture.function + ":prod", true),
        MatchCase(
            "arn:aws:lambda:*:123456789012:function:*", "arn:aws:lambda:us-east-1:999999999999:function:f", false),
        MatchCase(Fixture.function, Fixture.function + ":prod", false),
        MatchCase("arn:aws:lambda:*", Fixture.function + ":prod", true),
        MatchCase("arn:aws:lambda:*", "arn:aws:s3:::bucket", false),
        MatchCase("*", "*", true),
        MatchCase("arn:aws:s3:::bucket", "*", false),
        MatchCase("arn:aws:s3:::b/?", "arn:aws:s3:::b/é", true),
        MatchCase("arn:aws:s3:::b/?", "arn:aws:s3:::b/ab", false),
        MatchCase("arn:aws:s3:::b/*/x", "arn:aws:s3:::b/a/b/x", true),
        MatchCase("arn:aws:s3:::b/*/x", "arn:aws:s3:::b/a/b/y", false),
    ]

    @Test("resources match case-sensitively, and * may cross colons", arguments: resourceCases)
    func resources(_ testCase: MatchCase) throws {
        let policy = try Fixture.policy(
            #"{"Effect":"Allow","Action":"lambda:*","Resource":"\#(testCase.pattern)"}"#)
        let decision = Fixture.decide(Fixture.request(resource: testCase.value), identity: [policy])
        #expect(decision == (testCase.matches ? .allow : .implicitDeny))
    }

    @Test("NotAction covers every action but the listed ones")
    func notAction() throws {
        let policy = try Fixture.policy(#"{"Effect":"Allow","NotAction":["iam:*","sts:*"],"Resource":"*"}"#)
        #expect(Fixture.decide(Fixture.request(action: "lambda:GetFunction"), identity: [policy]) == .allow)
        #expect(Fixture.decide(Fixture.request(action: "IAM:CreateUser"), identity: [policy]) == .implicitDeny)
    }

    @Test("NotResource covers every resource but the listed ones")
    func notResource() throws {
        let policy = try Fixture.policy(
            #"{"Effect":"Deny","Action":"lambda:*","NotResource":"arn:aws:lambda:*:*:function:public-*"}"#)
        let allowAll = try Fixture.policy(#"{"Effect":"Allow","Action":"*","Resource":"*"}"#)
        let publicFunction = "arn:aws:lambda:us-east-1:123456789012:function:public-site"
        #expect(Fixture.decide(Fixture.request(resource: publicFunction), identity: [allowAll, policy]) == .allow)
        #expect(Fixture.decide(Fixture.request(), identity: [allowAll, policy]) == .explicitDeny(.identity))
    }

    // MARK: Combining policies

    @Test("an explicit deny beats an allow in the same policy and across policies")
    func denyBeatsAllow() throws {
        let both = try Fixture.policy(
            #"[{"Effect":"Allow","Action":"*","Resource":"*"},"#
                + #"{"Effect":"Deny","Action":"lambda:Invoke*","Resource":"*"}]"#
        )
        #expect(Fixture.decide(Fixture.request(), identity: [both]) == .explicitDeny(.identity))
        #expect(Fixture.decide(Fixture.request(action: "lambda:GetFunction"), identity: [both]) == .allow)

        let allow = try Fixture.policy(#"{"Effect":"Allow","Action":"lambda:*","Resource":"*"}"#)
        let deny = try Fixture.policy(#"{"Effect":"Deny","Action":"lambda:*","Resource":"*"}"#)
        #expect(Fixture.decide(Fixture.request(), identity: [allow, deny]) == .explicitDeny(.identity))
        #expect(Fixture.decide(Fixture.request(), identity: [deny, allow]) == .explicitDeny(.identity))
        #expect(Fixture.decide(Fixture.request(), identity: [allow]) == .allow)
    }

    @Test("in one account, an identity policy or the resource policy can allow, and either can deny")
    func identityOrResource() throws {
        let identityAllow = try Fixture.policy(#"{"Effect":"Allow","Action":"lambda:*","Resource":"*"}"#)
        let identityDeny = try Fixture.policy(#"{"Effect":"Deny","Action":"lambda:*","Resource":"*"}"#)
        let resourceAllow = try Fixture.policy(
            #"{"Effect":"Allow","Principal":{"AWS":"\#(Fixture.alice.arn)"},"Action":"lambda:*","Resource":"*"}"#,
            kind: .resource)
        let resourceDeny = try Fixture.policy(
            #"{"Effect":"Deny","Principal":"*","Action":"lambda:*","Resource":"*"}"#, kind: .resource)
        let request = Fixture.request()

        #expect(Fixture.decide(request) == .implicitDeny)
        #expect(Fixture.decide(request, identity: [identityAllow]) == .allow)
        #expect(Fixture.decide(request, resource: resourceAllow) == .allow)
        #expect(Fixture.decide(request, identity: [identityAllow], resource: resourceDeny) == .explicitDeny(.resource))
        #expect(Fixture.decide(request, identity: [identityDeny], resource: resourceAllow) == .explicitDeny(.identity))
        #expect(Fixture.decide(request, identity: [identityDeny], resource: resourceDeny) == .explicitDeny(.identity))
    }

    @Test("hasStatement reports whether one policy has an applicable statement with an effect")
    func hasStatement() throws {
        let policy = try Fixture.policy(
            #"[{"Effect":"Allow","Action":"lambda:*","Resource":"*"},"#
                + #"{"Effect":"Deny","Action":"lambda:Delete*","Resource":"*"}]"#
        )
        let invoke = Fixture.request()
        let delete = Fixture.request(action: "lambda:DeleteFunction")
        #expect(PolicyEvaluator.hasStatement(in: policy, effect: .allow, matching: invoke))
        #expect(!PolicyEvaluator.hasStatement(in: policy, effect: .deny, matching: invoke))
        #expect(PolicyEvaluator.hasStatement(in: policy, effect: .deny, matching: delete))
        #expect(!PolicyEvaluator.hasStatement(in: policy, effect: .allow, matching: Fixture.request(action: "s3:Get")))
    }

    // MARK: Principals

    struct PrincipalCase: Sendable, CustomTestStringConvertible {
        let principal: String
        let caller: Principal
        let context: [String: [String]]
        let matches: Bool
        init(_ principal: String, _ caller: Principal, _ matches: Bool, context: [String: [String]] = [:]) {
            self.principal = principal
            self.caller = caller
            self.context = context
            self.matches = matches
        }
        var testDescription: String { "\(principal) \(matches ? "admits" : "does not admit") \(caller.arn)" }
    }

    static let resourcePrincipalCases: [PrincipalCase] = [
        PrincipalCase(#""*""#, Fixture.alice, true),
        PrincipalCase(#"{"AWS":"*"}"#, Fixture.bob, true),
        PrincipalCase(#"{"AWS":"\#(Fixture.alice.arn)"}"#, Fixture.alice, true),
        PrincipalCase(#"{"AWS":"\#(Fixture.alice.arn)"}"#, Fixture.bob, false),
        PrincipalCase(#"{"AWS":["\#(Fixture.bob.arn)","\#(Fixture.alice.arn)"]}"#, Fixture.alice, true),
        PrincipalCase(#"{"AWS":"123456789012"}"#, Fixture.root, true),
        PrincipalCase(#"{"AWS":"123456789012"}"#, Fixture.alice, false),
        PrincipalCase(#"{"AWS":"arn:aws:iam::123456789012:root"}"#, Fixture.root, true),
        PrincipalCase(#"{"AWS":"arn:aws:iam::999999999999:root"}"#, Fixture.root, false),
        PrincipalCase(#"{"AWS":"\#(Fixture.session.roleArn ?? "")"}"#, Fixture.session, true),
        PrincipalCase(#"{"AWS":"arn:aws:iam::123456789012:role/other"}"#, Fixture.session, false),
        PrincipalCase(#"{"AWS":"\#(Fixture.session.arn)"}"#, Fixture.session, true),
        PrincipalCase(#"{"AWS":"\#(Fixture.session.arn)"}"#, Fixture.otherSession, false),
        PrincipalCase(
            #"{"Service":"s3.amazonaws.com"}"#, Fixture.root, true,
            context: ["aws:PrincipalServiceName": ["s3.amazonaws.com"]]),
        PrincipalCase(
            #"{"Service":"s3.amazonaws.com"}"#, Fixture.root, false,
            context: ["aws:PrincipalServiceName": ["sns.amazonaws.com"]]),
        PrincipalCase(#"{"Service":"s3.amazonaws.com"}"#, Fixture.root, false),
        PrincipalCase(#"{"Federated":"accounts.google.com"}"#, Fixture.alice, false),
    ]

    @Test("a resource policy's allow applies only to the principals it names", arguments: resourcePrincipalCases)
    func resourcePrincipals(_ testCase: PrincipalCase) throws {
        let policy = try Fixture.policy(
            #"{"Effect":"Allow","Principal":\#(testCase.principal),"Action":"lambda:*","Resource":"*"}"#,
            kind: .resource)
        let decision = Fixture.decide(Fixture.request(testCase.caller, context: testCase.context), resource: policy)
        #expect(decision == (testCase.matches ? .allow : .implicitDeny))
    }

    @Test("an account principal delegates to the identity policies of the account's users")
    func accountDelegates() throws {
        let resource = try Fixture.policy(
            #"{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"lambda:*","Resource":"*"}"#,
            kind: .resource)
        let identity = try Fixture.policy(#"{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"*"}"#)
        #expect(Fixture.decide(Fixture.request(), identity: [identity], resource: resource) == .allow)
        #expect(Fixture.decide(Fixture.request(), resource: resource) == .implicitDeny)
    }

    @Test("a deny naming an account denies every principal of that account")
    func accountDeny() throws {
        let resource = try Fixture.policy(
            #"[{"Effect":"Allow","Principal":"*","Action":"lambda:*","Resource":"*"},"#
                + #"{"Effect":"Deny","Principal":{"AWS":"999999999999"},"Action":"lambda:*","Resource":"*"}]"#,
            kind: .resource)
        let identity = try Fixture.policy(#"{"Effect":"Allow","Action":"lambda:*","Resource":"*"}"#)
        let stranger = Fixture.request(Fixture.stranger)
        #expect(Fixture.decide(stranger, identity: [identity], resource: resource) == .explicitDeny(.resource))
        #expect(Fixture.decide(Fixture.request(Fixture.session), identity: [identity], resource: resource) == .allow)
    }

    @Test("across accounts, the identity policy and the resource policy must both allow")
    func crossAccount() throws {
        let identity = try Fixture.policy(#"{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"*"}"#)
        let byAccount = try Fixture.policy(
            #"{"Effect":"Allow","Principal":{"AWS":"999999999999"},"Action":"lambda:*","Resource":"*"}"#,
            kind: .resource)
        let byOtherAccount = try Fixture.policy(
            #"{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"lambda:*","Resource":"*"}"#,
            kind: .resource)
        let stranger = Fixture.request(Fixture.stranger)
        #expect(Fixture.decide(stranger, identity: [identity], resource: byAccount) == .allow)
        #expect(Fixture.decide(stranger, identity: [identity], resource: byOtherAccount) == .implicitDeny)
        #expect(Fixture.decide(stranger, identity: [identity]) == .implicitDeny)
        #expect(Fixture.decide(stranger, resource: byAccount) == .implicitDeny)
        let noAccountInArn = Fixture.request(Fixture.stranger, resource: "arn:aws:s3:::bucket")
        #expect(Fixture.decide(noAccountInArn, identity: [identity]) == .allow)
    }

    @Test("a trust policy naming an account trusts every principal of that account")
    func trustAccount() throws {
        let trust = try Fixture.policy(
            #"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}"#,
            kind: .trust)
        let role = "arn:aws:iam::123456789012:role/target"
        #expect(Fixture.decide(Fixture.request(action: "sts:AssumeRole", resource: role), resource: trust) == .allow)
        let stranger = Fixture.request(Fixture.stranger, action: "sts:AssumeRole", resource: role)
        #expect(Fixture.decide(stranger, resource: trust) == .implicitDeny)
    }

    @Test("a trust policy for a service admits only calls from that service")
    func trustService() throws {
        let trust = try Fixture.policy(
            #"{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}"#,
            kind: .trust)
        let fromLambda = Fixture.request(
            Fixture.root, action: "sts:AssumeRole", context: ["aws:PrincipalServiceName": ["lambda.amazonaws.com"]])
        #expect(Fixture.decide(fromLambda, resource: trust) == .allow)
        #expect(Fixture.decide(Fixture.request(action: "sts:AssumeRole"), resource: trust) == .implicitDeny)
    }

    @Test("NotPrincipal with deny spares a session only when its account, role and session are all listed")
    func notPrincipalDeny() throws {
        func policy(_ names: [String]) throws -> PolicyDocument {
            let list = names.map { "\"\($0)\"" }.joined(separator: ",")
            return try Fixture.policy(
                #"[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},"#
                    + #"{"Effect":"Deny","NotPrincipal":{"AWS":[\#(list)]},"Action":"*","Resource":"*"}]"#,
                kind: .resource)
        }
        let session = Fixture.session
        let everyLink = try policy([session.arn, session.roleArn ?? "", "arn:aws:iam::123456789012:root"])
        let noAccount = try policy([session.arn, session.roleArn ?? ""])
        #expect(Fixture.decide(Fixture.request(session), resource: everyLink) == .allow)
        #expect(Fixture.decide(Fixture.request(Fixture.otherSession), resource: everyLink) == .explicitDeny(.resource))
        #expect(Fixture.decide(Fixture.request(session), resource: noAccount) == .explicitDeny(.resource))

        let user = try policy([Fixture.alice.arn, "123456789012"])
        #expect(Fixture.decide(Fixture.request(Fixture.alice), resource: user) == .allow)
        #expect(Fixture.decide(Fixture.request(Fixture.bob), resource: user) == .explicitDeny(.resource))
    }

    @Test("NotPrincipal with allow covers every caller not named")
    func notPrincipalAllow() throws {
        let policy = try Fixture.policy(
            #"{"Effect":"Allow","NotPrincipal":{"AWS":"\#(Fixture.bob.arn)"},"Action":"*","Resource":"*"}"#,
            kind: .resource)
        #expect(Fixture.decide(Fixture.request(Fixture.alice), resource: policy) == .allow)
        #expect(Fixture.decide(Fixture.request(Fixture.bob), resource: policy) == .implicitDeny)
    }

    @Test("a resource-policy statement for someone else neither allows nor denies")
    func otherPrincipalsStatement() throws {
        let policy = try Fixture.policy(
            #"{"Effect":"Deny","Principal":{"AWS":"\#(Fixture.bob.arn)"},"Action":"*","Resource":"*"}"#,
            kind: .resource)
        let identity = try Fixture.policy(#"{"Effect":"Allow","Action":"*","Resource":"*"}"#)
        #expect(Fixture.decide(Fixture.request(Fixture.alice), identity: [identity], resource: policy) == .allow)
        let bob = Fixture.request(Fixture.bob)
        #expect(Fixture.decide(bob, identity: [identity], resource: policy) == .explicitDeny(.resource))
    }
}
