// The context object of one invocation, and the ways a handler can end it: its returned
// promise, the callback, or the legacy context.done, succeed and fail. As in AWS's
// Node.js 20 runtime, only the first of those counts, and a callback's result waits for
// the event loop to empty unless context.callbackWaitsForEmptyEventLoop is false.

import { stringifyError } from './errors.mjs';

// Read once, at the first invocation: an execution environment's function does not change
// under it, but a stem cell learns its function only after this module has loaded.
let functionFields;

function readFunctionFields() {
  functionFields ??= Object.freeze({
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
  });
  return functionFields;
}

/**
 * The one function the process runs when its event loop empties: `process.on('beforeExit')`
 * calls `beforeExit.listener`, which each invocation replaces.
 */
export const beforeExit = {
  listener: () => {},
  reset() {
    this.listener = () => {};
  },
};

/** The result as the response body: JSON, with undefined (and unencodable values) as null. */
export function encodeResult(result) {
  let json;
  try {
    json = JSON.stringify(result === undefined ? null : result);
  } catch {
    throw stringifyError();
  }
  // A function or a symbol has no JSON form: JSON.stringify returns undefined for them.
  return json === undefined ? 'null' : json;
}

/**
 * Builds the handler's callback and the part of the context that ends the invocation.
 * `report` has postResult(json) and postError(error), both returning promises;
 * `scheduleNext` starts waiting for the next invocation. Returns
 * [callback, callbackContext, markCompleted], where markCompleted stops a late result
 * from being posted once the runtime has ended the invocation itself.
 */
export function buildCallbackContext(report, scheduleNext) {
  let completed = false;
  let waitForEmptyEventLoop = true;

  const postError = (error) => report.postError(error).then(scheduleNext);
  const complete = (result) => {
    if (completed) {
      console.error(
        'Invocation has already been reported as done. Cannot call complete more than once per invocation.',
      );
      return;
    }
    completed = true;
    // Encoded here, synchronously, so that an unencodable result throws to the caller
    // (the handler, or the promise chain) and is reported as the invocation's error.
    const json = encodeResult(result);
    report.postResult(json).then(scheduleNext);
  };

  const callback = (error, result) => {
    beforeExit.reset();
    if (error !== undefined && error !== null) {
      postError(error);
    } else if (!waitForEmptyEventLoop) {
      complete(result);
    } else {
      beforeExit.listener = () => setImmediate(() => complete(result));
    }
  };
  const done = (error, result) => {
    beforeExit.reset();
    if (error !== undefined && error !== null) {
      postError(error);
    } else {
      complete(result);
    }
  };

  const callbackContext = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
    succeed: (result) => done(null, result),
    fail: (error) => (error === undefined || error === null ? done('handled') : done(error, null)),
    done,
  };
  return firstCallOnly(callback, callbackContext, () => {
    completed = true;
  });
}

/** Lets only the first call to any of callback, succeed, fail and done take effect. */
function firstCallOnly(callback, callbackContext, markCompleted) {
  let finished = false;
  const once = (action) =>
    function (...args) {
      if (!finished) {
        action(...args);
        // Set after the call: one that threw (an unencodable result) leaves the way open
        // for the error that follows it.
        finished = true;
      }
    };
  callbackContext.succeed = once(callbackContext.succeed);
  callbackContext.fail = once(callbackContext.fail);
  callbackContext.done = once(callbackContext.done);
  return [once(callback), callbackContext, markCompleted];
}

function parseJsonHeader(value, name) {
  if (value === undefined) {
    return undefined;
  }
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new Error(`Cannot parse ${name} as json: ${error.toString()}`);
  }
}

/**
 * Completes the context from the invocation's /next headers (lower-cased, as Node gives
 * them) and the function's environment. Throws when the client context or the Cognito
 * identity is not JSON.
 */
export function attachInvocationData(callbackContext, headers) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  return Object.assign(callbackContext, readFunctionFields(), {
    clientContext: parseJsonHeader(headers['lambda-runtime-client-context'], 'ClientContext'),
    identity: parseJsonHeader(headers['lambda-runtime-cognito-identity'], 'CognitoIdentity'),
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    tenantId: headers['lambda-runtime-aws-tenant-id'],
    // Not clamped at zero, as on AWS: past the deadline it is negative.
    getRemainingTimeInMillis: () => deadline - Date.now(),
  });
}
