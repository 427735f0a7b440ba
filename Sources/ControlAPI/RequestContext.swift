import Foundation
import HTTP

/// Who is calling and where: the parts of a request every operation needs.
struct RequestContext: Sendable {
    let requestId: String
    let region: String
    let accountId: String
    /// `http://host:port` as the client addressed the server, for URLs we hand out.
    let baseURL: String

    /// A context for work that no request started (delivering a queued event).
    init(requestId: String, region: String, accountId: String) {
        self.requestId = requestId
        self.region = region
        self.accountId = accountId
        self.baseURL = "http://127.0.0.1"
    }

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
    ///
    /// Checked by hand rather than with the model's regular expression: this
    /// runs on every invoke, and compiling a Regex costs more than the invoke.
    init?(parsing text: String) {
        guard !text.isEmpty, text.utf8.count <= 140 else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let nameIndex: Int
        if parts[0] == "arn" {
            // arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
            guard (7...8).contains(parts.count), parts[1].hasPrefix("aws"), parts[2] == "lambda",
                Self.isRegion(parts[3]), Self.isAccount(parts[4]), parts[5] == "function"
            else { return nil }
            nameIndex = 6
        } else if parts.count >= 3 {
            // ACCOUNT:function:NAME[:QUALIFIER]
            guard parts.count <= 4, Self.isAccount(parts[0]), parts[1] == "function" else { return nil }
            nameIndex = 2
        } else {
            nameIndex = 0
        }
        let name = parts[nameIndex]
        guard Self.isName(name), name.utf8.count <= 64 else { return nil }
        self.name = String(name)
        if parts.count > nameIndex + 1 {
            let qualifier = parts[nameIndex + 1]
            guard qualifier == "$LATEST" || Self.isName(qualifier) else { return nil }
            self.qualifier = String(qualifier)
        } else {
            self.qualifier = nil
        }
    }

    /// `[a-zA-Z0-9-_]+`
    private static func isName(_ text: Substring) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7a) || byte == 0x2d
                    || byte == 0x5f
            }
    }

    private static func isAccount(_ text: Substring) -> Bool {
        text.utf8.count == 12 && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// A region such as `us-east-1` or `us-gov-west-1`: lowercase words and a final digit.
    private static func isRegion(_ text: Substring) -> Bool {
        let words = text.split(separator: "-", omittingEmptySubsequences: false)
        guard words.count >= 3, let last = words.last, last.utf8.count == 1,
            last.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else { return false }
        return words.dropLast().allSatisfy { word in !word.isEmpty && word.utf8.allSatisfy { $0 >= 0x61 && $0 <= 0x7a }
        }
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
