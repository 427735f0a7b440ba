import Auth
import Foundation
import HTTP
import Store
import Testing

@testable import ControlAPI

@Suite("The query protocol: form bodies, XML and errors")
struct QueryProtocolTests {
    @Test(
        "form fields are percent-decoded as UTF-8, with + as a space",
        arguments: [
            ("Action=CreateUser&UserName=a%2Bb+c", ["Action": "CreateUser", "UserName": "a+b c"]),
            ("Description=caf%C3%A9&Empty=&Bare", ["Description": "café", "Empty": "", "Bare": ""]),
            ("Broken=100%&Bad=%zz&Later=1&Later=2", ["Broken": "100%", "Bad": "%zz", "Later": "2"]),
            ("PolicyDocument=%7B%22a%22%3A%201%7D", ["PolicyDocument": "{\"a\": 1}"]),
        ])
    func formParsing(body: String, expected: [String: String]) {
        #expect(QueryProtocol.parseForm(Array(body.utf8)) == expected)
    }

    @Test("member lists and tag pairs are read in order up to the first gap")
    func lists() {
        let request = QueryRequest(
            QueryProtocol.parseForm(
                Array(
                    ("TagKeys.member.1=a&TagKeys.member.2=b&TagKeys.member.4=d&Tags.member.1.Key=team"
                        + "&Tags.member.1.Value=core&Tags.member.2.Key=env&Empty=").utf8)))
        #expect(request.list("TagKeys") == ["a", "b"])
        #expect(request.list("Empty").isEmpty)
        let tags = request.tags("Tags")
        #expect(tags.map(\.key) == ["team", "env"])
        #expect(tags.map(\.value) == ["core", nil])
    }

    @Test("numbers and booleans are read leniently and reported when malformed")
    func scalars() {
        let request = QueryRequest(["MaxItems": "10", "Bad": "ten", "Flag": "TRUE"])
        #expect(request.integer("MaxItems") == .some(10))
        #expect(request.integer("Bad") == .some(nil))
        #expect(request.integer("Missing") == nil)
        #expect(request.boolean("Flag") == true)
        #expect(request.boolean("MaxItems") == nil)
    }

    @Test("text and attributes are escaped; characters XML cannot carry are replaced")
    func escaping() {
        #expect(
            XMLWriter.escaped(#"<a href="x">Tom & 'Jerry'</a>"#)
                == "&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;")
        #expect(XMLWriter.escaped("line\r\nnext\ttab\u{1}") == "line&#xD;\nnext\ttab\u{FFFD}")
        var writer = XMLWriter()
        writer.open("Root", attributes: ["xmlns": "a&b"])
        writer.element("Name", "<x>")
        writer.element("Missing", nil as String?)
        writer.members("List", ["1", "2"]) { member, item in member.characters(item) }
        writer.close("Root")
        #expect(
            writer.text
                == #"<Root xmlns="a&amp;b"><Name>&lt;x&gt;</Name>"#
                + "<List><member>1</member><member>2</member></List></Root>")
    }

    @Test("a success names the action, wraps the result and carries the request id")
    func success() {
        var result = XMLWriter()
        result.element("UserId", "AIDA")
        let response = QueryProtocol.response(
            action: "GetUser", namespace: QueryProtocol.iamNamespace, requestId: "r-1", result: result)
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "text/xml")
        #expect(response.headers["x-amzn-RequestId"] == "r-1")
        #expect(
            String(decoding: response.body, as: UTF8.self)
                == #"<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetUserResult>"#
                + "<UserId>AIDA</UserId></GetUserResult><ResponseMetadata><RequestId>r-1</RequestId>"
                + "</ResponseMetadata></GetUserResponse>")
        let empty = QueryProtocol.response(
            action: "DeleteUser", namespace: QueryProtocol.iamNamespace, requestId: "r-2", result: nil)
        #expect(!String(decoding: empty.body, as: UTF8.self).contains("DeleteUserResult"))
    }

    @Test("errors carry AWS's status, code and message, and Receiver for server faults")
    func errors() {
        let response = AWSError.noSuchEntity("The user with name <b> cannot be found.")
            .queryProtocolResponse(requestId: "r-3", namespace: QueryProtocol.stsNamespace)
        #expect(response.status == 404)
        #expect(
            String(decoding: response.body, as: UTF8.self)
                == #"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>"#
                + "<Code>NoSuchEntity</Code><Message>The user with name &lt;b&gt; cannot be found.</Message>"
                + "</Error><RequestId>r-3</RequestId></ErrorResponse>")
        let failure = AWSError.serviceFailure.queryProtocolResponse(requestId: "r", namespace: "n")
        #expect(String(decoding: failure.body, as: UTF8.self).contains("<Type>Receiver</Type>"))
    }

    @Test(
        "timestamps are ISO 8601 in UTC to the second",
        arguments: [
            (Int64(0), "1970-01-01T00:00:00Z"), (1_796_322_902_000, "2026-12-03T18:35:02Z"),
            (1_709_251_199_999, "2024-02-29T23:59:59Z"), (951_868_800_000, "2000-03-01T00:00:00Z"),
            (-1_000, "1969-12-31T23:59:59Z"),
        ])
    func timestamps(milliseconds: Int64, expected: String) {
        #expect(UTCTimestamp.iso8601(milliseconds) == expected)
    }

    @Test("with milliseconds, as the audit log and Lambda's LastModified write them")
    func fractionalTimestamps() {
        #expect(UTCTimestamp.iso8601(1_796_322_902_045, fractional: true) == "2026-12-03T18:35:02.045Z")
        #expect(UTCTimestamp.iso8601(-1, fractional: true) == "1969-12-31T23:59:59.999Z")
        #expect(
            UTCTimestamp.iso8601(1_796_322_902_000, fractional: true, zone: "+0000") == "2026-12-03T18:35:02.000+0000")
    }

    @Test("policy documents are percent-encoded except RFC 3986's unreserved characters")
    func policyEncoding() {
        #expect(QueryProtocol.policyEncoded(#"{"a": "b~c-d_e.f/*"}"#) == "%7B%22a%22%3A%20%22b~c-d_e.f%2F%2A%22%7D")
    }

    @Test("the credential scope names the service and the access key")
    func credentialScope() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261203/us-east-1/sts/aws4_request, SignedHeaders=host"
        let scope = RequestContext.credentialScope(header)
        #expect(scope?[3] == "sts")
        #expect(scope?.first == "AKIAEXAMPLE")
        #expect(RequestContext.credentialScope(nil) == nil)
    }
}

@Suite("IAM validation, pagination and policy ARNs")
struct IAMRequestTests {
    @Test("a bad name is reported in AWS's words")
    func nameViolation() {
        var check = QueryValidator()
        check.name("bad name", at: "userName", max: 64)
        check.name(nil, at: "roleName", max: 64)
        do {
            try check.check()
            Issue.record("expected a ValidationError")
        } catch {
            #expect(error.code == "ValidationError")
            #expect(
                error.message
                    == "2 validation errors detected: Value 'bad name' at 'userName' failed to satisfy constraint: "
                    + #"Member must satisfy regular expression pattern: [\w+=,.@-]+; Value null at 'roleName' "#
                    + "failed to satisfy constraint: Member must not be null")
        }
    }

    @Test(
        "paths are / or /…/ and policy paths are segments",
        arguments: [("/", true), ("/a/b/", true), ("/a", false), ("a/", false), ("//", false)])
    func paths(path: String, valid: Bool) {
        var check = QueryValidator()
        check.path(path, at: "path")
        check.policyPath(path, at: "path")
        let passed = (try? check.check()) != nil
        #expect(passed == valid)
    }

    @Test("tags are checked member by member")
    func tags() {
        var check = QueryValidator()
        check.tags([(key: "ok", value: "fine"), (key: "bad!", value: nil)], at: "tags")
        do {
            try check.check()
            Issue.record("expected a ValidationError")
        } catch {
            #expect(error.message.contains("Value 'bad!' at 'tags.2.member.key'"))
            #expect(error.message.contains("Value null at 'tags.2.member.value'"))
        }
    }

    @Test("pages follow markers to the end and survive the marker's item disappearing")
    func pagination() throws {
        let items = ["a", "b", "c", "d", "e"]
        let first = try IAMPagination.page(items, QueryRequest(["MaxItems": "2"])) { $0 }
        #expect(first.items == ["a", "b"])
        let marker = try #require(first.marker)
        let second = try IAMPagination.page(items, QueryRequest(["MaxItems": "2", "Marker": marker])) { $0 }
        #expect(second.items == ["c", "d"])
        let shrunk = try IAMPagination.page(["a", "c", "d"], QueryRequest(["Marker": marker])) { $0 }
        #expect(shrunk.items == ["c", "d"] && shrunk.marker == nil)
        #expect(throws: AWSError.self) { try IAMPagination.page(items, QueryRequest(["MaxItems": "0"])) { $0 } }
        #expect(throws: AWSError.self) { try IAMPagination.page(items, QueryRequest(["Marker": "!!"])) { $0 } }
    }

    @Test("policy ARNs split into account, path and name")
    func policyArns() throws {
        let aws = try #require(PolicyReference(parsing: "arn:aws:iam::aws:policy/service-role/AWSLambdaRole"))
        #expect(aws.account == "aws" && aws.path == "/service-role/" && aws.name == "AWSLambdaRole")
        let local = try #require(PolicyReference(parsing: "arn:aws:iam::123456789012:policy/p"))
        #expect(local.path == "/" && local.name == "p")
        #expect(PolicyReference(parsing: "arn:aws:iam::123456789012:role/p") == nil)
        #expect(PolicyReference(parsing: "arn:aws:iam::123456789012:policy/") == nil)
    }

    @Test("every AWS managed policy document is a JSON object and its ARN finds it")
    func managedPolicies() throws {
        #expect(ManagedPolicies.all.count == 10)
        for policy in ManagedPolicies.all {
            let object = try JSONSerialization.jsonObject(with: Data(policy.document.utf8))
            #expect(object is [String: Any], "\(policy.name)")
            #expect(ManagedPolicies.policy(arn: policy.arn)?.name == policy.name)
        }
        #expect(ManagedPolicies.document(arn: "arn:aws:iam::aws:policy/Nope") == nil)
    }
}

@Suite("IAM and STS with their injected decisions")
struct IAMServiceTests {
    private static let account = "123456789012"

    /// Runs `body` with a fresh store in a temporary directory.
    private func withStore(_ body: (SQLiteStore) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("iam-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try body(try SQLiteStore(dataDirectory: path))
    }

    private func caller(_ principal: Principal = .root(accountId: account)) -> IAMCaller {
        IAMCaller(principal: principal, requestId: "req", accountId: Self.account)
    }

    private func text(_ response: HTTPResponse) -> String {
        String(decoding: response.body, as: UTF8.self)
    }

    @Test("the authorizer sees the action and the entity's ARN, and its refusal is the answer")
    func authorization() throws {
        try withStore { store throws in
            let seen = LockedList()
            let service = IAMService(
                store: store,
                authorize: { _, action, resource throws(AWSError) in
                    seen.append("\(action) \(resource)")
                    if action == "iam:DeleteUser" { throw AWSError.accessDenied("no") }
                }, validatePolicy: { _, _ in nil })
            let created = service.handle(
                parameters: ["Action": "CreateUser", "UserName": "bob", "Path": "/ops/"], caller: caller())
            #expect(created.status == 200)
            let denied = service.handle(parameters: ["Action": "DeleteUser", "UserName": "BOB"], caller: caller())
            #expect(denied.status == 403)
            #expect(text(denied).contains("<Code>AccessDenied</Code>"))
            #expect(
                seen.items == [
                    "iam:CreateUser arn:aws:iam::123456789012:user/ops/bob",
                    "iam:DeleteUser arn:aws:iam::123456789012:user/ops/bob",
                ])
            #expect(try store.user(named: "bob") != nil)
        }
    }

    @Test("the validator's message is the MalformedPolicyDocument answer, trust policies flagged")
    func policyValidation() throws {
        try withStore { store throws in
            let service = IAMService(
                store: store, authorize: { _, _, _ in },
                validatePolicy: { _, isTrust in isTrust ? "Has prohibited field Resource" : nil })
            let response = service.handle(
                parameters: ["Action": "CreateRole", "RoleName": "r", "AssumeRolePolicyDocument": "{}"],
                caller: caller())
            #expect(response.status == 400)
            #expect(text(response).contains("<Code>MalformedPolicyDocument</Code>"))
            #expect(text(response).contains("<Message>Has prohibited field Resource</Message>"))
            #expect(try store.role(named: "r") == nil)
        }
    }

    @Test("AssumeRole needs a trusting role, refuses root and honours the role's maximum duration")
    func assumeRole() throws {
        try withStore { store throws in
            try store.createRole(
                RoleRecord(
                    name: "r", roleId: "AROAEXAMPLEEXAMPLE123", path: "/", arn: "arn:aws:iam::\(Self.account):role/r",
                    assumeRolePolicyDocument: "trusting", createdMilliseconds: 0))
            let sts = STSService(
                store: store, authorize: { _, _, _ in }, trustAllows: { policy, _, _ in policy == "trusting" })
            let user = caller(.user(name: "bob", userId: "AIDAEXAMPLE", accountId: Self.account))
            var parameters = [
                "Action": "AssumeRole", "RoleArn": "arn:aws:iam::\(Self.account):role/r", "RoleSessionName": "s1",
            ]
            let assumed = sts.handle(parameters: parameters, caller: user)
            #expect(assumed.status == 200)
            #expect(text(assumed).contains("<Arn>arn:aws:sts::123456789012:assumed-role/r/s1</Arn>"))
            #expect(text(assumed).contains("<AssumedRoleId>AROAEXAMPLEEXAMPLE123:s1</AssumedRoleId>"))

            #expect(sts.handle(parameters: parameters, caller: caller()).status == 403)
            parameters["DurationSeconds"] = "7200"
            let tooLong = sts.handle(parameters: parameters, caller: user)
            #expect(tooLong.status == 400)
            #expect(text(tooLong).contains("exceeds the MaxSessionDuration set for this role"))
            parameters["DurationSeconds"] = nil
            parameters["RoleArn"] = "arn:aws:iam::\(Self.account):role/missing"
            #expect(sts.handle(parameters: parameters, caller: user).status == 403)
            parameters["RoleArn"] = "arn:aws:iam::\(Self.account):role/r"
            parameters["Policy"] = "{}"
            #expect(sts.handle(parameters: parameters, caller: user).status == 400)
        }
    }

    @Test("an unknown action is InvalidAction")
    func unknownAction() throws {
        try withStore { store throws in
            let service = IAMService(store: store, authorize: { _, _, _ in }, validatePolicy: { _, _ in nil })
            let response = service.handle(parameters: ["Action": "CreateGroup"], caller: caller())
            #expect(response.status == 400)
            #expect(text(response).contains("<Code>InvalidAction</Code>"))
        }
    }
}

/// Strings appended from a `@Sendable` closure.
private final class LockedList: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var storage: [String] = []

    var items: [String] { lock.withLock { storage } }

    func append(_ item: String) {
        lock.withLock { storage.append(item) }
    }
}
