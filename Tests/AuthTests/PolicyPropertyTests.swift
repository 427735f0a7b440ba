import Testing

@testable import Auth

/// SplitMix64: a tiny, fast generator whose sequence depends only on its seed, so failures replay.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    mutating func pick<Element>(_ choices: [Element]) -> Element {
        choices[Int(next() % UInt64(choices.count))]
    }

    mutating func chance(_ percent: UInt64) -> Bool { next() % 100 < percent }
}

/// Random policies and requests drawn from small pools, so that statements often apply.
struct Scenario {
    var identity: [PolicyDocument]
    var resource: PolicyDocument?
    var request: AuthorizationRequest

    var decision: Decision { Fixture.decide(request, identity: identity, resource: resource) }

    static let actions = [
        "lambda:InvokeFunction", "lambda:Get*", "lambda:*", "*", "s3:GetObject", "lambda:?nvoke*", "iam:*",
        "LAMBDA:invokefunction",
    ]
    static let resources = [
        "*", Fixture.function, "arn:aws:lambda:*:123456789012:function:*", "arn:aws:s3:::b/*",
        "arn:aws:lambda:us-east-1:123456789012:function:${aws:username}", "arn:aws:lambda:*",
    ]
    static let conditions = [
        #"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
        #"{"Bool":{"aws:SecureTransport":"true"}}"#,
        #"{"StringNotEqualsIfExists":{"aws:username":"bob"}}"#,
        #"{"ForAnyValue:StringLike":{"aws:TagKeys":["team*"]}}"#,
        #"{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}"#,
        #"{"Null":{"aws:SourceIp":"true"}}"#,
        #"{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}"#,
        #"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:*"}}"#,
    ]
    static let principals = [
        #""*""#, #"{"AWS":"123456789012"}"#, #"{"AWS":"\#(Fixture.alice.arn)"}"#,
        #"{"AWS":"\#(Fixture.session.roleArn ?? "")"}"#, #"{"AWS":"\#(Fixture.session.arn)"}"#,
        #"{"Service":"s3.amazonaws.com"}"#, #"{"AWS":["\#(Fixture.stranger.arn)","\#(Fixture.bob.arn)"]}"#,
    ]
    static let callers = [Fixture.root, Fixture.alice, Fixture.bob, Fixture.session, Fixture.stranger]
    static let requestActions = ["lambda:InvokeFunction", "lambda:GetFunction", "s3:GetObject", "iam:CreateUser"]
    static let requestResources = [
        Fixture.function, "arn:aws:lambda:us-east-1:123456789012:function:alice", "arn:aws:s3:::b/k", "*",
    ]

    static func random(_ rng: inout SplitMix64) throws -> Scenario {
        var identity: [PolicyDocument] = []
        for _ in 0..<(rng.next() % 4) { identity.append(try policy(.identity, &rng)) }
        let resource = rng.chance(60) ? try policy(.resource, &rng) : nil
        return Scenario(identity: identity, resource: resource, request: request(&rng))
    }

    static func policy(_ kind: PolicyKind, _ rng: inout SplitMix64) throws -> PolicyDocument {
        let count = 1 + Int(rng.next() % 4)
        let statements = (0..<count).map { _ in statement(kind, effect: rng.chance(70) ? "Allow" : "Deny", &rng) }
        return try Fixture.policy("[" + statements.joined(separator: ",") + "]", kind: kind)
    }

    static func statement(_ kind: PolicyKind, effect: String, _ rng: inout SplitMix64) -> String {
        var members = [#""Effect":"\#(effect)""#]
        let action = rng.pick(actions)
        members.append(rng.chance(80) ? #""Action":"\#(action)""# : #""NotAction":"\#(action)""#)
        let resource = rng.pick(resources)
        members.append(rng.chance(80) ? #""Resource":"\#(resource)""# : #""NotResource":"\#(resource)""#)
        if kind == .resource {
            let principal = rng.pick(principals)
            members.append(rng.chance(85) ? #""Principal":\#(principal)"# : #""NotPrincipal":\#(principal)"#)
        }
        if rng.chance(40) { members.append(#""Condition":\#(rng.pick(conditions))"#) }
        return "{" + members.joined(separator: ",") + "}"
    }

    static func request(_ rng: inout SplitMix64) -> AuthorizationRequest {
        var context: [String: [String]] = ["aws:CurrentTime": [rng.pick(["2024-05-01T00:00:00Z", "2031-01-01"])]]
        if rng.chance(70) { context["aws:SourceIp"] = [rng.pick(["10.1.2.3", "192.168.1.1"])] }
        if rng.chance(70) { context["aws:SecureTransport"] = [rng.pick(["true", "false"])] }
        if rng.chance(60) { context["aws:TagKeys"] = rng.pick([["team"], ["team", "env"], ["other"], []]) }
        if rng.chance(20) { context["aws:PrincipalServiceName"] = ["s3.amazonaws.com"] }
        return Fixture.request(
            rng.pick(callers), action: rng.pick(requestActions), resource: rng.pick(requestResources),
            context: context)
    }

    /// The scenario with one statement added to, or removed from, one of its policies.
    func changing(policy index: Int, _ change: (inout [PolicyStatement]) -> Void) -> Scenario {
        var changed = self
        if index < identity.count {
            change(&changed.identity[index].statements)
        } else if var resource {
            change(&resource.statements)
            changed.resource = resource
        }
        return changed
    }

    var policyCount: Int { identity.count + (resource == nil ? 0 : 1) }

    func kind(ofPolicy index: Int) -> PolicyKind { index < identity.count ? .identity : .resource }
}

@Suite("Policy properties")
struct PolicyPropertyTests {
    static let iterations = 400

    @Test("adding a Deny statement never turns a deny into an allow, nor an allow into an implicit deny")
    func addingDeny() throws {
        var rng = SplitMix64(seed: 0x5EED_0001)
        var changedOutcomes = 0
        for _ in 0..<Self.iterations {
            let scenario = try Scenario.random(&rng)
            guard scenario.policyCount > 0 else { continue }
            let index = Int(rng.next() % UInt64(scenario.policyCount))
            let kind = scenario.kind(ofPolicy: index)
            let deny = try Fixture.policy("[" + Scenario.statement(kind, effect: "Deny", &rng) + "]", kind: kind)
            let after = scenario.changing(policy: index) { $0.append(contentsOf: deny.statements) }.decision
            let before = scenario.decision
            if before != .allow { #expect(after != .allow, "\(scenario.request)") }
            if before == .allow { #expect(after != .implicitDeny) }
            if case .explicitDeny = before { #expect(after != .implicitDeny) }
            if before != after { changedOutcomes += 1 }
        }
        #expect(changedOutcomes > 10, "the generator should make added denies matter")
    }

    @Test("removing an Allow statement never grants access")
    func removingAllow() throws {
        var rng = SplitMix64(seed: 0x5EED_0002)
        var changedOutcomes = 0
        for _ in 0..<Self.iterations {
            let scenario = try Scenario.random(&rng)
            guard scenario.policyCount > 0 else { continue }
            let index = Int(rng.next() % UInt64(scenario.policyCount))
            let after = scenario.changing(policy: index) { statements in
                let allows = statements.indices.filter { statements[$0].effect == .allow }
                if !allows.isEmpty { statements.remove(at: rng.pick(allows)) }
            }.decision
            let before = scenario.decision
            if after == .allow { #expect(before == .allow, "\(scenario.request)") }
            if case .explicitDeny = before { #expect(before == after) }
            if before != after { changedOutcomes += 1 }
        }
        #expect(changedOutcomes > 10, "the generator should make removed allows matter")
    }

    @Test("the decision does not depend on the order of statements or of identity policies")
    func orderIndependence() throws {
        var rng = SplitMix64(seed: 0x5EED_0003)
        var outcomes: [String: Int] = [:]
        for _ in 0..<Self.iterations {
            let scenario = try Scenario.random(&rng)
            var shuffled = scenario
            shuffled.identity = scenario.identity.map { policy in
                var policy = policy
                policy.statements.shuffle(using: &rng)
                return policy
            }
            shuffled.identity.shuffle(using: &rng)
            shuffled.resource?.statements.shuffle(using: &rng)
            #expect(shuffled.decision == scenario.decision, "\(scenario.request)")
            outcomes["\(scenario.decision)", default: 0] += 1
        }
        #expect(outcomes.count == 4, "every kind of decision should occur: \(outcomes)")
    }

    @Test("hasStatement agrees with the decision")
    func hasStatementAgrees() throws {
        var rng = SplitMix64(seed: 0x5EED_0004)
        for _ in 0..<Self.iterations {
            let scenario = try Scenario.random(&rng)
            let policies = scenario.identity + (scenario.resource.map { [$0] } ?? [])
            func has(_ effect: PolicyEffect, in policies: [PolicyDocument]) -> Bool {
                policies.contains { PolicyEvaluator.hasStatement(in: $0, effect: effect, matching: scenario.request) }
            }
            switch scenario.decision {
            case .allow:
                #expect(has(.allow, in: policies) && !has(.deny, in: policies))
            case .explicitDeny(.identity):
                #expect(has(.deny, in: scenario.identity))
            case .explicitDeny(.resource):
                #expect(!has(.deny, in: scenario.identity) && has(.deny, in: policies))
            case .implicitDeny:
                #expect(!has(.deny, in: policies))
                let resourceAllows = scenario.resource.map { has(.allow, in: [$0]) } ?? false
                let crossAccount =
                    scenario.request.principal.accountId != Fixture.account
                    && scenario.request.resource.hasPrefix("arn:aws:lambda:")
                if crossAccount {
                    #expect(!(has(.allow, in: scenario.identity) && resourceAllows))
                } else {
                    #expect(!has(.allow, in: policies))
                }
            }
        }
    }
}
