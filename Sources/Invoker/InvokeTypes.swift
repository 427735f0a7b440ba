import Foundation
import Sandbox
import Store

/// The function version an invocation runs, resolved by the Control API.
public struct InvocationTarget: Sendable {
    public var function: FunctionRecord
    /// The ARN the caller invoked (qualified when the caller qualified it).
    public var invokedFunctionArn: String
    /// Where the version's code is unpacked, read-only.
    public var codeDirectory: String
    /// Where the version's layers are merged in order, read-only; nil without layers.
    public var layersDirectory: String?

    public init(
        function: FunctionRecord, invokedFunctionArn: String, codeDirectory: String, layersDirectory: String? = nil
    ) {
        self.function = function
        self.invokedFunctionArn = invokedFunctionArn
        self.codeDirectory = codeDirectory
        self.layersDirectory = layersDirectory
    }

    /// Environments are shared only by invocations of the same configuration.
    var poolKey: String { "\(function.name):\(function.version):\(function.revisionId)" }
}

/// One invocation's input.
public struct InvokeRequest: Sendable {
    public var requestId: String
    public var payload: [UInt8]
    public var clientContext: String?
    public var cognitoIdentity: String?

    public init(
        requestId: String = UUID().uuidString.lowercased(), payload: [UInt8], clientContext: String? = nil,
        cognitoIdentity: String? = nil
    ) {
        self.requestId = requestId
        self.payload = payload
        self.clientContext = clientContext
        self.cognitoIdentity = cognitoIdentity
    }
}

/// One invocation's outcome, as Lambda reports it to the caller.
public struct InvokeResult: Sendable {
    public var requestId: String
    public var payload: [UInt8]
    /// "Unhandled" when the function failed, else nil.
    public var functionError: String?
    public var executedVersion: String
    /// The invocation's log (START to REPORT), for `LogType: Tail`.
    public var log: String
    public var durationMilliseconds: Double
    public var coldStart: Bool
}

/// Why an invocation could not be placed on an environment at all.
public struct InvokeError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable {
        /// Over a concurrency limit; Lambda answers 429.
        case throttled
        /// The server is shutting down.
        case shuttingDown
        /// The environment could not be built (a server-side failure).
        case environmentFailed
    }

    public let code: Code
    public let message: String
    /// For throttles: Lambda's Reason field.
    public let reason: String?

    public var description: String { message }
}

/// Where an environment's log lines go (a log group per function, a stream per environment).
public protocol LogSink: Sendable {
    func append(group: String, stream: String, events: [(timestampMilliseconds: Int64, message: String)])
}

/// Settings of the invoker; each is a `swiftlet serve` option.
public struct InvokerConfiguration: Sendable {
    /// Environments running at once across all functions (the account limit).
    public var accountConcurrencyLimit = 1000
    /// An idle environment is stopped after this long unused.
    public var idleTimeout: Duration = .seconds(300)
    /// How long an environment stays idle before it is frozen (background threads
    /// stop); a busy function's back-to-back invocations never pay for freezing.
    public var freezeDelay: Duration = .milliseconds(50)
    /// Time allowed for a runtime's initialisation, as on AWS.
    public var initTimeout: Duration = .seconds(10)
    /// Directory holding the runtime clients (`python/bootstrap`, ...).
    public var runtimesDirectory: String
    /// How environments are isolated (`--sandbox`).
    public var sandbox: SandboxMode = .none
    /// Host directories every sandbox sees read-only (`--sandbox-bind`).
    public var sandboxBinds: [ReadOnlyBind] = []
    /// Where sandboxes' disk-backed `/tmp` images are made; nil uses a tmpfs.
    public var sandboxScratchDirectory: String?
    /// Environments that may be starting up (initialising) at once; invocations that need a
    /// new environment beyond that wait their turn, first come first served.
    public var maxConcurrentStarts = max(2, ProcessInfo.processInfo.activeProcessorCount + 1)
    /// Memory all environments together may use (`--memory-budget-mb`); nil: the host's total
    /// memory less a headroom (Invoker.defaultMemoryBudget).
    public var memoryBudgetBytes: Int?
    /// Whether sandboxed functions may reach other networks (through slirp4netns).
    public var outboundNetwork = false
    /// Credentials and an endpoint for functions to call the AWS APIs; nil gives them neither.
    public var awsAccess: FunctionAWSAccess?
    /// Stem cells kept ready per runtime that has them (`--stem-cells`); 0 starts every
    /// environment from scratch. Only sandboxed servers have stem cells.
    public var stemCellsPerRuntime = 2
    /// An empty directory (made at start) that stem cells show at `/var/task` and `/opt` until
    /// they are specialised; nil: no stem cells.
    public var stemCellDirectory: String?

    public init(runtimesDirectory: String) {
        self.runtimesDirectory = runtimesDirectory
    }
}
