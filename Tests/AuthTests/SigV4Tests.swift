import Testing

@testable import Auth

/// Vectors: AWS's published get-vanilla case, and a Lambda invoke whose
/// signature botocore 1.44 computes for the same inputs.
@Suite("SigV4")
struct SigV4Tests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let scopeDate = "20150830T123600Z"

    @Test("the get-vanilla vector signs to AWS's published signature")
    func vanilla() {
        let request = SigV4.Request(
            method: "GET", path: "/",
            headers: [(name: "Host", value: "example.amazonaws.com"), (name: "X-Amz-Date", value: Self.scopeDate)],
            body: [])
        let signature = SigV4.signature(
            request, signedHeaders: ["host", "x-amz-date"], amzDate: Self.scopeDate,
            scope: "20150830/us-east-1/service/aws4_request", secretAccessKey: Self.secret)
        #expect(signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test("an invoke of a function ARN double-encodes the path as botocore does")
    func lambdaInvoke() {
        let request = SigV4.Request(
            method: "POST",
            path: "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af/invocations",
            query: "Qualifier=%24LATEST&a=b%20c",
            headers: [
                (name: "Host", value: "example.amazonaws.com"), (name: "Content-Type", value: "application/json"),
                (name: "X-Amz-Date", value: Self.scopeDate),
            ],
            body: Array(#"{"x": 1}"#.utf8))
        let signedHeaders: Set<String> = ["content-type", "host", "x-amz-date"]
        let canonical = SigV4.canonicalRequest(request, signedHeaders: signedHeaders)
        #expect(canonical.contains("/functions/arn%253Aaws%253Alambda%253Aus-east-1%253A123456789012"))
        #expect(canonical.contains("\nQualifier=%24LATEST&a=b%20c\n"))
        let signature = SigV4.signature(
            request, signedHeaders: signedHeaders, amzDate: Self.scopeDate,
            scope: "20150830/us-east-1/lambda/aws4_request", secretAccessKey: Self.secret)
        #expect(signature == "a85cd8ae537e6142d98b848e5099b67a2a8351df320e81320bf094ede667dbe9")
    }

    @Test("changing the body, a signed header or the secret changes the signature")
    func tampering() {
        func sign(_ body: String, host: String = "h", secret: String = SigV4Tests.secret) -> String {
            let request = SigV4.Request(
                method: "POST", path: "/", headers: [(name: "Host", value: host)], body: Array(body.utf8))
            return SigV4.signature(
                request, signedHeaders: ["host"], amzDate: SigV4Tests.scopeDate,
                scope: "20150830/us-east-1/lambda/aws4_request",
                secretAccessKey: secret)
        }
        let original = sign("{}")
        #expect(sign("{ }") != original)
        #expect(sign("{}", host: "other") != original)
        #expect(sign("{}", secret: "other") != original)
        #expect(sign("{}") == original)
    }

    @Test("sign adds X-Amz-Date and an Authorization naming the scope and signed headers")
    func signAddsHeaders() throws {
        let request = SigV4.Request(method: "GET", path: "/", headers: [(name: "Host", value: "h")], body: [])
        let headers = SigV4.sign(
            request, credentials: Credentials(accessKeyId: "AKID", secretAccessKey: "s", sessionToken: "t"),
            region: "eu-west-1", service: "lambda")
        let authorization = try #require(headers.first { $0.name == "Authorization" }?.value)
        #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKID/"))
        #expect(
            authorization.contains(
                "/eu-west-1/lambda/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token,"))
        #expect(headers.contains { $0.name == "X-Amz-Security-Token" && $0.value == "t" })
    }
}
