import Foundation
import HTTP

/// Told what the runtime client of one environment does. Called on the event loop thread.
public protocol RuntimeEndpointDelegate: AnyObject, Sendable {
    /// The first `invocation/next`: the runtime client finished initialising.
    func runtimeDidInitialize()
    /// An invocation is about to be written to the runtime client.
    func runtimeDidReceive(_ invocation: RuntimeInvocation)
    func runtimeDidComplete(requestId: String, outcome: RuntimeOutcome)
    func runtimeDidFailInit(type: String?, document: [UInt8])
    /// The runtime client waits in `invocation/next` with nothing to do: the
    /// moment an idle environment can be frozen.
    func runtimeDidPark()
    /// A stem cell's runtime client waits to learn which function it becomes.
    func runtimeAwaitsSpecialization()
}

extension RuntimeEndpointDelegate {
    public func runtimeAwaitsSpecialization() {}
}

/// The Runtime API (2018-06-01) of one execution environment.
///
/// Each environment gets its own listener, so the connection identifies the
/// environment and the paths stay exactly as AWS documents them.
public final class RuntimeEndpoint: HTTPHandler, @unchecked Sendable {
    // @unchecked: `machine` and `delegate` are used only on the event loop thread.
    /// Largest response or error document a runtime client may post (6 MB).
    public static let maximumResponseBytes = 6 * 1024 * 1024
    private static let prefix = "/2018-06-01/runtime/"
    /// Where a stem cell's runtime client waits to be told its function: Swiftlet's own path,
    /// beside AWS's, answered once and only in a stem cell.
    public static let specializationPath = "/2018-06-01/swiftlet/specialization"

    private enum Specialization {
        /// An ordinary environment: started with its function's configuration.
        case notAStemCell
        /// A stem cell; the responder is the runtime client's parked request, once it came.
        case awaiting(HTTPResponder?)
        case specialized
    }

    private var machine = RuntimeStateMachine<HTTPResponder>()
    private weak var delegate: (any RuntimeEndpointDelegate)?
    private var specialization: Specialization

    /// - Parameter stemCell: whether the runtime client will ask which function it becomes.
    public init(stemCell: Bool = false) {
        specialization = stemCell ? .awaiting(nil) : .notAStemCell
    }

    /// True while a stem cell's runtime client is parked, waiting for `specialize`.
    public var awaitsSpecialization: Bool {
        if case .awaiting(.some) = specialization { return true }
        return false
    }

    /// Answers the stem cell's parked request with `document` (the function's environment
    /// variables); false when no runtime client is waiting.
    public func specialize(with document: [UInt8]) -> Bool {
        guard case .awaiting(.some(let responder)) = specialization else { return false }
        specialization = .specialized
        responder.respond(HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: document))
        return true
    }

    /// Connects the environment that reacts to this endpoint's events.
    public func attach(_ delegate: any RuntimeEndpointDelegate) {
        self.delegate = delegate
    }

    /// Hands the runtime client an invocation (now if it is polling, else on its next poll).
    public func invoke(_ invocation: RuntimeInvocation) {
        perform(machine.invoke(invocation))
    }

    /// Tears down: a parked poll is answered with an error and closed.
    public func shutDown() {
        if case .awaiting(.some(let responder)) = specialization {
            specialization = .specialized
            responder.respond(Self.errorResponse(status: 500, type: "EnvironmentShutdown", message: "Shutting down"))
        }
        machine.fail()?.respond(Self.errorResponse(status: 500, type: "EnvironmentShutdown", message: "Shutting down"))
    }

    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        if request.path == Self.specializationPath {
            return awaitSpecialization(request, responder: responder)
        }
        guard request.path.hasPrefix(Self.prefix) else {
            return responder.respond(Self.errorResponse(status: 404, type: "NotFound", message: "Not found"))
        }
        let route = request.path.dropFirst(Self.prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        switch (request.method, route.count, route.first, route.last) {
        case ("GET", 2, "invocation", "next"):
            perform(machine.next(responder))
        case ("POST", 3, "invocation", "response"):
            let requestId = String(route[1])
            perform(machine.reply(requestId: requestId, .response(request.body)), replyTo: responder)
        case ("POST", 3, "invocation", "error"):
            let outcome = RuntimeOutcome.error(
                type: request.headers["Lambda-Runtime-Function-Error-Type"], document: request.body)
            perform(machine.reply(requestId: String(route[1]), outcome), replyTo: responder)
        case ("POST", 2, "init", "error"):
            let type = request.headers["Lambda-Runtime-Function-Error-Type"]
            perform(machine.initError(type: type, document: request.body), replyTo: responder)
        default:
            responder.respond(Self.errorResponse(status: 404, type: "NotFound", message: "Not found"))
        }
    }

    private func awaitSpecialization(_ request: HTTPRequest, responder: HTTPResponder) {
        guard request.method == "GET" else {
            return responder.respond(Self.errorResponse(status: 405, type: "MethodNotAllowed", message: "Use GET"))
        }
        // Only a stem cell's first request is answered: function code, which runs after
        // specialisation, learns nothing here.
        guard case .awaiting(nil) = specialization else {
            return responder.respond(
                Self.errorResponse(
                    status: 403, type: "Forbidden", message: "This environment is not waiting for specialization"))
        }
        specialization = .awaiting(responder)
        delegate?.runtimeAwaitsSpecialization()
    }

    public func maximumBodyBytes(method: String, target: String, headers: HTTPHeaders) -> Int? {
        Self.maximumResponseBytes
    }

    public func payloadTooLargeResponse(method: String, target: String, limit: Int) -> HTTPResponse {
        // The invocation fails as on AWS; the runtime client sees 413.
        let route = target.split(separator: "/")
        if route.count == 5, route[2] == "invocation", route[4] == "response" {
            let document = Self.json([
                "errorMessage": "Response payload size exceeded maximum allowed payload size (\(limit) bytes).",
                "errorType": "Function.ResponseSizeTooLarge",
            ])
            let outcome = RuntimeOutcome.error(type: "Function.ResponseSizeTooLarge", document: document)
            perform(machine.reply(requestId: String(route[3]), outcome))
        }
        return Self.errorResponse(
            status: 413, type: "RequestEntityTooLarge", message: "Request must be smaller than \(limit) bytes")
    }

    private func perform(_ action: RuntimeStateMachine<HTTPResponder>.Action, replyTo responder: HTTPResponder? = nil) {
        switch action {
        case .none:
            break
        case .initialized:
            delegate?.runtimeDidInitialize()
            delegate?.runtimeDidPark()
        case .parked:
            delegate?.runtimeDidPark()
        case .deliver(let parked, let invocation):
            // The delegate hears of the invocation before the runtime client does, so
            // START is logged before anything the function writes.
            delegate?.runtimeDidReceive(invocation)
            parked.respond(Self.nextResponse(invocation))
        case .initializedAndDeliver(let parked, let invocation):
            delegate?.runtimeDidInitialize()
            delegate?.runtimeDidReceive(invocation)
            parked.respond(Self.nextResponse(invocation))
        case .completed(let requestId, let outcome):
            responder?.respond(Self.accepted)
            delegate?.runtimeDidComplete(requestId: requestId, outcome: outcome)
        case .initFailed(let type, let document):
            responder?.respond(Self.accepted)
            delegate?.runtimeDidFailInit(type: type, document: document)
        case .reject(let status, let type, let message):
            responder?.respond(Self.errorResponse(status: status, type: type, message: message))
        }
    }

    private static let accepted = HTTPResponse(
        status: 202, headers: ["Content-Type": "application/json"], text: "{\"status\":\"OK\"}\n")

    static func nextResponse(_ invocation: RuntimeInvocation) -> HTTPResponse {
        var headers: HTTPHeaders = [
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": invocation.requestId,
            "Lambda-Runtime-Deadline-Ms": String(invocation.deadlineMilliseconds),
            "Lambda-Runtime-Invoked-Function-Arn": invocation.invokedFunctionArn,
            "Lambda-Runtime-Trace-Id": invocation.traceId,
        ]
        if let context = invocation.clientContext {
            headers.add("Lambda-Runtime-Client-Context", context)
        }
        if let identity = invocation.cognitoIdentity {
            headers.add("Lambda-Runtime-Cognito-Identity", identity)
        }
        return HTTPResponse(status: 200, headers: headers, body: invocation.payload)
    }

    static func errorResponse(status: Int, type: String, message: String) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: ["Content-Type": "application/json"],
            body: json(["errorMessage": message, "errorType": type]))
    }

    static func json(_ object: [String: String]) -> [UInt8] {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Array(data)
    }
}
