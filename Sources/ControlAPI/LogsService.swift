import HTTP
import Store

/// The CloudWatch Logs operations that boto3's `logs` client and
/// `aws logs tail` use, over the JSON 1.1 protocol (`X-Amz-Target`).
struct LogsService: Sendable {
    let store: any Store

    /// The IAM action and resource of a Logs operation: the log group, or the stream for GetLogEvents.
    static func authorization(
        operation: String, _ request: HTTPRequest, _ context: RequestContext
    ) -> (action: String, resource: String) {
        let document = (try? JSONValue.parse(request.body))?.objectValue ?? [:]
        let groups = "arn:aws:logs:\(context.region):\(context.accountId):log-group:"
        guard let group = document["logGroupName"]?.stringValue else {
            return ("logs:\(operation)", groups + "*")
        }
        if operation == "GetLogEvents", let stream = document["logStreamName"]?.stringValue {
            return ("logs:\(operation)", groups + "\(group):log-stream:\(stream)")
        }
        return ("logs:\(operation)", groups + "\(group):*")
    }

    func handle(operation: String, _ request: HTTPRequest, _ context: RequestContext) -> HTTPResponse {
        do {
            let reader = try LambdaService.reader(request)
            let document: JSONValue
            switch operation {
            case "DescribeLogGroups": document = try describeLogGroups(reader, context)
            case "DescribeLogStreams": document = try describeLogStreams(reader, context)
            case "GetLogEvents": document = try getLogEvents(reader)
            case "FilterLogEvents": document = try filterLogEvents(reader)
            case "DeleteLogGroup": document = try deleteLogGroup(reader)
            default:
                throw AWSError(
                    status: 400, code: "UnknownOperationException",
                    message: "Swiftlet does not implement the CloudWatch Logs operation \(operation).")
            }
            return HTTPResponse(
                status: 200,
                headers: ["Content-Type": "application/x-amz-json-1.1", "X-Amzn-RequestId": context.requestId],
                body: document.serialized())
        } catch let error as AWSError {
            return error.jsonProtocolResponse(requestId: context.requestId)
        } catch {
            return AWSError.service().jsonProtocolResponse(requestId: context.requestId)
        }
    }

    private func describeLogGroups(_ reader: RequestReader, _ context: RequestContext) throws -> JSONValue {
        let limit = try Self.limit(reader, maximum: 50)
        let groups = try store.logGroups(
            prefix: reader.string("logGroupNamePrefix"), after: reader.string("nextToken"),
            limit: limit + 1)
        var document: [String: JSONValue] = [
            "logGroups": .array(
                groups.prefix(limit).map { group in
                    let arn = "arn:aws:logs:\(context.region):\(context.accountId):log-group:\(group.name)"
                    var members: [String: JSONValue] = [
                        "logGroupName": .string(group.name), "creationTime": .number(Double(group.createdMilliseconds)),
                        "metricFilterCount": 0, "arn": .string(arn + ":*"), "logGroupArn": .string(arn),
                        "storedBytes": .number(Double(group.storedBytes)), "logGroupClass": "STANDARD",
                    ]
                    if let days = group.retentionDays {
                        members["retentionInDays"] = .number(Double(days))
                    }
                    return .object(members)
                })
        ]
        if groups.count > limit {
            document["nextToken"] = .string(groups[limit - 1].name)
        }
        return .object(document)
    }

    private func describeLogStreams(_ reader: RequestReader, _ context: RequestContext) throws -> JSONValue {
        let group = try Self.groupName(reader)
        let limit = try Self.limit(reader, maximum: 50)
        let orderBy = reader.string("orderBy") ?? "LogStreamName"
        guard ["LogStreamName", "LastEventTime"].contains(orderBy) else {
            throw Self.invalidParameter("orderBy must be LogStreamName or LastEventTime")
        }
        if orderBy == "LastEventTime", reader.string("logStreamNamePrefix") != nil {
            throw Self.invalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
        }
        try requireGroup(group)
        let page = try store.logStreams(
            group: group, prefix: reader.string("logStreamNamePrefix"), orderByLastEvent: orderBy == "LastEventTime",
            descending: reader.document["descending"]?.boolValue ?? false, after: reader.string("nextToken"),
            limit: limit)
        var document: [String: JSONValue] = [
            "logStreams": .array(
                page.streams.map { stream in
                    var members: [String: JSONValue] = [
                        "logStreamName": .string(stream.name),
                        "creationTime": .number(Double(stream.createdMilliseconds)),
                        "arn": .string(
                            "arn:aws:logs:\(context.region):\(context.accountId):log-group:\(group):log-stream:"
                                + stream.name),
                        "storedBytes": .number(Double(stream.storedBytes)),
                    ]
                    if let first = stream.firstEventMilliseconds {
                        members["firstEventTimestamp"] = .number(Double(first))
                    }
                    if let last = stream.lastEventMilliseconds {
                        members["lastEventTimestamp"] = .number(Double(last))
                    }
                    if let ingestion = stream.lastIngestionMilliseconds {
                        members["lastIngestionTime"] = .number(Double(ingestion))
                    }
                    return .object(members)
                })
        ]
        if let next = page.nextToken {
            document["nextToken"] = .string(next)
        }
        return .object(document)
    }

    private func getLogEvents(_ reader: RequestReader) throws -> JSONValue {
        let group = try Self.groupName(reader)
        guard let stream = reader.string("logStreamName") else {
            throw Self.invalidParameter("logStreamName is required")
        }
        let limit = try Self.limit(reader, maximum: 10_000)
        try requireGroup(group)
        let page = try store.logEvents(
            group: group, stream: stream, startMilliseconds: Self.int64(reader, "startTime"),
            endMilliseconds: Self.int64(reader, "endTime"),
            startFromHead: reader.document["startFromHead"]?.boolValue ?? false, limit: limit,
            token: reader.string("nextToken"))
        return [
            "events": .array(
                page.events.map { event in
                    [
                        "timestamp": .number(Double(event.timestampMilliseconds)), "message": .string(event.message),
                        "ingestionTime": .number(Double(event.ingestionMilliseconds)),
                    ]
                }),
            "nextForwardToken": .string(page.nextForwardToken),
            "nextBackwardToken": .string(page.nextBackwardToken),
        ]
    }

    private func filterLogEvents(_ reader: RequestReader) throws -> JSONValue {
        let group = try Self.groupName(reader)
        let limit = try Self.limit(reader, maximum: 10_000)
        let terms = try Self.terms(reader.string("filterPattern") ?? "")
        try requireGroup(group)
        var streamNames = reader.document["logStreamNames"]?.arrayValue?.compactMap(\.stringValue)
        if let prefix = reader.string("logStreamNamePrefix") {
            let page = try store.logStreams(
                group: group, prefix: prefix, orderByLastEvent: false, descending: false, after: nil, limit: 10_000)
            streamNames = page.streams.map(\.name)
        }
        let page = try store.filterLogEvents(
            group: group, streamNames: streamNames, startMilliseconds: Self.int64(reader, "startTime"),
            endMilliseconds: Self.int64(reader, "endTime"), terms: terms, limit: limit,
            token: reader.string("nextToken"))
        var document: [String: JSONValue] = [
            "events": .array(
                page.events.map { event in
                    [
                        "logStreamName": .string(event.streamName),
                        "timestamp": .number(Double(event.timestampMilliseconds)),
                        "message": .string(event.message),
                        "ingestionTime": .number(Double(event.ingestionMilliseconds)),
                        "eventId": .string(event.eventId),
                    ]
                }),
            "searchedLogStreams": [],
        ]
        if let next = page.nextToken {
            document["nextToken"] = .string(next)
        }
        return .object(document)
    }

    private func deleteLogGroup(_ reader: RequestReader) throws -> JSONValue {
        let group = try Self.groupName(reader)
        try requireGroup(group)
        try store.deleteLogGroup(group)
        return [:]
    }

    private func requireGroup(_ name: String) throws {
        let groups = try store.logGroups(prefix: name, after: nil, limit: 50)
        guard groups.contains(where: { $0.name == name }) else {
            throw AWSError(
                status: 400, code: "ResourceNotFoundException", message: "The specified log group does not exist.")
        }
    }

    /// Plain-term filter patterns: every term (quoted terms may hold spaces) must appear.
    static func terms(_ pattern: String) throws(AWSError) -> [String] {
        let trimmed = pattern.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") || trimmed.contains("?") {
            throw invalidParameter("Swiftlet supports plain-term filter patterns only (terms that must all appear).")
        }
        var terms: [String] = []
        var current = ""
        var quoted = false
        for character in trimmed {
            if character == "\"" {
                quoted.toggle()
            } else if character == " ", !quoted {
                if !current.isEmpty { terms.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { terms.append(current) }
        return terms
    }

    private static func groupName(_ reader: RequestReader) throws(AWSError) -> String {
        guard let name = reader.string("logGroupName") ?? reader.string("logGroupIdentifier"), !name.isEmpty else {
            throw invalidParameter("logGroupName is required")
        }
        return name
    }

    private static func limit(_ reader: RequestReader, maximum: Int) throws(AWSError) -> Int {
        guard let limit = reader.integer("limit") else { return maximum }
        guard (1...maximum).contains(limit) else {
            throw invalidParameter(
                "1 validation error detected: Value '\(limit)' at 'limit' failed to satisfy "
                    + "constraint: Member must have value less than or equal to \(maximum)")
        }
        return limit
    }

    private static func int64(_ reader: RequestReader, _ key: String) -> Int64? {
        reader.document[key]?.numberValue.map { Int64($0) }
    }

    static func invalidParameter(_ message: String) -> AWSError {
        AWSError(status: 400, code: "InvalidParameterException", message: message)
    }
}
