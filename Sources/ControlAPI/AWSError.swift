import HTTP

/// An error as an AWS service reports it: HTTP status, error code, message.
///
/// The one boundary where every failure of the Control API becomes a
/// response; anything unexpected becomes a 500 that leaks no internals.
public struct AWSError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    /// Extra members of the error document (Lambda's `Type`, a throttle's `Reason`).
    public var extra: [String: JSONValue] = [:]
    public var headers: HTTPHeaders = [:]

    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    static func resourceNotFound(_ message: String) -> AWSError {
        AWSError(status: 404, code: "ResourceNotFoundException", message: message)
    }

    static func conflict(_ message: String) -> AWSError {
        AWSError(status: 409, code: "ResourceConflictException", message: message)
    }

    static func invalidParameter(_ message: String) -> AWSError {
        AWSError(status: 400, code: "InvalidParameterValueException", message: message)
    }

    static func validation(_ message: String) -> AWSError {
        AWSError(status: 400, code: "ValidationException", message: message)
    }

    static func preconditionFailed(_ message: String) -> AWSError {
        AWSError(status: 412, code: "PreconditionFailedException", message: message)
    }

    static func service(_ message: String = "An internal error occurred.") -> AWSError {
        AWSError(status: 500, code: "ServiceException", message: message)
    }

    /// Lambda's REST shape: `X-Amzn-ErrorType` plus `{"Type": "User", "message": ...}`.
    func restResponse(requestId: String) -> HTTPResponse {
        var document = extra
        document["Type"] = .string(status >= 500 ? "Service" : "User")
        document["message"] = .string(message)
        var responseHeaders = headers
        responseHeaders.add("Content-Type", "application/json")
        responseHeaders.add("X-Amzn-ErrorType", code)
        responseHeaders.add("X-Amzn-RequestId", requestId)
        return HTTPResponse(status: status, headers: responseHeaders, body: JSONValue.object(document).serialized())
    }

    /// The JSON-1.1 protocol shape (CloudWatch Logs): `{"__type": code, "message": ...}`.
    func jsonProtocolResponse(requestId: String) -> HTTPResponse {
        let document: JSONValue = ["__type": .string(code), "message": .string(message)]
        return HTTPResponse(
            status: status,
            headers: ["Content-Type": "application/x-amz-json-1.1", "X-Amzn-RequestId": requestId],
            body: document.serialized())
    }

    /// This error in the dialect of `wire`.
    func response(_ wire: WireProtocol, requestId: String) -> HTTPResponse {
        switch wire {
        case .rest: restResponse(requestId: requestId)
        case .json: jsonProtocolResponse(requestId: requestId)
        case .query: queryProtocolResponse(requestId: requestId, namespace: QueryProtocol.iamNamespace)
        }
    }
}
