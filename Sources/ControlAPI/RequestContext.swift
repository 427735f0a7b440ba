import Foundation
import HTTP

/// Who is calling and where: the parts of a request every operation needs.
struct RequestContext: Sendable {
    let requestId: String
    let region: String
    let accountId: String
    /// `http://host:port` as the client addressed the server, for URLs we hand out.
    let baseURL: String

    init(request: HTTPRequest, accountId: String, defaultRegion: String) {
        requestId = UUID().uuidString.lowercased()
        region = Self.credentialScopeRegion(request.headers["Authorization"]) ?? defaultRegion
        self.accountId = accountId
        baseURL = "http://" + (request.headers["Host"] ?? "127.0.0.1")
    }

    /// The region of a SigV4 `Credential=AKID/DATE/REGION/SERVICE/aws4_request`.
    static func credentialScopeRegion(_ authorization: String?) -> String? {
        guard let authorization, let range = authorization.range(of: "Credential=") else { return nil }
        let scope = authorization[range.upperBound...].prefix { $0 != "," && $0 != " " }
        let parts = scope.split(separator: "/")
        return parts.count >= 5 ? String(parts[2]) : nil
    }

    func functionArn(_ name: String, qualifier: String? = nil) -> String {
        let base = "arn:aws:lambda:\(region):\(accountId):function:\(name)"
        return qualifier.map { "\(base):\($0)" } ?? base
    }
}

/// A FunctionName as Lambda accepts it: a name, a partial ARN
/// (`ACCOUNT:function:NAME`) or a full ARN, each optionally qualified.
struct FunctionReference: Equatable {
    var name: String
    var qualifier: String?

    /// Parses `text`; returns nil when it is not a valid function name or ARN.
    init?(parsing text: String) {
        guard !text.isEmpty, text.count <= 140,
            (try? Regex(LambdaShapes.functionNamePattern).wholeMatch(in: text)) != nil
        else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.first == "arn" {
            // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
            guard parts.count >= 7, parts[5] == "function" else { return nil }
            name = parts[6]
            qualifier = parts.count > 7 ? parts[7] : nil
        } else if parts.count >= 3, parts[1] == "function" {
            name = parts[2]
            qualifier = parts.count > 3 ? parts[3] : nil
        } else {
            name = parts[0]
            qualifier = parts.count > 1 ? parts[1] : nil
        }
        guard !name.isEmpty, name.count <= 64 else { return nil }
    }
}

extension String {
    /// Percent-decodes a path segment or query component (`+` stays `+`).
    var percentDecoded: String {
        removingPercentEncoding ?? self
    }
}

/// Parses `a=1&b=2` into a dictionary, percent-decoding both sides.
func parseQuery(_ query: Substring) -> [String: String] {
    var result: [String: String] = [:]
    for pair in query.split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let key = String(parts[0]).replacingOccurrences(of: "+", with: " ").percentDecoded
        let value = parts.count > 1 ? String(parts[1]).replacingOccurrences(of: "+", with: " ").percentDecoded : ""
        result[key] = value
    }
    return result
}
