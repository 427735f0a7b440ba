// The errors the runtime client reports, and the shapes AWS's Node.js 20 runtime gives
// them: the document posted to the Runtime API and the text written to the log.

import util from 'node:util';

/** Each runtime failure has AWS's type as its name, so that its stack begins with it. */
function runtimeError(name, makeMessage = (message) => message) {
  const type = class extends Error {
    constructor(...args) {
      super(makeMessage(...args));
    }
  };
  Object.defineProperty(type, 'name', { value: name });
  type.prototype.name = `Runtime.${name}`;
  return type;
}

export const HandlerNotFound = runtimeError('HandlerNotFound');
export const MalformedHandlerName = runtimeError('MalformedHandlerName');
// These two wrap the error Node raised, whose text becomes their message.
export const ImportModuleError = runtimeError('ImportModuleError', String);
export const UserCodeSyntaxError = runtimeError('UserCodeSyntaxError', String);
export const NodeJsExit = runtimeError(
  'NodeJsExit',
  () =>
    'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly ' +
    'caused by a Promise that was never settled. For more information, see ' +
    'https://nodejs.org/docs/latest/api/process.html#exit-codes',
);

export class UnhandledPromiseRejection extends Error {
  constructor(reason, promise) {
    super(reason);
    this.reason = reason;
    this.promise = promise;
  }
}
UnhandledPromiseRejection.prototype.name = 'Runtime.UnhandledPromiseRejection';

/** The handler's result could not be encoded as JSON (a cycle, a BigInt). */
export function stringifyError() {
  return new Error('Unable to stringify response body');
}

/** True for errors, and for objects that look enough like one to be reported as one. */
function isErrorLike(value) {
  return (
    util.types.isNativeError(value) ||
    (value &&
      typeof value.name === 'string' &&
      typeof value.message === 'string' &&
      typeof value.stack === 'string' &&
      value.name !== '' &&
      value.message !== '' &&
      value.stack !== '')
  );
}

/**
 * The body posted to /invocation/{id}/error or /init/error: errorType, errorMessage and
 * trace (the stack's lines). Anything thrown that is not an error is described by its
 * typeof and its toString(), with an empty trace, as AWS does.
 */
export function errorDocument(error) {
  try {
    if (isErrorLike(error)) {
      return { errorType: error.name, errorMessage: error.message, trace: error.stack.split('\n') };
    }
    return { errorType: typeof error, errorMessage: error.toString(), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or ' +
        'more of its message, name, and stack',
    };
  }
}

/** What may be thrown or passed to a callback, as an Error. */
export function intoError(value) {
  return value instanceof Error ? value : new Error(value);
}

/** An error's own fields beside its type, message and stack lines, for JSON. */
function withEnumerableProperties(value) {
  if (!(value instanceof Error)) {
    return value;
  }
  const fields = { errorType: value.name, errorMessage: value.message, code: value.code, ...value };
  if (typeof value.stack === 'string') {
    fields.stack = value.stack.split('\n');
  }
  return fields;
}

/** An error as the text log shows it after its label: a tab, then one line of JSON. */
export function formatForTextLog(error) {
  try {
    return '\t' + JSON.stringify(error, (_key, value) => withEnumerableProperties(value));
  } catch {
    return '\t' + JSON.stringify(errorDocument(error));
  }
}
