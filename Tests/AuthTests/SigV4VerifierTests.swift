import Foundation
import Testing

@testable import Auth

/// The verifier against requests our own signer makes: each failure kind, and its
/// twin that passes.
@Suite("SigV4Verifier")
struct SigV4VerifierTests {
    static let now = Date(timeIntervalSince1970: 1_796_400_000)
    static let permanent = Credentials(accessKeyId: "AKIDPERMANENT", secretAccessKey: "secret-one")
    static let temporary = Credentials(accessKeyId: "ASIATEMPORARY", secretAccessKey: "secret-two", sessionToken: "tok")

    static func keys(expiration: Date? = nil, active: Bool = true) -> (String) -> SigningKey? {
        { id in
            switch id {
            case permanent.accessKeyId: SigningKey(secretAccessKey: permanent.secretAccessKey, isActive: active)
            case temporary.accessKeyId:
                SigningKey(
                    secretAccessKey: temporary.secretAccessKey, sessionToken: temporary.sessionToken,
                    expiration: expiration ?? now.addingTimeInterval(3600))
            default: nil
            }
        }
    }

    static func signed(
        _ credentials: Credentials = permanent, at date: Date = now, body: String = "{}"
    ) -> SigV4.Request {
        var request = SigV4.Request(
            method: "POST", path: "/2015-03-31/functions/f/invocations", query: "Qualifier=1",
            headers: [(name: "Host", value: "127.0.0.1:9000")], body: Array(body.utf8))
        request.headers += SigV4.sign(
            request, credentials: credentials, region: "us-east-1", service: "lambda", date: date)
        return request
    }

    static func failure(_ request: SigV4.Request, keys: (String) -> SigningKey? = keys()) -> SigV4Failure.Kind? {
        do {
            _ = try SigV4Verifier.verify(request, now: now, key: keys)
            return nil
        } catch {
            return error.kind
        }
    }

    @Test("a request signed with a known key verifies and reports its scope")
    func verifies() throws {
        let scope = try SigV4Verifier.verify(Self.signed(), now: Self.now, key: Self.keys())
        #expect(scope == SignedScope(accessKeyId: "AKIDPERMANENT", region: "us-east-1", service: "lambda"))
    }

    @Test("no Authorization header and no presigned query is missing authentication")
    func anonymous() {
        let request = SigV4.Request(method: "GET", path: "/", headers: [(name: "Host", value: "h")], body: [])
        #expect(Self.failure(request) == .missingAuthentication)
    }

    @Test("an unknown or inactive key is an unrecognized client")
    func unknownKey() {
        let stranger = Credentials(accessKeyId: "AKIDSTRANGER", secretAccessKey: "secret-one")
        #expect(Self.failure(Self.signed(stranger)) == .unrecognizedClient)
        #expect(Self.failure(Self.signed(), keys: Self.keys(active: false)) == .unrecognizedClient)
    }

    @Test("a body changed after signing is a signature mismatch")
    func tamperedBody() {
        var request = Self.signed()
        request.body = Array("{ }".utf8)
        #expect(Self.failure(request) == .signatureMismatch)
    }

    @Test("temporary credentials need their exact session token, and stop at expiry")
    func sessionTokens() {
        #expect(Self.failure(Self.signed(Self.temporary)) == nil)

        var wrongToken = Self.temporary
        wrongToken.sessionToken = "tol"
        #expect(Self.failure(Self.signed(wrongToken)) == .unrecognizedClient)

        var withoutToken = Self.temporary
        withoutToken.sessionToken = nil
        #expect(Self.failure(Self.signed(withoutToken)) == .unrecognizedClient)

        var tokenOnPermanentKey = Self.permanent
        tokenOnPermanentKey.sessionToken = "tok"
        #expect(Self.failure(Self.signed(tokenOnPermanentKey)) == .unrecognizedClient)

        let expired = Self.keys(expiration: Self.now.addingTimeInterval(-1))
        #expect(Self.failure(Self.signed(Self.temporary), keys: expired) == .expiredToken)
    }

    @Test("the clock may be 15 minutes off either way, not more")
    func clockSkew() {
        #expect(Self.failure(Self.signed(at: Self.now.addingTimeInterval(-899))) == nil)
        #expect(Self.failure(Self.signed(at: Self.now.addingTimeInterval(899))) == nil)
        #expect(Self.failure(Self.signed(at: Self.now.addingTimeInterval(-901))) == .signatureExpired)
        #expect(Self.failure(Self.signed(at: Self.now.addingTimeInterval(901))) == .signatureExpired)
    }

    @Test("a header without Credential, SignedHeaders or Signature is incomplete")
    func incomplete() {
        var request = Self.signed()
        let index = request.headers.firstIndex { $0.name == "Authorization" } ?? 0
        request.headers[index].value =
            "AWS4-HMAC-SHA256 Credential=AKIDPERMANENT/20261203/us-east-1/lambda/aws4_request"
        #expect(Self.failure(request) == .incompleteSignature)
    }

    @Test("a presigned URL verifies until X-Amz-Expires, and never beyond a week")
    func presigned() {
        let query = PresignedURL.query(
            host: "h", path: "/p", credentials: Self.permanent, region: "us-east-1", service: "s3",
            expirySeconds: 60, date: Self.now)
        let request = SigV4.Request(
            method: "GET", path: "/p", query: query, headers: [(name: "Host", value: "h")], body: [])
        func verify(at date: Date) -> SigV4Failure.Kind? {
            do {
                _ = try SigV4Verifier.verify(request, now: date, allowUnsignedPayload: true, key: Self.keys())
                return nil
            } catch {
                return error.kind
            }
        }
        #expect(verify(at: Self.now.addingTimeInterval(59)) == nil)
        #expect(verify(at: Self.now.addingTimeInterval(61)) == .signatureExpired)

        var week = request
        week.query = query.replacingOccurrences(of: "X-Amz-Expires=60", with: "X-Amz-Expires=604801")
        #expect(Self.failure(week) == .incompleteSignature)
    }
}

@Suite("CredentialsFile")
struct CredentialsFileTests {
    static let text = """
        # comment
        [default]
        aws_access_key_id = AKIDDEFAULT
        aws_secret_access_key = secret-default

        [profile dev]
        aws_access_key_id=AKIDDEV
        aws_secret_access_key=secret-dev
        aws_session_token = token-dev
        [broken]
        aws_access_key_id = AKIDBROKEN
        """

    @Test("profiles are read by name, with session tokens")
    func profiles() {
        let file = CredentialsFile(parsing: Self.text)
        #expect(file.credentials() == Credentials(accessKeyId: "AKIDDEFAULT", secretAccessKey: "secret-default"))
        #expect(
            file.credentials(profile: "dev")
                == Credentials(accessKeyId: "AKIDDEV", secretAccessKey: "secret-dev", sessionToken: "token-dev"))
    }

    @Test("a profile without a secret, or one that is absent, gives nothing")
    func incompleteProfiles() {
        let file = CredentialsFile(parsing: Self.text)
        #expect(file.credentials(profile: "broken") == nil)
        #expect(file.credentials(profile: "absent") == nil)
    }
}
