import Foundation
import Store
import Synchronization

/// The work that makes a function's code ready to run, tracked per function: the
/// `Pending` state after CreateFunction and the `InProgress` update after
/// UpdateFunctionCode or UpdateFunctionConfiguration, as on AWS.
///
/// Preparation (unpacking the zip, merging the layers for `/opt`) runs after the reply,
/// so a create or update answers at once. Whatever needs the prepared code (an invoke,
/// a publish, the next update) waits for it instead of failing with a conflict: every
/// script written for AWS, with or without waiters, sees the same outcome.
final class Preparations: Sendable {
    private struct Running {
        let token: UUID
        let task: Task<Void, Never>
    }

    private let running = Mutex<[String: Running]>([:])

    /// Runs `work` for function `name` after any preparation of it already running.
    func start(_ name: String, _ work: @escaping @Sendable () -> Void) {
        let token = UUID()
        running.withLock { running in
            let previous = running[name]?.task
            let task = Task {
                await previous?.value
                work()
                self.finished(name, token)
            }
            running[name] = Running(token: token, task: task)
        }
    }

    /// Returns once no preparation of function `name` is running.
    func wait(for name: String) async {
        while let task = running.withLock({ $0[name]?.task }) {
            await task.value
        }
    }

    private func finished(_ name: String, _ token: UUID) {
        running.withLock { running in
            if running[name]?.token == token {
                running[name] = nil
            }
        }
    }
}

extension LambdaService {
    /// AWS's wording for a function being prepared.
    static let creatingReason = "The function is being created."

    /// Marks `record` as being prepared, before it is stored: Pending when new, InProgress when updated.
    static func markPreparing(_ record: inout FunctionRecord, isNew: Bool) {
        if isNew {
            record.state = "Pending"
            record.stateReason = creatingReason
            record.stateReasonCode = "Creating"
        }
        record.lastUpdateStatus = "InProgress"
        record.lastUpdateStatusReason = creatingReason
        record.lastUpdateStatusReasonCode = "Creating"
    }

    /// Prepares the stored `$LATEST` of `name` in the background.
    func startPreparing(_ name: String) {
        let service = self
        preparations.start(name) { service.prepare(name) }
    }

    /// Waits for `name`'s preparation; prepares it now when it was left unfinished (a restart).
    func ensurePrepared(_ name: String) async {
        await preparations.wait(for: name)
        guard let record = try? store.function(named: name, version: FunctionRecord.latestVersion),
            record.isBeingPrepared
        else { return }
        startPreparing(name)
        await preparations.wait(for: name)
    }

    /// Starts preparing every function a previous run left Pending or InProgress.
    func resumePreparations() {
        var marker: String?
        while let page = try? store.listFunctions(after: marker, limit: 100), !page.isEmpty {
            for record in page where record.isBeingPrepared {
                startPreparing(record.name)
            }
            marker = page.last?.name
        }
    }

    /// Unpacks the code and merges the layers of `name`'s `$LATEST`, then records the outcome:
    /// Active and Successful, or Failed with the reason. The revision id does not change, so a
    /// client holding it from the create or update reply can still use it.
    private func prepare(_ name: String) {
        guard var record = try? store.function(named: name, version: FunctionRecord.latestVersion),
            record.isBeingPrepared
        else { return }
        let revision = record.revisionId
        var failure: AWSError?
        do {
            _ = try code.directory(sha256Hex: record.codeSha256Hex)
            _ = try code.layersDirectory(for: record.layers)
        } catch {
            failure = error
        }
        Self.recordOutcome(&record, failure: failure)
        // A newer update replaced the record meanwhile: its own preparation records its outcome.
        try? store.updateFunction(record, expectedRevisionId: revision)
    }

    private static func recordOutcome(_ record: inout FunctionRecord, failure: AWSError?) {
        guard let failure else {
            record.state = "Active"
            record.stateReason = nil
            record.stateReasonCode = nil
            record.lastUpdateStatus = "Successful"
            record.lastUpdateStatusReason = nil
            record.lastUpdateStatusReasonCode = nil
            return
        }
        let code = failure.message.hasPrefix("Could not unzip") ? "InvalidZipFileException" : "InternalError"
        record.state = "Failed"
        record.stateReason = failure.message
        record.stateReasonCode = code
        record.lastUpdateStatus = "Failed"
        record.lastUpdateStatusReason = failure.message
        record.lastUpdateStatusReasonCode = code
    }

    /// Invoking a function whose code could not be prepared fails, as on AWS.
    static func refuseUnready(_ record: FunctionRecord) throws(AWSError) {
        guard record.state == "Failed" || record.state == "Pending" else { return }
        throw AWSError.conflict(
            "The operation cannot be performed at this time. The function is currently in the following state: "
                + record.state)
    }
}

extension FunctionRecord {
    /// Whether its code is still being made ready to run (Pending, or an update InProgress).
    var isBeingPrepared: Bool { state == "Pending" || lastUpdateStatus == "InProgress" }
}
