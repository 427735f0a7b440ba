import Auth
import Foundation
import HTTP

/// Presigns the code download URLs that GetFunction and GetLayerVersion hand
/// out (`Code.Location`, `Content.Location`), and checks them when they are used:
/// valid for 10 minutes, signed with the root credentials as SigV4 query
/// parameters, as AWS presigns its S3 locations.
struct CodeURLSigner: Sendable {
    static let expirySeconds = 600
    let credentials: Credentials?

    /// The URL of `path` (already percent-encoded) on the server the client addressed.
    func location(_ context: RequestContext, path: String) -> String {
        guard let credentials else { return context.baseURL + path }
        let host = String(context.baseURL.dropFirst("http://".count))
        let query = PresignedURL.query(
            host: host, path: path, credentials: credentials, region: context.region, service: "lambda",
            expirySeconds: Self.expirySeconds)
        return context.baseURL + path + "?" + query
    }

    /// Nil when `request` carries a valid, unexpired signature; else the 403 to answer.
    func refusal(for request: HTTPRequest) -> HTTPResponse? {
        guard let credentials else { return nil }
        do {
            try PresignedURL.verify(
                host: request.headers["Host"] ?? "", path: String(request.path), query: parseQuery(request.query)
            ) { key in
                key == credentials.accessKeyId ? credentials.secretAccessKey : nil
            }
            return nil
        } catch {
            let (code, message) =
                switch error {
                case .missingParameters: ("AccessDenied", "This URL must be presigned: get it from GetFunction.")
                case .unknownAccessKey: ("InvalidAccessKeyId", "The access key in the URL is not known.")
                case .expired: ("AccessDenied", "Request has expired")
                case .signatureMismatch:
                    ("SignatureDoesNotMatch", "The request signature we calculated does not match the signature.")
                }
            let body =
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code>"
                + "<Message>\(message)</Message></Error>\n"
            return HTTPResponse(status: 403, headers: ["Content-Type": "application/xml"], text: body)
        }
    }
}
