/// An invocation as the runtime client receives it from `invocation/next`.
public struct RuntimeInvocation: Sendable, Equatable {
    public var requestId: String
    public var payload: [UInt8]
    /// Milliseconds since the Unix epoch by which the function must finish.
    public var deadlineMilliseconds: Int64
    public var invokedFunctionArn: String
    public var traceId: String
    public var clientContext: String?
    public var cognitoIdentity: String?

    public init(
        requestId: String, payload: [UInt8], deadlineMilliseconds: Int64, invokedFunctionArn: String,
        traceId: String, clientContext: String? = nil, cognitoIdentity: String? = nil
    ) {
        self.requestId = requestId
        self.payload = payload
        self.deadlineMilliseconds = deadlineMilliseconds
        self.invokedFunctionArn = invokedFunctionArn
        self.traceId = traceId
        self.clientContext = clientContext
        self.cognitoIdentity = cognitoIdentity
    }
}

/// What the runtime client reported for an invocation.
public enum RuntimeOutcome: Sendable, Equatable {
    case response([UInt8])
    /// `invocation/{id}/error`: the error type header and the error document.
    case error(type: String?, document: [UInt8])
}

/// The Runtime API's view of one execution environment, as a pure state
/// machine: inputs are runtime requests and invoker commands, outputs are
/// actions for the caller to perform. It does no I/O.
public struct RuntimeStateMachine<Parked> {
    enum State {
        /// Started; the runtime client has not asked for work yet.
        case initializing
        /// The runtime client waits in `invocation/next`.
        case parked(Parked)
        /// Initialised, but not currently polling (between reply and next poll).
        case ready
        /// The runtime client runs `requestId`.
        case busy(requestId: String)
        /// Initialisation failed or the environment is being torn down.
        case failed
    }

    public enum Action {
        case none
        /// Answer the parked or arriving `next` with this invocation.
        case deliver(to: Parked, RuntimeInvocation)
        /// The first `next`: initialisation has finished (and the runtime client waits).
        case initialized
        /// The runtime client waits in `next` with nothing to do.
        case parked
        /// The first `next` has arrived while an invocation was waiting.
        case initializedAndDeliver(to: Parked, RuntimeInvocation)
        case completed(requestId: String, RuntimeOutcome)
        case initFailed(type: String?, document: [UInt8])
        /// Reject the runtime's request with this status and error type.
        case reject(status: Int, errorType: String, message: String)
    }

    private var state = State.initializing
    private var waiting: RuntimeInvocation?

    public init() {}

    /// True while the runtime client is initialising.
    public var isInitializing: Bool {
        if case .initializing = state { return true }
        return false
    }

    /// The runtime client called `invocation/next`.
    public mutating func next(_ parked: Parked) -> Action {
        switch state {
        case .initializing:
            if let invocation = waiting {
                waiting = nil
                state = .busy(requestId: invocation.requestId)
                return .initializedAndDeliver(to: parked, invocation)
            }
            state = .parked(parked)
            return .initialized
        case .ready:
            if let invocation = waiting {
                waiting = nil
                state = .busy(requestId: invocation.requestId)
                return .deliver(to: parked, invocation)
            }
            state = .parked(parked)
            return .parked
        case .parked, .busy, .failed:
            // AWS answers a second concurrent `next`, or a `next` before the
            // current invocation has a reply, with a state-transition error.
            return .reject(
                status: 403, errorType: "InvalidStateTransition",
                message: "State transition from \(stateName) to Ready failed for runtime.")
        }
    }

    /// The invoker hands the environment an invocation.
    public mutating func invoke(_ invocation: RuntimeInvocation) -> Action {
        precondition(waiting == nil, "an environment runs one invocation at a time")
        switch state {
        case .parked(let parked):
            state = .busy(requestId: invocation.requestId)
            return .deliver(to: parked, invocation)
        case .initializing, .ready:
            waiting = invocation
            return .none
        case .busy, .failed:
            preconditionFailure("invoke on an environment that is \(stateName)")
        }
    }

    /// The runtime client posted a response or error for `requestId`.
    public mutating func reply(requestId: String, _ outcome: RuntimeOutcome) -> Action {
        guard case .busy(let current) = state else {
            return .reject(
                status: 403, errorType: "InvalidStateTransition",
                message: "State transition from \(stateName) to \(replyName(outcome)) failed for runtime.")
        }
        guard current == requestId else {
            return .reject(status: 400, errorType: "InvalidRequestID", message: "Invalid request ID")
        }
        state = .ready
        return .completed(requestId: requestId, outcome)
    }

    /// The runtime client posted `init/error`.
    public mutating func initError(type: String?, document: [UInt8]) -> Action {
        guard case .initializing = state else {
            return .reject(
                status: 403, errorType: "InvalidStateTransition",
                message: "State transition from \(stateName) to InitError failed for runtime.")
        }
        state = .failed
        return .initFailed(type: type, document: document)
    }

    /// The environment is going away; returns the parked poll, if any, to close.
    public mutating func fail() -> Parked? {
        defer { state = .failed }
        if case .parked(let parked) = state {
            return parked
        }
        return nil
    }

    private var stateName: String {
        switch state {
        case .initializing: "Initializing"
        case .parked: "Ready"
        case .ready: "Ready"
        case .busy: "Running"
        case .failed: "Failed"
        }
    }

    private func replyName(_ outcome: RuntimeOutcome) -> String {
        if case .response = outcome { return "InvocationResponse" }
        return "InvocationErrorResponse"
    }
}
