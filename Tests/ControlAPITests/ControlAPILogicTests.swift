import Foundation
import HTTP
import Testing

@testable import ControlAPI

@Suite("Lambda request validation")
struct ValidationTests {
    @Test("one violation is worded exactly as Lambda words it")
    func oneViolation() throws {
        var validator = Validator()
        validator.range(64, at: "memorySize", min: 128, max: 32768)
        #expect(throws: AWSError.self) { try validator.check() }
        do {
            try validator.check()
        } catch {
            #expect(error.code == "ValidationException")
            #expect(error.status == 400)
            #expect(
                error.message == "1 validation error detected: Value '64' at 'memorySize' failed to satisfy "
                    + "constraint: Member must have value greater than or equal to 128")
        }
    }

    @Test("several violations are counted and joined with semicolons")
    func severalViolations() {
        var validator = Validator()
        validator.range(0, at: "timeout", min: 1)
        validator.oneOf("python9", at: "runtime", ["python3.11"])
        do {
            try validator.check()
            Issue.record("expected a ValidationException")
        } catch {
            #expect(error.message.hasPrefix("2 validation errors detected: Value '0' at 'timeout'"))
            #expect(
                error.message.contains(
                    "; Value 'python9' at 'runtime' failed to satisfy constraint: Member must "
                        + "satisfy enum value set: [python3.11]"))
        }
    }

    @Test("valid values pass")
    func validValues() throws {
        var validator = Validator()
        validator.range(128, at: "memorySize", min: 128, max: 10240)
        validator.length("abc", at: "description", max: 256)
        validator.pattern("arn:aws:iam::123456789012:role/r", at: "role", LambdaShapes.rolePattern)
        try validator.check()
    }

    @Test("a role that is not an IAM role ARN fails the model's pattern")
    func badRole() {
        var validator = Validator()
        validator.pattern("not-a-role", at: "role", LambdaShapes.rolePattern)
        #expect(validator.violations.count == 1)
    }
}

@Suite("Function names and ARNs")
struct FunctionReferenceTests {
    @Test(
        "names, partial ARNs and full ARNs resolve to a name and qualifier",
        arguments: [
            ("my-function", "my-function", nil),
            ("my-function:3", "my-function", "3"),
            ("123456789012:function:my-function", "my-function", nil),
            ("arn:aws:lambda:us-east-1:123456789012:function:my-function", "my-function", nil),
            ("arn:aws:lambda:us-east-1:123456789012:function:my-function:live", "my-function", "live"),
        ] as [(String, String, String?)])
    func parses(text: String, name: String, qualifier: String?) throws {
        let reference = try #require(FunctionReference(parsing: text))
        #expect(reference.name == name)
        #expect(reference.qualifier == qualifier)
    }

    @Test(
        "malformed names are refused",
        arguments: [
            "", "has space", "bad/slash", String(repeating: "x", count: 65), "f:bad.qualifier",
            "arn:aws:lambda:us-east-1:12345:function:f", "arn:aws:s3:us-east-1:123456789012:function:f",
            "123456789012:func:f", "a:b:c:d:e",
        ])
    func refuses(text: String) {
        #expect(FunctionReference(parsing: text) == nil)
    }
}

@Suite("Routing")
struct RoutingTests {
    @Test(
        "requests map to the botocore operation they are",
        arguments: [
            ("POST", "/2015-03-31/functions", "CreateFunction"),
            ("GET", "/2015-03-31/functions", "ListFunctions"),
            ("GET", "/2015-03-31/functions/f", "GetFunction"),
            ("GET", "/2015-03-31/functions/f/configuration", "GetFunctionConfiguration"),
            ("POST", "/2015-03-31/functions/f/invocations", "Invoke"),
            ("DELETE", "/2015-03-31/functions/f", "DeleteFunction"),
            ("PUT", "/2015-03-31/functions/f/code", "UpdateFunctionCode"),
            ("POST", "/2015-03-31/functions/f/versions", "PublishVersion"),
        ])
    func routes(method: String, path: String, operation: String) throws {
        let segments = path.split(separator: "/").map(String.init)
        let match = try #require(ControlAPI.match(method: method, segments: segments))
        #expect(match.0 == operation)
    }

    @Test("a literal query in the model tells apart operations that share a path")
    func literalQuery() throws {
        let segments = ["2018-10-31", "layers"]
        #expect(try #require(ControlAPI.match(method: "GET", segments: segments)).0 == "ListLayers")
        let byArn = try #require(ControlAPI.match(method: "GET", segments: segments, query: ["find": "LayerVersion"]))
        #expect(byArn.0 == "GetLayerVersionByArn")
    }

    @Test("the path parameter is bound by name")
    func binds() throws {
        let match = try #require(ControlAPI.match(method: "GET", segments: ["2015-03-31", "functions", "abc"]))
        #expect(match.1["FunctionName"] == "abc")
    }

    @Test("unknown paths and methods match nothing")
    func unknown() {
        #expect(ControlAPI.match(method: "GET", segments: ["nope"]) == nil)
        #expect(ControlAPI.match(method: "PATCH", segments: ["2015-03-31", "functions", "f"]) == nil)
    }

    @Test("every operation in the model has a distinct name")
    func tableIsConsistent() {
        let names = LambdaOperations.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.count >= 80)
    }
}

@Suite("Request context")
struct RequestContextTests {
    @Test("the region comes from the SigV4 credential scope")
    func region() {
        let header =
            "AWS4-HMAC-SHA256 Credential=AKIA/20261203/eu-west-2/lambda/aws4_request, SignedHeaders=host, "
            + "Signature=abc"
        func region(_ authorization: String?) -> String? {
            RequestContext.credentialScope(authorization).map { String($0[2]) }
        }
        #expect(region(header) == "eu-west-2")
        #expect(region(nil) == nil)
        #expect(region("Bearer x") == nil)
        var headers: HTTPHeaders = ["Authorization": header]
        let context = RequestContext(
            request: HTTPRequest(method: "GET", target: "/", headers: headers), accountId: "1", defaultRegion: "x")
        #expect(context.region == "eu-west-2" && context.claimedAccessKeyId == "AKIA")
        headers = [:]
        let unsigned = RequestContext(
            request: HTTPRequest(method: "GET", target: "/", headers: headers), accountId: "1", defaultRegion: "x")
        #expect(unsigned.region == "x" && unsigned.claimedAccessKeyId == nil)
        // A `C` before the real marker, and a scope too short to name a region.
        let late = "AWS4-HMAC-SHA256 Cx=1, Credential=AKIA/20261203/ap-south-1/lambda/aws4_request, Signature=abc"
        #expect(region(late) == "ap-south-1")
        #expect(region("AWS4-HMAC-SHA256 Credential=AKIA/20261203/lambda") == nil)
    }

    @Test("only the root's small synchronous invokes are served on the event loop")
    func loopRequests() {
        let path = "/2015-03-31/functions/echo/invocations"
        let root = "AKIAROOT0000000000001"
        func request(
            method: String = "POST", target: String = path, type: String? = nil, bytes: Int = 2, key: String = root
        ) -> HTTPRequest {
            var headers: HTTPHeaders = [
                "Authorization":
                    "AWS4-HMAC-SHA256 Credential=\(key)/20261204/us-east-1/lambda/aws4_request, "
                    + "SignedHeaders=host;x-amz-date, Signature=abc"
            ]
            if let type { headers.add("X-Amz-Invocation-Type", type) }
            return HTTPRequest(
                method: method, target: target, headers: headers, body: Array(repeating: 0x20, count: bytes))
        }
        func onLoop(_ request: HTTPRequest) -> Bool {
            let claimed = RequestContext(request: request, accountId: "1", defaultRegion: "x").claimedAccessKeyId
            return ControlAPI.runsOnLoop(request, claimedAccessKeyId: claimed, rootAccessKeyId: root)
        }
        #expect(onLoop(request()))
        #expect(onLoop(request(target: path + "?Qualifier=live", type: "RequestResponse")))
        #expect(onLoop(request(type: "DryRun")))
        #expect(onLoop(request(bytes: ControlAPI.largestInvokeOnLoop)))
        // Asynchronous invokes wait for an fsync; large bodies take long to hash; the rest may write the store.
        #expect(!onLoop(request(type: "Event")))
        #expect(!onLoop(request(bytes: ControlAPI.largestInvokeOnLoop + 1)))
        #expect(!onLoop(request(method: "GET")))
        #expect(!onLoop(request(target: "/2015-03-31/functions")))
        #expect(!onLoop(request(target: "/2014-11-13/functions/echo/invoke-async/")))
        // An IAM caller's key and policies come from the store; so does everything without a root key.
        #expect(!onLoop(request(key: "AKIAUSER000000000001")))
        #expect(!onLoop(HTTPRequest(method: "POST", target: path, body: [])))
        #expect(!ControlAPI.runsOnLoop(request(), claimedAccessKeyId: Substring(root), rootAccessKeyId: nil))
    }

    @Test("request ids are random version 4 UUIDs in lower case, all different")
    func requestIds() {
        let ids = (0..<2000).map { _ in RequestContext.newRequestId() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(200) {
            let groups = id.split(separator: "-", omittingEmptySubsequences: false).map(\.count)
            #expect(groups == [8, 4, 4, 4, 12])
            #expect(id.allSatisfy { $0 == "-" || $0.isHexDigit && !$0.isUppercase })
            #expect(Array(id)[14] == "4")
            #expect("89ab".contains(Array(id)[19]))
            #expect(UUID(uuidString: id) != nil)
        }
    }

    @Test("query parts decode + as space and percent escapes, and leave plain text alone")
    func formDecoding() {
        let query = parseQuery("a=x+y&b=x%2By&c=%E2%9C%93&d=plain&e=100%")
        #expect(query["a"] == "x y")
        #expect(query["b"] == "x+y")
        #expect(query["c"] == "\u{2713}")
        #expect(query["d"] == "plain")
        // An escape that does not decode is kept as it came.
        #expect(query["e"] == "100%")
    }

    @Test("queries are percent-decoded")
    func query() {
        let query = parseQuery("Marker=a%3Ab&MaxItems=2&Empty=")
        #expect(query["Marker"] == "a:b")
        #expect(query["MaxItems"] == "2")
        #expect(query["Empty"] == "")
    }
}

@Suite("Log filter patterns")
struct FilterPatternTests {
    @Test("plain and quoted terms split as CloudWatch does")
    func terms() throws {
        #expect(try LogsService.terms("ERROR timeout") == ["ERROR", "timeout"])
        #expect(try LogsService.terms("\"two words\" x") == ["two words", "x"])
        #expect(try LogsService.terms("") == [])
    }

    @Test("JSON and space-delimited patterns are refused with a clear error", arguments: ["{ $.a = 1 }", "[ip, user]"])
    func refused(pattern: String) {
        #expect(throws: AWSError.self) { try LogsService.terms(pattern) }
    }
}

@Suite("JSON documents")
struct JSONValueTests {
    @Test("booleans, integers and nesting survive a round trip")
    func roundTrip() throws {
        let value: JSONValue = ["a": true, "b": 3, "c": ["x", 1], "d": ["e": .null]]
        let parsed = try JSONValue.parse(value.serialized())
        #expect(parsed == value)
    }

    @Test("non-JSON bytes are refused")
    func refused() {
        #expect(throws: (any Error).self) { try JSONValue.parse(Array("not json".utf8)) }
    }
}
