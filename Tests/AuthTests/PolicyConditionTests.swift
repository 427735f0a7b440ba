import Testing

@testable import Auth

/// Condition operators, qualifiers and policy variables, each positive case beside its negative twin.
@Suite("Policy conditions")
struct PolicyConditionTests {
    /// `operator` applied to `test:key` with the JSON `value`, against the request's values for the key.
    struct Case: Sendable, CustomTestStringConvertible {
        let condition: String
        let value: String
        let request: [String]?
        let holds: Bool

        init(_ condition: String, _ value: String, _ request: [String]?, _ holds: Bool) {
            self.condition = condition
            self.value = value
            self.request = request
            self.holds = holds
        }

        var testDescription: String {
            "\(condition) \(value) \(holds ? "holds" : "fails") for \(request.map { "\($0)" } ?? "a missing key")"
        }
    }

    /// Whether an allow statement with the condition block `block` applies to a request with `context`.
    static func holds(_ block: String, context: [String: [String]], version: String = "2012-10-17") throws -> Bool {
        let policy = try Fixture.policy(
            #"{"Effect":"Allow","Action":"*","Resource":"*","Condition":\#(block)}"#, version: version)
        return Fixture.decide(Fixture.request(context: context), identity: [policy]) == .allow
    }

    static func check(_ testCase: Case) throws {
        let context = testCase.request.map { ["test:key": $0] } ?? [:]
        let block = #"{"\#(testCase.condition)":{"test:key":\#(testCase.value)}}"#
        #expect(try holds(block, context: context) == testCase.holds)
    }

    static let stringCases: [Case] = [
        Case("StringEquals", #""abc""#, ["abc"], true),
        Case("StringEquals", #""abc""#, ["ABC"], false),
        Case("StringEquals", #""abc""#, nil, false),
        Case("StringEquals", #""a*""#, ["a*"], true),
        Case("StringEquals", #""a*""#, ["abc"], false),
        Case("StringEquals", #"["x","y"]"#, ["y"], true),
        Case("StringEquals", #"["x","y"]"#, ["z"], false),
        Case("StringEquals", #""a""#, ["x", "a"], true),
        Case("StringEquals", #""a""#, ["x", "z"], false),
        Case("StringNotEquals", #""abc""#, ["x"], true),
        Case("StringNotEquals", #""abc""#, ["abc"], false),
        Case("StringNotEquals", #""abc""#, nil, true),
        Case("StringNotEquals", #"["x","y"]"#, ["z"], true),
        Case("StringNotEquals", #"["x","y"]"#, ["y"], false),
        Case("StringNotEquals", #""a""#, ["x", "a"], false),
        Case("StringEqualsIgnoreCase", #""AbC""#, ["abc"], true),
        Case("StringEqualsIgnoreCase", #""AbC""#, ["abd"], false),
        Case("StringNotEqualsIgnoreCase", #""AbC""#, ["x"], true),
        Case("StringNotEqualsIgnoreCase", #""AbC""#, ["ABC"], false),
        Case("StringLike", #""ab*""#, ["abzz"], true),
        Case("StringLike", #""ab*""#, ["xab"], false),
        Case("StringLike", #""a?c""#, ["abc"], true),
        Case("StringLike", #""a?c""#, ["abbc"], false),
        Case("StringLike", #""*""#, [""], true),
        Case("StringLike", #""?""#, [""], false),
        Case("StringNotLike", #""ab*""#, ["x"], true),
        Case("StringNotLike", #""ab*""#, ["abc"], false),
        Case("StringNotLike", #""ab*""#, nil, true),
    ]

    @Test("string operators", arguments: stringCases)
    func strings(_ testCase: Case) throws { try Self.check(testCase) }

    static let numericCases: [Case] = [
        Case("NumericEquals", #""10""#, ["10.0"], true),
        Case("NumericEquals", #""10""#, ["11"], false),
        Case("NumericEquals", #""10""#, ["ten"], false),
        Case("NumericNotEquals", #""10""#, ["11"], true),
        Case("NumericNotEquals", #""10""#, ["10"], false),
        Case("NumericLessThan", #""10""#, ["9.5"], true),
        Case("NumericLessThan", #""10""#, ["10"], false),
        Case("NumericLessThanEquals", "10", ["10"], true),
        Case("NumericLessThanEquals", "10", ["11"], false),
        Case("NumericGreaterThan", #""-1""#, ["0"], true),
        Case("NumericGreaterThan", #""-1""#, ["-1"], false),
        Case("NumericGreaterThanEquals", "10.5", ["10.5"], true),
        Case("NumericGreaterThanEquals", "10.5", ["10.4"], false),
        Case("NumericLessThan", #""10""#, nil, false),
    ]

    @Test("numeric operators", arguments: numericCases)
    func numbers(_ testCase: Case) throws { try Self.check(testCase) }

    static let dateCases: [Case] = [
        Case("DateEquals", #""2020-01-01T00:00:00Z""#, ["1577836800"], true),
        Case("DateEquals", #""2020-01-01T00:00:00Z""#, ["1577836801"], false),
        Case("DateNotEquals", #""2020-01-01T00:00:00Z""#, ["1577836801"], true),
        Case("DateNotEquals", #""2020-01-01T00:00:00Z""#, ["2020-01-01T01:00:00+01:00"], false),
        Case("DateLessThan", #""2020-01-01T00:00:00Z""#, ["2019-12-31T23:59:59Z"], true),
        Case("DateLessThan", #""2020-01-01T00:00:00Z""#, ["2020-01-01T00:00:00Z"], false),
        Case("DateLessThanEquals", #""2020-01-01T00:00:00Z""#, ["2020-01-01T01:00:00+01:00"], true),
        Case("DateLessThanEquals", #""2020-01-01T00:00:00Z""#, ["2020-01-01T00:00:01Z"], false),
        Case("DateGreaterThan", #""2020-01-01""#, ["2020-01-01T00:00:00.5Z"], true),
        Case("DateGreaterThan", #""2020-01-01""#, ["2019-12-31"], false),
        Case("DateGreaterThanEquals", #""1577836800""#, ["2020-01-01T00:00:00Z"], true),
        Case("DateGreaterThanEquals", #""1577836800""#, ["2019-12-31T23:59:59Z"], false),
        Case("DateGreaterThan", #""2020-02""#, ["2020-02-29T12:00:00-05:30"], true),
        Case("DateGreaterThan", #""2020-02""#, ["not a date"], false),
    ]

    @Test("date operators take ISO 8601 or epoch seconds", arguments: dateCases)
    func dates(_ testCase: Case) throws { try Self.check(testCase) }

    static let otherCases: [Case] = [
        Case("Bool", #""true""#, ["true"], true),
        Case("Bool", #""true""#, ["false"], false),
        Case("Bool", "true", ["TRUE"], true),
        Case("Bool", "false", nil, false),
        Case("BinaryEquals", #""QmluYXJ5""#, ["QmluYXJ5"], true),
        Case("BinaryEquals", #""QmluYXJ5""#, ["QmluYXJ6"], false),
        Case("IpAddress", #""203.0.113.0/24""#, ["203.0.113.7"], true),
        Case("IpAddress", #""203.0.113.0/24""#, ["203.0.114.7"], false),
        Case("IpAddress", #""2001:DB8:1234:5678::/64""#, ["2001:db8:1234:5678:abcd::1"], true),
        Case("IpAddress", #""2001:DB8:1234:5678::/64""#, ["2001:db8:1234:5679::1"], false),
        Case("IpAddress", #""10.0.0.1""#, ["10.0.0.1"], true),
        Case("IpAddress", #""10.0.0.1""#, ["10.0.0.2"], false),
        Case("IpAddress", #""10.0.0.0/8""#, ["::ffff:10.1.2.3"], true),
        Case("IpAddress", #""10.0.0.0/8""#, ["::1"], false),
        Case("IpAddress", #""::/0""#, ["fe80::1"], true),
        Case("IpAddress", #""::/0""#, ["10.0.0.1"], false),
        Case("NotIpAddress", #""10.0.0.0/8""#, ["192.168.0.1"], true),
        Case("NotIpAddress", #""10.0.0.0/8""#, ["10.1.1.1"], false),
        Case("ArnEquals", #""arn:aws:s3:::bucket""#, ["arn:aws:s3:::bucket"], true),
        Case("ArnEquals", #""arn:aws:s3:::bucket""#, ["arn:aws:s3:::bucket2"], false),
        Case("ArnLike", #""arn:aws:sns:*:123456789012:topic-*""#, ["arn:aws:sns:us-east-1:123456789012:topic-a"], true),
        Case(
            "ArnLike", #""arn:aws:sns:*:123456789012:topic-*""#, ["arn:aws:sns:us-east-1:999999999999:topic-a"], false),
        Case("ArnLike", #""arn:aws:lambda:*:*:function:*""#, ["arn:aws:lambda:us-east-1:1:function:f:alias"], true),
        Case("ArnLike", #""arn:aws:lambda:*:*:function:*""#, ["arn:aws:lambda:us-east-1:function:f"], false),
        Case("ArnNotEquals", #""arn:aws:s3:::bucket""#, ["arn:aws:s3:::other"], true),
        Case("ArnNotEquals", #""arn:aws:s3:::bucket""#, ["arn:aws:s3:::bucket"], false),
        Case("ArnNotLike", #""arn:aws:s3:::b*""#, nil, true),
        Case("ArnNotLike", #""arn:aws:s3:::b*""#, ["arn:aws:s3:::bucket"], false),
        Case("Null", "true", nil, true),
        Case("Null", "true", ["x"], false),
        Case("Null", #""false""#, ["x"], true),
        Case("Null", #""false""#, nil, false),
        Case("Null", "true", [], true),
    ]

    @Test("Bool, binary, IP address, ARN and Null operators", arguments: otherCases)
    func others(_ testCase: Case) throws { try Self.check(testCase) }

    /// IAM's example: `*` in ArnLike stays within one of the six parts, while StringLike's crosses colons.
    @Test("ArnLike matches ARN parts separately where StringLike matches the whole string")
    func arnPartsVersusString() throws {
        let pattern = #""arn:aws:someservice:*:111122223333:finance/*""#
        let value = ["arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"]
        try Self.check(Case("StringLike", pattern, value, true))
        try Self.check(Case("ArnLike", pattern, value, false))
    }

    static let qualifierCases: [Case] = [
        Case("StringEqualsIfExists", #""a""#, nil, true),
        Case("StringEqualsIfExists", #""a""#, ["b"], false),
        Case("StringEqualsIfExists", #""a""#, ["a"], true),
        Case("NumericLessThanIfExists", "5", nil, true),
        Case("NumericLessThanIfExists", "5", ["6"], false),
        Case("StringNotEqualsIfExists", #""a""#, nil, true),
        Case("StringNotEqualsIfExists", #""a""#, ["a"], false),
        Case("ForAllValues:StringEquals", #"["a","b"]"#, ["a", "b"], true),
        Case("ForAllValues:StringEquals", #"["a","b"]"#, ["a", "c"], false),
        Case("ForAllValues:StringEquals", #"["a","b"]"#, nil, true),
        Case("ForAllValues:StringEquals", #"["a","b"]"#, [], true),
        Case("ForAnyValue:StringEquals", #"["a","b"]"#, ["c", "b"], true),
        Case("ForAnyValue:StringEquals", #"["a","b"]"#, ["c", "d"], false),
        Case("ForAnyValue:StringEquals", #"["a","b"]"#, nil, false),
        Case("ForAnyValue:StringEquals", #"["a","b"]"#, [], false),
        Case("ForAnyValue:StringEqualsIfExists", #""a""#, nil, true),
        Case("ForAnyValue:StringEqualsIfExists", #""a""#, ["b"], false),
        Case("ForAllValues:StringNotLike", #""key1*""#, ["key2:audit"], true),
        Case("ForAllValues:StringNotLike", #""key1*""#, ["key1:legal"], false),
        Case("ForAllValues:StringNotLike", #""key1*""#, ["key2:audit", "key1:hr"], false),
        Case("ForAllValues:StringNotLike", #""key1*""#, nil, true),
        Case("ForAnyValue:StringNotEquals", #""a""#, ["a", "b"], true),
        Case("ForAnyValue:StringNotEquals", #""a""#, ["a"], false),
        Case("ForAnyValue:NumericGreaterThan", "5", ["1", "9"], true),
        Case("ForAllValues:NumericGreaterThan", "5", ["1", "9"], false),
    ]

    @Test("IfExists and the ForAllValues and ForAnyValue set qualifiers", arguments: qualifierCases)
    func qualifiers(_ testCase: Case) throws { try Self.check(testCase) }

    @Test("all operators and all keys of a block must hold")
    func blockIsConjunction() throws {
        let block = #"{"StringEquals":{"a:x":"1","a:y":"2"},"Bool":{"aws:SecureTransport":"true"}}"#
        #expect(try Self.holds(block, context: ["a:x": ["1"], "a:y": ["2"], "aws:SecureTransport": ["true"]]))
        #expect(try !Self.holds(block, context: ["a:x": ["1"], "a:y": ["3"], "aws:SecureTransport": ["true"]]))
        #expect(try !Self.holds(block, context: ["a:x": ["1"], "a:y": ["2"], "aws:SecureTransport": ["false"]]))
    }

    @Test("condition keys are found without regard to case")
    func keyCase() throws {
        let block = #"{"StringEquals":{"aws:SourceArn":"arn:aws:s3:::b"}}"#
        #expect(try Self.holds(block, context: ["AWS:SOURCEARN": ["arn:aws:s3:::b"]]))
        #expect(try !Self.holds(block, context: ["AWS:SOURCEARN": ["arn:aws:s3:::c"]]))
        #expect(try !Self.holds(block, context: ["aws:SourceAccount": ["arn:aws:s3:::b"]]))
    }

    @Test("principal keys are derived from the principal unless the request gives them")
    func derivedKeys() throws {
        func allows(_ block: String, _ principal: Principal, _ context: [String: [String]] = [:]) throws -> Bool {
            let policy = try Fixture.policy(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":\#(block)}"#)
            return Fixture.decide(Fixture.request(principal, context: context), identity: [policy]) == .allow
        }
        let roleArn = #"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/deployer"}}"#
        #expect(try allows(roleArn, Fixture.session))
        #expect(try !allows(roleArn, Fixture.alice))
        let username = #"{"StringEquals":{"aws:username":"alice"}}"#
        #expect(try allows(username, Fixture.alice))
        #expect(try !allows(username, Fixture.bob))
        #expect(try !allows(username, Fixture.bob, ["aws:UserName": ["bob"]]))
        #expect(try allows(username, Fixture.bob, ["aws:UserName": ["alice"]]))
        let type = #"{"StringEquals":{"aws:PrincipalType":"AssumedRole","aws:PrincipalAccount":"123456789012"}}"#
        #expect(try allows(type, Fixture.session))
        #expect(try !allows(type, Fixture.root))
    }
}

/// Policy variables in resources and condition values, as the `2012-10-17` version defines them.
@Suite("Policy variables")
struct PolicyVariableTests {
    static func allows(
        resource pattern: String, for principal: Principal, resource: String, version: String? = "2012-10-17"
    ) throws -> Bool {
        let policy = try Fixture.policy(
            #"{"Effect":"Allow","Action":"s3:*","Resource":"\#(pattern)"}"#, version: version)
        let request = Fixture.request(principal, action: "s3:GetObject", resource: resource)
        return Fixture.decide(request, identity: [policy]) == .allow
    }

    @Test("a variable in a resource is replaced by the request's value")
    func resourceVariable() throws {
        let pattern = "arn:aws:s3:::home/${aws:username}/*"
        #expect(try Self.allows(resource: pattern, for: Fixture.alice, resource: "arn:aws:s3:::home/alice/notes"))
        #expect(try !Self.allows(resource: pattern, for: Fixture.alice, resource: "arn:aws:s3:::home/bob/notes"))
    }

    @Test("a variable without a value matches nothing")
    func unresolved() throws {
        let pattern = "arn:aws:s3:::home/${aws:username}/*"
        let literal = "arn:aws:s3:::home/${aws:username}/x"
        #expect(try !Self.allows(resource: pattern, for: Fixture.session, resource: literal))
        #expect(try !Self.allows(resource: pattern, for: Fixture.session, resource: "arn:aws:s3:::home//x"))
    }

    @Test("a default stands in for a missing value, with '' for a quote")
    func defaults() throws {
        let pattern = "arn:aws:s3:::home/${aws:username, 'anonymous'}/*"
        #expect(try Self.allows(resource: pattern, for: Fixture.session, resource: "arn:aws:s3:::home/anonymous/x"))
        #expect(try !Self.allows(resource: pattern, for: Fixture.alice, resource: "arn:aws:s3:::home/anonymous/x"))
        let quoted = "arn:aws:s3:::${ test:missing , 'it''s' }"
        #expect(try Self.allows(resource: quoted, for: Fixture.alice, resource: "arn:aws:s3:::it's"))
        #expect(try !Self.allows(resource: quoted, for: Fixture.alice, resource: "arn:aws:s3:::it''s"))
    }

    @Test("${*}, ${?} and ${$} stand for the literal characters")
    func escapes() throws {
        #expect(try Self.allows(resource: "arn:aws:s3:::b/${*}", for: Fixture.alice, resource: "arn:aws:s3:::b/*"))
        #expect(try !Self.allows(resource: "arn:aws:s3:::b/${*}", for: Fixture.alice, resource: "arn:aws:s3:::b/x"))
        #expect(try Self.allows(resource: "arn:aws:s3:::b/${?}", for: Fixture.alice, resource: "arn:aws:s3:::b/?"))
        #expect(try !Self.allows(resource: "arn:aws:s3:::b/${?}", for: Fixture.alice, resource: "arn:aws:s3:::b/x"))
        #expect(try Self.allows(resource: "arn:aws:s3:::b/${$}1", for: Fixture.alice, resource: "arn:aws:s3:::b/$1"))
        #expect(
            try !Self.allows(resource: "arn:aws:s3:::b/${$}1", for: Fixture.alice, resource: "arn:aws:s3:::b/${$}1"))
    }

    @Test("with version 2008-10-17 or no version, ${…} is literal text", arguments: ["2008-10-17", nil] as [String?])
    func legacyVersion(_ version: String?) throws {
        let pattern = "arn:aws:s3:::b/${aws:username}"
        let literal = "arn:aws:s3:::b/${aws:username}"
        #expect(try Self.allows(resource: pattern, for: Fixture.alice, resource: literal, version: version))
        #expect(
            try !Self.allows(resource: pattern, for: Fixture.alice, resource: "arn:aws:s3:::b/alice", version: version))
    }

    @Test("a NotResource entry whose variable has no value makes the statement not apply")
    func unresolvedNotResource() throws {
        let policy = try Fixture.policy(#"{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::${aws:username}"}"#)
        let request = Fixture.request(Fixture.session, resource: "arn:aws:s3:::other")
        #expect(Fixture.decide(request, identity: [policy]) == .implicitDeny)
        #expect(Fixture.decide(Fixture.request(Fixture.alice), identity: [policy]) == .explicitDeny(.identity))
    }

    @Test("variables in condition values, which fail the test when they have no value")
    func conditionVariables() throws {
        let prefix = #"{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}"#
        #expect(try PolicyConditionTests.holds(prefix, context: ["s3:prefix": ["home/alice/docs"]]))
        #expect(try !PolicyConditionTests.holds(prefix, context: ["s3:prefix": ["home/bob/docs"]]))
        let negated = #"{"StringNotEquals":{"test:owner":"${test:caller}"}}"#
        #expect(try PolicyConditionTests.holds(negated, context: ["test:owner": ["a"], "test:caller": ["b"]]))
        #expect(try !PolicyConditionTests.holds(negated, context: ["test:owner": ["a"]]))
        #expect(try !PolicyConditionTests.holds(negated, context: ["test:owner": ["a"], "test:caller": ["b", "c"]]))
        let arn = #"{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::${aws:username}-*"}}"#
        #expect(try PolicyConditionTests.holds(arn, context: ["aws:SourceArn": ["arn:aws:s3:::alice-logs"]]))
        #expect(try !PolicyConditionTests.holds(arn, context: ["aws:SourceArn": ["arn:aws:s3:::bob-logs"]]))
    }

    @Test("with version 2008-10-17, condition values are literal too")
    func legacyConditionValues() throws {
        let block = #"{"StringEquals":{"test:key":"${aws:username}"}}"#
        #expect(
            try PolicyConditionTests.holds(block, context: ["test:key": ["${aws:username}"]], version: "2008-10-17"))
        #expect(try !PolicyConditionTests.holds(block, context: ["test:key": ["alice"]], version: "2008-10-17"))
    }
}
