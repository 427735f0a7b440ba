import Testing

@testable import Auth

@Suite("Policy documents")
struct PolicyDocumentTests {
    struct Malformed: Sendable, CustomTestStringConvertible {
        let json: String
        let kind: PolicyKind
        let message: String

        init(_ json: String, _ kind: PolicyKind = .identity, _ message: String) {
            self.json = json
            self.kind = kind
            self.message = message
        }

        var testDescription: String { "\(kind): \(message)" }
    }

    /// A statement body around `extra` members, for the cases below.
    static func document(_ statement: String) -> String {
        #"{"Version":"2012-10-17","Statement":[\#(statement)]}"#
    }

    static let allowAll = #""Effect":"Allow","Action":"*","Resource":"*""#

    static let malformed: [Malformed] = [
        Malformed("not json", .identity, "Syntax errors in policy."),
        Malformed("[]", .identity, "Syntax errors in policy."),
        Malformed(#"{"Version":"2012-10-17"}"#, .identity, "Syntax errors in policy."),
        Malformed(#"{"Version":"2012-10-17","Statement":[]}"#, .identity, "Syntax errors in policy."),
        Malformed(#"{"Version":"2012-10-17","Statement":["x"]}"#, .identity, "Syntax errors in policy."),
        Malformed(
            #"{"Version":"2012-10-17","Extra":1,"Statement":{\#(allowAll)}}"#, .identity, "Syntax errors in policy."),
        Malformed(
            #"{"Version":"2020-01-01","Statement":{\#(allowAll)}}"#, .identity, "The policy failed legacy parsing"),
        Malformed(document(#"{"Action":"*","Resource":"*"}"#), .identity, "Missing required field Effect"),
        Malformed(document(#"{"Effect":"allow","Action":"*","Resource":"*"}"#), .identity, "Invalid effect: allow"),
        Malformed(document(#"{"Effect":"Allow","Resource":"*"}"#), .identity, "Policy statement must contain actions."),
        Malformed(
            document(#"{"Effect":"Allow","Action":[],"Resource":"*"}"#), .identity,
            "Policy statement must contain actions."),
        Malformed(document(#"{"Effect":"Allow","Action":5,"Resource":"*"}"#), .identity, "Syntax errors in policy."),
        Malformed(document(#"{"Effect":"Allow","Action":"*"}"#), .identity, "Policy statement must contain resources."),
        Malformed(
            document(#"{"Effect":"Allow","Principal":"*","Resource":"*"}"#), .resource,
            "Missing required field Action"),
        Malformed(
            document(#"{"Effect":"Allow","Principal":"*","Action":"*"}"#), .resource,
            "Missing required field Resource"),
        Malformed(
            document(#"{\#(allowAll),"Principal":"*"}"#), .identity, "Policy document should not specify a principal."),
        Malformed(
            document(#"{\#(allowAll),"NotPrincipal":{"AWS":"123456789012"}}"#), .identity,
            "Policy document should not specify a principal."),
        Malformed(document(#"{\#(allowAll)}"#), .resource, "Missing required field Principal"),
        Malformed(
            document(#"{"Effect":"Allow","Action":"sts:AssumeRole"}"#), .trust, "Missing required field Principal"),
        Malformed(
            document(#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}"#), .trust,
            "Has prohibited field Resource"),
        Malformed(
            document(#"{\#(allowAll),"NotAction":"s3:*"}"#), .identity,
            "Statement must not contain both Action and NotAction."),
        Malformed(
            document(#"{\#(allowAll),"NotResource":"*"}"#), .identity,
            "Statement must not contain both Resource and NotResource."),
        Malformed(
            document(#"{\#(allowAll),"Principal":"*","NotPrincipal":"*"}"#), .resource,
            "Statement must not contain both Principal and NotPrincipal."),
        Malformed(
            document(#"{"Effect":"Allow","Action":"lambdaInvoke","Resource":"*"}"#), .identity,
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        Malformed(
            document(#"{"Effect":"Allow","Action":"lam bda:Invoke","Resource":"*"}"#), .identity,
            "Vendor lam bda is not valid"),
        Malformed(
            document(#"{"Effect":"Allow","Action":"*","Resource":"bucket"}"#), .identity,
            #"Resource bucket must be in ARN format or "*"."#),
        Malformed(
            document(#"{\#(allowAll),"Sid":"A"},{\#(allowAll),"Sid":"A"}"#), .identity,
            "Statement IDs (SID) in a single policy must be unique."),
        Malformed(
            document(#"{\#(allowAll),"Sid":"allow-all"}"#), .identity,
            "Statement IDs (SID) must be alpha-numeric. "
                + "Check that your input satisfies the regular expression [0-9A-Za-z]*"),
        Malformed(document(#"{\#(allowAll),"Effects":"Allow"}"#), .identity, "Syntax errors in policy."),
        Malformed(document(#"{\#(allowAll),"Sid":1}"#), .identity, "Syntax errors in policy."),
        Malformed(
            document(#"{\#(allowAll),"Principal":{"AWS":"bob"}}"#), .resource,
            #"Invalid principal in policy: "AWS":"bob""#),
        Malformed(
            document(#"{\#(allowAll),"Principal":{"AWS":"arn:aws:iam::123456789012:group/admins"}}"#), .resource,
            #"Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:group/admins""#),
        Malformed(
            document(#"{\#(allowAll),"Principal":{"Group":"x"}}"#), .resource,
            #"Invalid principal in policy: "Group""#),
        Malformed(
            document(#"{\#(allowAll),"Principal":{}}"#), .resource,
            "Missing required field Principal cannot be empty!"),
        Malformed(document(#"{\#(allowAll),"Principal":"bob"}"#), .resource, #"Invalid principal in policy: "bob""#),
        Malformed(
            document(#"{\#(allowAll),"Condition":{"StringEqualz":{"a:b":"c"}}}"#), .identity,
            "Invalid Condition type : StringEqualz"),
        Malformed(
            document(#"{\#(allowAll),"Condition":{"NullIfExists":{"a:b":"true"}}}"#), .identity,
            "Invalid Condition type : NullIfExists"),
        Malformed(
            document(#"{\#(allowAll),"Condition":{"ForAnyValue:Null":{"a:b":"true"}}}"#), .identity,
            "Invalid Condition type : ForAnyValue:Null"),
        Malformed(
            document(#"{\#(allowAll),"Condition":{"StringEquals":{"SourceIp":"c"}}}"#), .identity,
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        Malformed(
            document(#"{\#(allowAll),"Condition":{"NumericEquals":{"a:b":"ten"}}}"#), .identity,
            #"Invalid value for NumericEquals on a:b: "ten" is not a number"#),
        Malformed(
            document(#"{\#(allowAll),"Condition":{"DateLessThan":{"a:b":"yesterday"}}}"#), .identity,
            #"Invalid value for DateLessThan on a:b: "yesterday" is not an ISO 8601 date or epoch seconds"#),
        Malformed(
            document(#"{\#(allowAll),"Condition":{"IpAddress":{"a:b":"10.0.0.0/33"}}}"#), .identity,
            #"Invalid value for IpAddress on a:b: "10.0.0.0/33" is not an IP address or CIDR block"#),
        Malformed(
            document(#"{\#(allowAll),"Condition":{"BinaryEquals":{"a:b":"!!"}}}"#), .identity,
            #"Invalid value for BinaryEquals on a:b: "!!" is not base64"#),
        Malformed(
            document(#"{\#(allowAll),"Condition":{"Null":{"a:b":"maybe"}}}"#), .identity,
            #"Invalid value for Null on a:b: "maybe" is not true or false"#),
        Malformed(document(#"{\#(allowAll),"Condition":{"StringEquals":"x"}}"#), .identity, "Syntax errors in policy."),
        Malformed(
            document(#"{\#(allowAll),"Condition":{"StringEquals":{"a:b":null}}}"#), .identity,
            "Syntax errors in policy."),
    ]

    @Test("malformed documents are refused with IAM's message", arguments: malformed)
    func refused(_ testCase: Malformed) {
        #expect(throws: MalformedPolicy(message: testCase.message)) {
            try PolicyDocument.parse(testCase.json, kind: testCase.kind)
        }
    }

    struct WellFormed: Sendable, CustomTestStringConvertible {
        let json: String
        let kind: PolicyKind
        let testDescription: String

        init(_ description: String, _ json: String, _ kind: PolicyKind = .identity) {
            self.json = json
            self.kind = kind
            testDescription = description
        }
    }

    static let wellFormed: [WellFormed] = [
        WellFormed("a lone statement object", #"{"Version":"2012-10-17","Statement":{\#(allowAll)}}"#),
        WellFormed("no version", #"{"Statement":[{\#(allowAll)}]}"#),
        WellFormed("version 2008-10-17 and an Id", #"{"Version":"2008-10-17","Id":"x","Statement":[{\#(allowAll)}]}"#),
        WellFormed("distinct Sids", document(#"{\#(allowAll),"Sid":"A"},{\#(allowAll),"Sid":"B"}"#)),
        WellFormed(
            "a Lambda-style Sid in a resource policy", document(#"{\#(allowAll),"Sid":"s3-invoke_1","Principal":"*"}"#),
            .resource),
        WellFormed("an action in an array", document(#"{"Effect":"Deny","Action":["lambda:*"],"Resource":["*"]}"#)),
        WellFormed("NotAction and NotResource", document(#"{"Effect":"Deny","NotAction":"iam:*","NotResource":"*"}"#)),
        WellFormed(
            "a principal in a resource policy", document(#"{\#(allowAll),"Principal":{"AWS":"123456789012"}}"#),
            .resource),
        WellFormed(
            "a trust policy without Resource",
            document(#"{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}"#),
            .trust),
        WellFormed(
            "NotPrincipal", document(#"{\#(allowAll),"NotPrincipal":{"AWS":["\#(Fixture.alice.arn)"]}}"#), .resource),
        WellFormed(
            "every principal type",
            document(
                #"{\#(allowAll),"Principal":{"AWS":["*","\#(Fixture.session.arn)"],"Service":"s3.amazonaws.com","#
                    + #""Federated":"accounts.google.com","CanonicalUser":"79a59df9"}}"#),
            .resource),
        WellFormed(
            "condition values as numbers, booleans and lists",
            document(
                #"{\#(allowAll),"Condition":{"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true},"#
                    + #""ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a*","b"]},"#
                    + #""Null":{"aws:TokenIssueTime":false}}}"#
            )),
    ]

    @Test("well-formed documents parse", arguments: wellFormed)
    func accepted(_ testCase: WellFormed) throws {
        let document = try PolicyDocument.parse(testCase.json, kind: testCase.kind)
        #expect(!document.statements.isEmpty)
        #expect(document.kind == testCase.kind)
    }

    @Test("the parsed statement exposes its elements")
    func elements() throws {
        let json = #"""
            {"Version":"2012-10-17","Statement":[{"Sid":"Invoke","Effect":"Allow",
             "Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:role/r"],"Service":"s3.amazonaws.com"},
             "Action":["lambda:InvokeFunction","lambda:Get*"],"Resource":"arn:aws:lambda:*:*:function:f",
             "Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::b"},"NumericLessThan":{"a:n":[1,2.5]}}}]}
            """#
        let document = try PolicyDocument.parse(json, kind: .resource)
        #expect(document.version == "2012-10-17")
        let statement = try #require(document.statements.first)
        #expect(statement.sid == "Invoke")
        #expect(statement.effect == .allow)
        #expect(statement.actions == ["lambda:InvokeFunction", "lambda:Get*"])
        #expect(statement.notActions.isEmpty)
        #expect(statement.resources == ["arn:aws:lambda:*:*:function:f"])
        #expect(statement.notResources.isEmpty)
        #expect(
            statement.principals == [
                .account("123456789012"), .arn("arn:aws:iam::123456789012:role/r"), .service("s3.amazonaws.com"),
            ])
        #expect(statement.notPrincipals.isEmpty)
        #expect(statement.conditions.map(\.operatorName) == ["ArnLike", "NumericLessThan"])
        #expect(statement.conditions.map(\.values) == [["arn:aws:s3:::b"], ["1", "2.5"]])
    }

    @Test("the account root ARN and the bare account id are the same principal")
    func accountForms() throws {
        let forms = [#""123456789012""#, #""arn:aws:iam::123456789012:root""#]
        for form in forms {
            let document = try PolicyDocument.parse(
                Self.document(#"{\#(Self.allowAll),"Principal":{"AWS":\#(form)}}"#), kind: .resource)
            #expect(document.statements.first?.principals == [.account("123456789012")])
        }
        let trust = #"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}"#
        let star = try PolicyDocument.parse(Self.document(trust), kind: .trust)
        #expect(star.statements.first?.principals == [.anyone])
    }

    @Test("every operator IAM documents parses, with IfExists and set qualifiers")
    func operatorNames() {
        let names = [
            "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike",
            "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
            "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals", "DateNotEquals", "DateLessThan",
            "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress",
            "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
        ]
        for name in names {
            #expect(ConditionOperator(name) != nil, "\(name)")
            #expect(ConditionOperator(name + "IfExists")?.ifExists == true, "\(name)IfExists")
            #expect(ConditionOperator("ForAllValues:" + name)?.qualifier == .forAllValues)
            #expect(ConditionOperator("ForAnyValue:" + name + "IfExists")?.qualifier == .forAnyValue)
            #expect(ConditionOperator(name.lowercased()) == nil, "operator names are case-sensitive")
        }
        #expect(ConditionOperator("Null") != nil)
        #expect(ConditionOperator("StringEqualsIfExistsIfExists") == nil)
        #expect(ConditionOperator("ForAllValues:ForAnyValue:StringEquals") == nil)
    }
}

/// The matchers and value parsers underneath the evaluator.
@Suite("Policy matching primitives")
struct PolicyPrimitiveTests {
    @Test("glob patterns backtrack across repeated fragments")
    func globs() {
        func matches(_ pattern: String, _ text: String) -> Bool {
            PolicyPattern(pattern, wildcards: true, variables: false).matches(text, resolver: NoVariables()) == true
        }
        #expect(matches("a*b*c", "aXbYbZc"))
        #expect(!matches("a*b*c", "aXbYbZ"))
        #expect(matches("*ab", "aab"))
        #expect(!matches("*ab", "aba"))
        #expect(matches("**", ""))
        #expect(!matches("?*", ""))
        #expect(matches("a*a*a", "aaa"))
        #expect(!matches("a*a*a", "aa"))
        #expect(matches("日*本", "日x本"))
        #expect(!matches("日?本", "日xx本"))
    }

    @Test("dates parse to epoch seconds")
    func dates() {
        #expect(PolicyDate.parse("1970-01-01T00:00:00Z") == 0)
        #expect(PolicyDate.parse("2000-03-01") == 951_868_800)
        #expect(PolicyDate.parse("2024-02-29T23:59:59.25Z") == 1_709_251_199.25)
        #expect(PolicyDate.parse("2020-01-01T05:30:00+05:30") == 1_577_836_800)
        #expect(PolicyDate.parse("1577836800") == 1_577_836_800)
        #expect(PolicyDate.parse("1969-12-31") == -86_400)
        #expect(PolicyDate.parse("2023-02-29") == nil)
        #expect(PolicyDate.parse("2020-13-01") == nil)
        #expect(PolicyDate.parse("2020-01-01T24:00:00Z") == nil)
        #expect(PolicyDate.parse("2020-01-01T00:00:00Q") == nil)
        #expect(PolicyDate.parse("") == nil)
    }

    @Test("IP addresses and networks parse in both families")
    func addresses() throws {
        #expect(IPAddress.parse("192.0.2.1") == IPAddress(value: 0xC000_0201, isIPv6: false))
        #expect(IPAddress.parse("::1") == IPAddress(value: 1, isIPv6: true))
        #expect(IPAddress.parse("2001:db8::") == IPAddress(value: UInt128(0x2001_0db8) << 96, isIPv6: true))
        #expect(IPAddress.parse("::ffff:192.0.2.1") == IPAddress(value: 0xC000_0201, isIPv6: false))
        #expect(IPAddress.parse("1:2:3:4:5:6:7:8") != nil)
        for invalid in [
            "256.0.0.1", "1.2.3", "1.2.3.4.5", "1::2::3", "1:2:3:4:5:6:7:8:9", ":1", "1:", "12345::", "a.b.c.d",
        ] {
            #expect(IPAddress.parse(invalid) == nil, "\(invalid)")
        }
        let network = try #require(IPNetwork.parse("10.1.0.0/16"))
        #expect(network.contains(try #require(IPAddress.parse("10.1.255.255"))))
        #expect(!network.contains(try #require(IPAddress.parse("10.2.0.0"))))
        #expect(IPNetwork.parse("10.0.0.0/") == nil)
        #expect(IPNetwork.parse("::/129") == nil)
    }

    @Test("the JSON reader is strict and refuses duplicate member names")
    func json() {
        #expect(
            JSONParser.parse(#" {"a": ["x\u00e9\ud83d\ude00\n", -1.5e3, true, null]} "#)
                == .object(["a": .array([.string("xé😀\n"), .number("-1.5e3"), .bool(true), .null])]))
        #expect(JSONParser.parse(#"{"a":1,"b":2}"#) == .object(["a": .number("1"), "b": .number("2")]))
        let invalid = [
            #"{"a":1,"a":2}"#, #"{"a":1,}"#, "[1,]", "01", "1.", "-", "tru", "nul l", #""\x""#, #""\ud800""#,
            "\"tab\tinside\"", "{} {}", "", String(repeating: "[", count: 40) + String(repeating: "]", count: 40),
        ]
        for text in invalid {
            #expect(JSONParser.parse(text) == nil, "\(text)")
        }
    }

    @Test("numbers are decimal, without exponents")
    func numbers() {
        #expect(PolicyNumber.parse("10") == 10)
        #expect(PolicyNumber.parse("-2.50") == -2.5)
        #expect(PolicyNumber.parse("1e3") == nil)
        #expect(PolicyNumber.parse("1.") == nil)
        #expect(PolicyNumber.parse("nan") == nil)
    }
}
