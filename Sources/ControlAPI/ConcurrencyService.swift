import HTTP
import Invoker
import Store

/// Put/Get/DeleteFunctionConcurrency: reserved concurrency, carved out of the
/// account limit, with AWS's rule that 100 executions stay unreserved.
struct ConcurrencyService: Sendable {
    /// Executions that must stay unreserved, as on AWS.
    static let minimumUnreserved = 100

    let store: any Store
    let concurrency: any ConcurrencyStore
    let invoker: Invoker
    let accountLimit: Int

    func put(_ request: HTTPRequest, _ context: RequestContext, name: String) throws(AWSError) -> HTTPResponse {
        var reader = try LambdaService.reader(request)
        let value = reader.integer("ReservedConcurrentExecutions")
        reader.validator.required(reader.document["ReservedConcurrentExecutions"], at: "reservedConcurrentExecutions")
        reader.validator.range(value, at: "reservedConcurrentExecutions", min: 0)
        try reader.validator.check()
        let function = try existingFunction(name, context)
        let others = try allReserved().filter { $0.key != function }.values.reduce(0, +)
        guard let value, accountLimit - others - value >= Self.minimumUnreserved else {
            throw AWSError.invalidParameter(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                    + "UnreservedConcurrentExecution below its minimum value of [\(Self.minimumUnreserved)].")
        }
        try save(function, value)
        return LambdaService.json(200, ["ReservedConcurrentExecutions": .number(Double(value))], context)
    }

    func get(_ context: RequestContext, name: String) throws(AWSError) -> HTTPResponse {
        let function = try existingFunction(name, context)
        let value: Int?
        do {
            value = try concurrency.reservedConcurrency(functionName: function)
        } catch {
            throw AWSError.service()
        }
        let document: JSONValue = value.map { ["ReservedConcurrentExecutions": .number(Double($0))] } ?? [:]
        return LambdaService.json(200, document, context)
    }

    func delete(_ context: RequestContext, name: String) throws(AWSError) -> HTTPResponse {
        let function = try existingFunction(name, context)
        try save(function, nil)
        return HTTPResponse(status: 204, headers: ["X-Amzn-RequestId": context.requestId])
    }

    /// What the account has left for functions without a reservation.
    func unreservedConcurrency() -> Int {
        accountLimit - ((try? allReserved().values.reduce(0, +)) ?? 0)
    }

    private func save(_ function: String, _ value: Int?) throws(AWSError) {
        do {
            try concurrency.setReservedConcurrency(functionName: function, reserved: value)
        } catch {
            throw AWSError.service()
        }
        invoker.setReservedConcurrency(value, for: function)
    }

    private func allReserved() throws(AWSError) -> [String: Int] {
        do {
            return try concurrency.allReservedConcurrency()
        } catch {
            throw AWSError.service()
        }
    }

    private func existingFunction(_ name: String, _ context: RequestContext) throws(AWSError) -> String {
        guard let reference = FunctionReference(parsing: name) else {
            throw AWSError.validation(
                "1 validation error detected: Value '\(name)' at 'functionName' failed to "
                    + "satisfy constraint: Member must satisfy regular expression pattern: "
                    + LambdaShapes.functionNamePattern)
        }
        guard (try? store.function(named: reference.name)) ?? nil != nil else {
            throw AWSError.resourceNotFound("Function not found: \(context.functionArn(reference.name))")
        }
        return reference.name
    }
}
