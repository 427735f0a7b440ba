import Crypto
import Foundation
import HTTP

/// Who is calling and where: the parts of a request every operation needs.
struct RequestContext: Sendable {
    let requestId: String
    let region: String
    let accountId: String
    /// `http://host:port` as the client addressed the server, for URLs we hand out.
    let baseURL: String
    /// The access key id the request's SigV4 credential scope claims (not yet verified).
    let claimedAccessKeyId: Substring?
    /// True when the request is served on the event loop, where nothing may wait for the
    /// store or the disk (`ControlAPI.runsOnLoop`).
    var servedOnEventLoop = false

    /// A context for work that no request started (delivering a queued event).
    init(requestId: String, region: String, accountId: String) {
        self.requestId = requestId
        self.region = region
        self.accountId = accountId
        self.baseURL = "http://127.0.0.1"
        self.claimedAccessKeyId = nil
    }

    init(request: HTTPRequest, accountId: String, defaultRegion: String) {
        requestId = Self.newRequestId()
        let scope = Self.credentialScope(request.headers["Authorization"])
        region = scope.map { String($0[2]) } ?? defaultRegion
        claimedAccessKeyId = scope?.first
        self.accountId = accountId
        baseURL = "http://" + (request.headers["Host"] ?? "127.0.0.1")
    }

    /// A request id as Lambda writes them: a random (version 4) UUID in lower case.
    ///
    /// Made from libcrypto's generator and `hexString`: this runs on every request, and
    /// `UUID().uuidString.lowercased()` costs several times as much.
    static func newRequestId() -> String {
        var bytes = SecureRandom.bytes(count: 16)
        bytes[6] = bytes[6] & 0x0f | 0x40  // version 4
        bytes[8] = bytes[8] & 0x3f | 0x80  // RFC 4122 variant
        return bytes[0..<4].hexString + "-" + bytes[4..<6].hexString + "-" + bytes[6..<8].hexString + "-"
            + bytes[8..<10].hexString + "-" + bytes[10...].hexString
    }

    /// The parts of a SigV4 `Credential=AKID/DATE/REGION/SERVICE/aws4_request` (at least five),
    /// found on the header's bytes without any other parsing.
    static func credentialScope(_ authorization: String?) -> [Substring]? {
        guard let authorization else { return nil }
        let bytes = authorization.utf8
        let marker = "Credential=".utf8
        var start = bytes.startIndex
        while true {
            guard let found = bytes[start...].firstIndex(of: UInt8(ascii: "C")) else { return nil }
            if bytes[found...].starts(with: marker) {
                start = bytes.index(found, offsetBy: marker.count)
                break
            }
            start = bytes.index(after: found)
        }
        let scope = authorization[start...].prefix { $0 != "," && $0 != " " }
        let parts = scope.split(separator: "/")
        return parts.count >= 5 ? parts : nil
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
        // Most path segments and query parts have no escapes: skip Foundation's decoder for them.
        utf8.contains(UInt8(ascii: "%")) ? removingPercentEncoding ?? self : self
    }
}

/// Parses `a=1&b=2` into a dictionary, percent-decoding both sides.
func parseQuery(_ query: Substring) -> [String: String] {
    var result: [String: String] = [:]
    for pair in query.split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let key = formDecoded(parts[0])
        let value = parts.count > 1 ? formDecoded(parts[1]) : ""
        result[key] = value
    }
    return result
}

/// A query part with `+` as space and `%XX` escapes decoded.
private func formDecoded(_ part: Substring) -> String {
    let text = String(part)
    return text.utf8.contains(UInt8(ascii: "+"))
        ? text.replacingOccurrences(of: "+", with: " ").percentDecoded : text.percentDecoded
}
