// Swiftlet's runtime client for the nodejs20.x runtime.
//
// Speaks the Lambda Runtime API (2018-06-01) at http://$AWS_LAMBDA_RUNTIME_API with Node's
// standard library only. What a function and its callers can observe follows AWS's
// Node.js 20 runtime: NODE_PATH (set by the bootstrap), how the handler is found and
// loaded, the context object, async and callback handlers, the error documents, the
// JSON encoding of results and the log records. docs/RUNTIME-API.md describes the
// Python client; this one differs where AWS's Node.js runtime does.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { attachInvocationData, beforeExit, buildCallbackContext } from './context.mjs';
import { errorDocument, NodeJsExit, UnhandledPromiseRejection } from './errors.mjs';
import { loadHandler, warmUp } from './handler-loader.mjs';
import { patchConsole, setCurrentRequestId } from './logging.mjs';
import { RuntimeApiClient } from './runtime-api.mjs';

// Exit statuses after an uncaught exception or an unhandled rejection, as AWS's runtime.
const EXIT_UNCAUGHT_EXCEPTION = 129;
const EXIT_UNHANDLED_REJECTION = 128;

/** The Runtime API failed: nothing more can be reported, so the process ends. */
function exitOnRuntimeApiFailure(error) {
  process.stderr.write(`swiftlet runtime: ${error.message}\n`);
  process.exit(1);
}

function isPromise(value) {
  return value !== null && value !== undefined && typeof value.then === 'function';
}

function isAsyncFunction(handler) {
  return handler?.constructor?.name === 'AsyncFunction';
}

/** Sets _X_AMZN_TRACE_ID from the invocation's trace header, or removes it. */
function forwardTraceId(headers) {
  const traceId = headers['lambda-runtime-trace-id'];
  if (traceId) {
    process.env._X_AMZN_TRACE_ID = traceId;
  } else {
    delete process.env._X_AMZN_TRACE_ID;
  }
}

/**
 * The invocation loop. Each turn waits for an invocation, runs the handler and leaves the
 * next turn to whichever way the invocation ends (see context.mjs), so the loop never
 * blocks the handler's own work on the event loop.
 */
class Runtime {
  constructor(client, handler, logError, failures) {
    this.client = client;
    this.handler = handler;
    this.handlerIsAsync = isAsyncFunction(handler);
    this.logError = logError;
    this.failures = failures;
    this.scheduleNext = () => setImmediate(() => this.handleOnce().catch(exitOnRuntimeApiFailure));
  }

  async handleOnce() {
    const { requestId, headers, body } = await this.client.nextInvocation();
    setCurrentRequestId(requestId);
    forwardTraceId(headers);

    const report = this.reporter(requestId);
    const [callback, callbackContext, markCompleted] = buildCallbackContext(report, this.scheduleNext);
    this.reportFailuresAgainst(requestId);
    this.setDefaultExitListener(report, markCompleted);
    try {
      const context = attachInvocationData(callbackContext, headers);
      const result = this.handler(JSON.parse(body), context, callback);
      if (isPromise(result)) {
        result.then(context.succeed, context.fail).catch(context.fail);
      }
    } catch (error) {
      callback(error);
    }
  }

  /** How one invocation posts its result or its error (logged first, as on AWS). */
  reporter(requestId) {
    return {
      postResult: (json) => this.client.postResponse(requestId, json).catch(exitOnRuntimeApiFailure),
      postError: (error) => {
        this.logError('Invoke Error', error);
        return this.client.postError(requestId, errorDocument(error)).catch(exitOnRuntimeApiFailure);
      },
    };
  }

  /** From now on, a stray exception or rejection fails this invocation and ends the process. */
  reportFailuresAgainst(requestId) {
    const postAndExit = (status) => (error) =>
      this.client.postError(requestId, errorDocument(error)).finally(() => process.exit(status));
    this.failures.uncaughtException = postAndExit(EXIT_UNCAUGHT_EXCEPTION);
    this.failures.unhandledRejection = postAndExit(EXIT_UNHANDLED_REJECTION);
  }

  /**
   * What happens when the event loop empties before the handler ended the invocation: a
   * handler that is not async succeeds with null (it may have returned without calling
   * back), an async one fails with Runtime.NodeJsExit (its promise never settled).
   */
  setDefaultExitListener(report, markCompleted) {
    beforeExit.listener = () => {
      markCompleted();
      if (this.handlerIsAsync) {
        report.postError(new NodeJsExit()).then(this.scheduleNext);
      } else {
        report.postResult('null').then(this.scheduleNext);
      }
    };
  }
}

/**
 * Installs the process-wide listeners. Until the first invocation a stray exception or
 * rejection is an init error; `failures` is replaced per invocation by the Runtime.
 */
function listenForFailures(client, logError) {
  const postInitErrorAndExit = (status) => (error) =>
    client.postInitError(errorDocument(error)).finally(() => process.exit(status));
  const failures = {
    uncaughtException: postInitErrorAndExit(EXIT_UNCAUGHT_EXCEPTION),
    unhandledRejection: postInitErrorAndExit(EXIT_UNHANDLED_REJECTION),
  };

  process.on('uncaughtException', (error) => {
    logError('Uncaught Exception', error);
    failures.uncaughtException(error);
  });
  process.on('unhandledRejection', (reason, promise) => {
    const error = new UnhandledPromiseRejection(reason, promise);
    logError('Unhandled Promise Rejection', error);
    failures.unhandledRejection(error);
  });
  process.on('beforeExit', () => beforeExit.listener());
  return failures;
}

/**
 * Turns a stem cell into a function's environment. Node and this client were started ahead of
 * any function, with placeholders at /var/task and /opt and the heap flags of the memory size
 * the stem cell was made for. The server answers once it has mounted a function's code and
 * layers; the answer's variables replace the stem cell's own. NODE_PATH, which require()
 * read as the process started, stays the bootstrap's: a function that sets its own (or any
 * other NODE_* variable) starts from scratch instead.
 */
async function specialize(client) {
  const { environment } = await client.specialization();
  const nodePath = process.env.NODE_PATH;
  for (const key of Object.keys(process.env)) {
    delete process.env[key];
  }
  Object.assign(process.env, environment);
  if (nodePath !== undefined && process.env.NODE_PATH === undefined) {
    process.env.NODE_PATH = nodePath;
  }
  process.chdir(process.env.LAMBDA_TASK_ROOT || '/var/task');
}

async function main() {
  const address = process.env.AWS_LAMBDA_RUNTIME_API;
  if (!address) {
    process.stderr.write('swiftlet runtime: AWS_LAMBDA_RUNTIME_API is not set\n');
    process.exit(2);
  }

  const client = new RuntimeApiClient(address);
  if (process.env.SWIFTLET_STEM_CELL === '1') {
    await warmUp(path.dirname(fileURLToPath(import.meta.url)));
    await specialize(client).catch(exitOnRuntimeApiFailure);
  }
  const logError = patchConsole(process.env);
  const failures = listenForFailures(client, logError);

  const appRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
  let handler;
  try {
    handler = await loadHandler(appRoot, process.env._HANDLER ?? '');
  } catch (error) {
    // AWS's runtime loads the handler with a top-level await, so a failure reaches its
    // uncaught exception listener: the same log record, init error and exit status.
    logError('Uncaught Exception', error);
    failures.uncaughtException(error);
    return;
  }
  new Runtime(client, handler, logError, failures).scheduleNext();
}

await main();
