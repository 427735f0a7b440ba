import Archive
import Auth
import Foundation
import HTTP

/// The commands people type: they call a running server's AWS APIs over HTTP.
enum ClientCommands {
    static let defaultRole = "arn:aws:iam::123456789012:role/swiftlet-default"

    /// Runs `command`; returns the process exit status.
    static func run(_ command: String, _ arguments: Arguments) throws -> Int32 {
        let api = try APIClient(
            endpoint: arguments.option("endpoint")
                ?? ProcessInfo.processInfo.environment["SWIFTLET_ENDPOINT"] ?? "http://127.0.0.1:9000")
        switch command {
        case "deploy": return try deploy(api, arguments)
        case "invoke": return try invoke(api, arguments)
        case "logs": return try logs(api, arguments)
        case "ls": return try list(api)
        default: return try remove(api, arguments)
        }
    }

    private static func deploy(_ api: APIClient, _ arguments: Arguments) throws -> Int32 {
        guard let directory = arguments.positional.first else { throw UsageError("deploy needs a directory") }
        let name = try arguments.required("name")
        let zip = try ZipArchive.create(fromDirectory: directory)
        let zipBase64 = Data(zip).base64EncodedString()
        var configuration: [String: Any] = [
            "Runtime": try arguments.required("runtime"), "Handler": try arguments.required("handler"),
        ]
        if let memory = try arguments.integer("memory") { configuration["MemorySize"] = memory }
        if let timeout = try arguments.integer("timeout") { configuration["Timeout"] = timeout }

        let existing = try api.call("GET", "/2015-03-31/functions/\(name)/configuration")
        let result: [String: Any]
        if existing.status == 404 {
            var body = configuration
            body["FunctionName"] = name
            if let role = arguments.option("role") {
                body["Role"] = role
            } else {
                try ensureDefaultRole(api)
                body["Role"] = defaultRole
            }
            body["Code"] = ["ZipFile": zipBase64]
            result = try api.expect(201, api.call("POST", "/2015-03-31/functions", json: body))
            print("created \(name)")
        } else {
            _ = try api.expect(200, existing)
            _ = try api.expect(200, api.call("PUT", "/2015-03-31/functions/\(name)/code", json: ["ZipFile": zipBase64]))
            result = try api.expect(
                200, api.call("PUT", "/2015-03-31/functions/\(name)/configuration", json: configuration))
            print("updated \(name)")
        }
        print("  arn:        \(result["FunctionArn"] ?? "")")
        print("  code:       \(result["CodeSize"] ?? 0) bytes, sha256 \(result["CodeSha256"] ?? "")")
        print("  invoke it:  swiftlet invoke \(name) --payload '{}'")
        return 0
    }

    /// Creates `swiftlet-default` unless it exists: trusted by Lambda, allowed to write its logs.
    static func ensureDefaultRole(_ api: APIClient) throws {
        let trust =
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","#
            + #""Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        let created = try api.iam(
            "CreateRole", [("RoleName", "swiftlet-default"), ("AssumeRolePolicyDocument", trust)])
        guard created.status == 200 || created.status == 409 else {
            throw ServerError(description: "cannot create the role swiftlet-default: HTTP \(created.status)")
        }
        guard created.status == 200 else { return }
        let policy = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        let attached = try api.iam("AttachRolePolicy", [("RoleName", "swiftlet-default"), ("PolicyArn", policy)])
        guard attached.status == 200 else {
            throw ServerError(description: "cannot attach \(policy) to swiftlet-default: HTTP \(attached.status)")
        }
        print("created the execution role swiftlet-default")
    }

    private static func invoke(_ api: APIClient, _ arguments: Arguments) throws -> Int32 {
        guard let name = arguments.positional.first else { throw UsageError("invoke needs a function name") }
        let payload = Array((arguments.option("payload") ?? "{}").utf8)
        let response = try api.call(
            "POST", "/2015-03-31/functions/\(name)/invocations", body: payload, headers: ["X-Amz-Log-Type": "Tail"])
        guard response.status == 200 else {
            _ = try api.expect(200, response)
            return 1
        }
        print(String(decoding: response.body, as: UTF8.self))
        if let error = response.headers["X-Amz-Function-Error"] {
            printError("function error: \(error)")
            return 1
        }
        return 0
    }

    private static func logs(_ api: APIClient, _ arguments: Arguments) throws -> Int32 {
        guard let name = arguments.positional.first else { throw UsageError("logs needs a function name") }
        _ = try api.expect(200, api.call("GET", "/2015-03-31/functions/\(name)/configuration"))
        var startTime: Int64 = 0
        var seen = Set<String>()
        repeat {
            var token: String?
            repeat {
                var body: [String: Any] = ["logGroupName": "/aws/lambda/\(name)", "startTime": startTime]
                if let token { body["nextToken"] = token }
                let response = try api.logs("FilterLogEvents", body)
                if response.status == 400, response.body.contains(Array("ResourceNotFoundException".utf8)) {
                    break  // Never invoked yet: no log group, nothing to show.
                }
                let page = try api.expect(200, response)
                for event in page["events"] as? [[String: Any]] ?? [] {
                    let id = event["eventId"] as? String ?? ""
                    guard seen.insert(id).inserted else { continue }
                    print((event["message"] as? String ?? "").trimmingCharacters(in: .newlines))
                    startTime = max(startTime, (event["timestamp"] as? NSNumber)?.int64Value ?? 0)
                }
                token = page["nextToken"] as? String
            } while token != nil
            if arguments.flag("follow") {
                Thread.sleep(forTimeInterval: 1)
            }
        } while arguments.flag("follow")
        return 0
    }

    private static func list(_ api: APIClient) throws -> Int32 {
        var marker: String?
        var first = true
        repeat {
            let query = marker.map {
                "?Marker=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)"
            }
            let page = try api.expect(200, api.call("GET", "/2015-03-31/functions/" + (query ?? "")))
            if first {
                print(
                    "NAME".padding(toLength: 32, withPad: " ", startingAt: 0)
                        + " RUNTIME          MEMORY  TIMEOUT  LAST MODIFIED")
                first = false
            }
            for function in page["Functions"] as? [[String: Any]] ?? [] {
                let name = (function["FunctionName"] as? String ?? "").padding(
                    toLength: 32, withPad: " ", startingAt: 0)
                let runtime = (function["Runtime"] as? String ?? "-").padding(toLength: 16, withPad: " ", startingAt: 0)
                let memory = "\(function["MemorySize"] ?? "")".padding(toLength: 7, withPad: " ", startingAt: 0)
                let timeout = "\(function["Timeout"] ?? "")s".padding(toLength: 8, withPad: " ", startingAt: 0)
                print("\(name) \(runtime) \(memory) \(timeout) \(function["LastModified"] ?? "")")
            }
            marker = page["NextMarker"] as? String
        } while marker != nil
        return 0
    }

    private static func remove(_ api: APIClient, _ arguments: Arguments) throws -> Int32 {
        guard let name = arguments.positional.first else { throw UsageError("rm needs a function name") }
        _ = try api.expect(204, api.call("DELETE", "/2015-03-31/functions/\(name)"))
        print("deleted \(name)")
        return 0
    }
}

/// Calls a Swiftlet server and turns AWS error documents into readable errors.
///
/// Requests are SigV4-signed with the first credentials found, where AWS's tools look:
/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`); then the profile
/// `AWS_PROFILE` (default `default`) of the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`,
/// default `~/.aws/credentials`); then `SWIFTLET_ROOT_ACCESS_KEY_ID` / `SWIFTLET_ROOT_SECRET_ACCESS_KEY`;
/// then `./swiftlet-data/credentials`, the root credentials file `swiftlet serve` writes.
struct APIClient {
    let client: HTTPClient
    let endpoint: String
    let host: String
    let credentials: Credentials?
    let region: String

    init(endpoint: String) throws {
        guard let url = URL(string: endpoint), url.scheme == "http", let host = url.host else {
            throw UsageError("the endpoint must look like http://HOST:PORT, not '\(endpoint)'")
        }
        self.endpoint = endpoint
        self.host = url.port.map { "\(host):\($0)" } ?? host
        self.client = HTTPClient(address: SocketAddress(host: host, port: url.port ?? 80), timeoutSeconds: 960)
        let environment = ProcessInfo.processInfo.environment
        self.region = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        self.credentials = Self.findCredentials(environment)
    }

    static func findCredentials(_ environment: [String: String]) -> Credentials? {
        if let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"] {
            return Credentials(
                accessKeyId: key, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"])
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let shared = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? home + "/.aws/credentials"
        if let text = try? String(contentsOfFile: shared, encoding: .utf8),
            let found = CredentialsFile(parsing: text).credentials(profile: environment["AWS_PROFILE"] ?? "default")
        {
            return found
        }
        if let key = environment["SWIFTLET_ROOT_ACCESS_KEY_ID"],
            let secret = environment["SWIFTLET_ROOT_SECRET_ACCESS_KEY"]
        {
            return Credentials(accessKeyId: key, secretAccessKey: secret)
        }
        return (try? String(contentsOfFile: "swiftlet-data/credentials", encoding: .utf8))
            .flatMap { CredentialsFile(parsing: $0).credentials() }
    }

    func call(
        _ method: String, _ path: String, json: [String: Any]? = nil, body: [UInt8] = [], headers: HTTPHeaders = [:]
    ) throws -> HTTPResponse {
        var requestBody = body
        var requestHeaders = headers
        if let json {
            requestBody = Array(try JSONSerialization.data(withJSONObject: json))
            requestHeaders.add("Content-Type", "application/json")
        }
        requestHeaders.set("Host", host)
        if let credentials {
            let parts = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            let service =
                requestHeaders["X-Amz-Target"]?.hasPrefix("Logs_") == true
                ? "logs"
                : requestHeaders["Content-Type"]?.hasPrefix("application/x-www-form") == true ? "iam" : "lambda"
            let request = SigV4.Request(
                method: method, path: String(parts[0]), query: parts.count > 1 ? String(parts[1]) : "",
                headers: requestHeaders.fields, body: requestBody)
            for field in SigV4.sign(request, credentials: credentials, region: region, service: service) {
                requestHeaders.add(field.name, field.value)
            }
        }
        do {
            return try client.send(method: method, target: path, headers: requestHeaders, body: requestBody)
        } catch {
            throw ServerError(description: "cannot reach Swiftlet at \(endpoint): \(error)")
        }
    }

    /// An IAM query-protocol call: `Action` and its parameters as a form.
    func iam(_ action: String, _ parameters: [(String, String)]) throws -> HTTPResponse {
        let fields = [("Action", action), ("Version", "2010-05-08")] + parameters
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let form = fields.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }
        let headers: HTTPHeaders = ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8"]
        return try call("POST", "/", body: Array(form.joined(separator: "&").utf8), headers: headers)
    }

    func logs(_ operation: String, _ body: [String: Any]) throws -> HTTPResponse {
        let headers: HTTPHeaders = [
            "X-Amz-Target": "Logs_20140328.\(operation)", "Content-Type": "application/x-amz-json-1.1",
        ]
        return try call("POST", "/", body: Array(try JSONSerialization.data(withJSONObject: body)), headers: headers)
    }

    /// The response's JSON object when its status is `status`; otherwise the AWS error, as an error.
    func expect(_ status: Int, _ response: HTTPResponse) throws -> [String: Any] {
        let document = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        guard response.status == status else {
            let code =
                response.headers["X-Amzn-ErrorType"] ?? document["__type"] as? String ?? "HTTP \(response.status)"
            let message = document["message"] as? String ?? document["Message"] as? String ?? ""
            throw ServerError(description: "\(code): \(message)")
        }
        return document
    }
}

struct ServerError: Error, CustomStringConvertible {
    let description: String
}
