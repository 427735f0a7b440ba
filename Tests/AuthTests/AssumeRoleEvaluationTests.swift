import Testing

@testable import Auth

/// `sts:AssumeRole` within one account: the trust policy decides with the caller's identity policies.
@Suite("AssumeRole evaluation")
struct AssumeRoleEvaluationTests {
    static let role = "arn:aws:iam::123456789012:role/deployer"

    static func trust(_ principal: String, effect: String = "Allow") throws -> PolicyDocument {
        try Fixture.policy(
            #"[{"Effect":"\#(effect)","Principal":\#(principal),"Action":"sts:AssumeRole"}]"#, kind: .trust)
    }

    static func decide(trust: PolicyDocument, identity: [PolicyDocument] = []) -> Decision {
        PolicyEvaluator.evaluateAssumeRole(
            Fixture.request(action: "sts:AssumeRole", resource: role), identityPolicies: identity, trustPolicy: trust)
    }

    static let allowAssume = #"[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]"#

    @Test("a trust policy naming the caller is enough; naming another user is not")
    func namedCaller() throws {
        #expect(Self.decide(trust: try Self.trust(#"{"AWS":"arn:aws:iam::123456789012:user/alice"}"#)) == .allow)
        #expect(
            Self.decide(trust: try Self.trust(#"{"AWS":"arn:aws:iam::123456789012:user/bob"}"#)) == .implicitDeny)
        #expect(Self.decide(trust: try Self.trust(#"{"AWS":"*"}"#)) == .allow)
    }

    @Test("a trust policy naming the account delegates to the caller's identity policies")
    func accountDelegates() throws {
        let trust = try Self.trust(#"{"AWS":"123456789012"}"#)
        #expect(Self.decide(trust: trust) == .implicitDeny)
        #expect(Self.decide(trust: trust, identity: [try Fixture.policy(Self.allowAssume)]) == .allow)
    }

    @Test("identity permission alone is not enough when the trust policy does not cover the caller")
    func identityAloneIsNotEnough() throws {
        let trust = try Self.trust(#"{"Service":"lambda.amazonaws.com"}"#)
        #expect(Self.decide(trust: trust, identity: [try Fixture.policy(Self.allowAssume)]) == .implicitDeny)
    }

    @Test("a deny in the trust policy or in an identity policy refuses")
    func denies() throws {
        let named = #"{"AWS":"arn:aws:iam::123456789012:user/alice"}"#
        #expect(Self.decide(trust: try Self.trust(named, effect: "Deny")) == .explicitDeny(.resource))
        let deny = try Fixture.policy(#"[{"Effect":"Deny","Action":"sts:*","Resource":"*"}]"#)
        #expect(Self.decide(trust: try Self.trust(named), identity: [deny]) == .explicitDeny(.identity))
    }
}
