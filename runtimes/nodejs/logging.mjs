// The function's console, as AWS's Node.js 20 runtime patches it. Each console call is one
// log record on stdout, one line:
//
//   text (default):  2026-12-03T16:00:00.123Z <TAB> request id <TAB> LEVEL <TAB> message
//   JSON:            {"timestamp":"...","level":"INFO","requestId":"...","message":...}
//
// AWS_LAMBDA_LOG_FORMAT=JSON selects JSON, and AWS_LAMBDA_LOG_LEVEL drops the records below
// a level (the server sets both from the function's LoggingConfig). The newlines of a
// multi-line message become carriage returns, so that the record stays one line for the
// server, which splits what it reads on newlines and keeps a line with \r as one event.

import util from 'node:util';

import { formatForTextLog, intoError } from './errors.mjs';

// Where the current request id lives; the symbol is AWS's, so libraries that read it
// (Powertools, for one) find it here too.
const REQUEST_ID = Symbol.for('aws.lambda.runtime.requestId');

const LEVELS = Object.freeze({
  TRACE: { name: 'TRACE', priority: 1 },
  DEBUG: { name: 'DEBUG', priority: 2 },
  INFO: { name: 'INFO', priority: 3 },
  WARN: { name: 'WARN', priority: 4 },
  ERROR: { name: 'ERROR', priority: 5 },
  FATAL: { name: 'FATAL', priority: 6 },
});

/** Sets the request id that the records written from now on carry. */
export function setCurrentRequestId(requestId) {
  globalThis[REQUEST_ID] = requestId;
}

function writeRecord(line) {
  // Writes to a pipe or a file are synchronous in Node on Linux: the record reaches the
  // server before the runtime client posts the invocation's result.
  process.stdout.write(line.replace(/\n/g, '\r') + '\n');
}

function textRecord(level, message, params) {
  const text = util.format(message, ...params);
  return `${new Date().toISOString()}\t${globalThis[REQUEST_ID]}\t${level.name}\t${text}`;
}

/** Errors in a JSON message become their type, message and stack lines, and own fields. */
function replaceErrors(_key, value) {
  if (!(value instanceof Error)) {
    return value;
  }
  return {
    errorType: value?.constructor?.name ?? 'UnknownError',
    errorMessage: value.message,
    stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
    ...value,
  };
}

/** The first error among a call's arguments, described beside the formatted message. */
function firstErrorFields(params) {
  const error = params.find((param) => param instanceof Error);
  if (error === undefined) {
    return {};
  }
  return {
    errorType: error?.constructor?.name ?? 'UnknownError',
    errorMessage: error.message,
    stackTrace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
  };
}

/**
 * One argument is kept as it is (an object stays an object); several are formatted into
 * one string, as util.format does, with the first error's details beside it.
 */
function jsonRecord(level, message, params) {
  const record = {
    timestamp: new Date().toISOString(),
    level: level.name,
    requestId: globalThis[REQUEST_ID],
  };
  if (params.length === 0) {
    record.message = message;
    try {
      return JSON.stringify(record, replaceErrors);
    } catch {
      record.message = util.format(message);
      return JSON.stringify(record);
    }
  }
  const all = [message, ...params];
  return JSON.stringify({ ...record, message: util.format(...all), ...firstErrorFields(all) });
}

function minimumLevel(environment) {
  return LEVELS[environment.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LEVELS.TRACE;
}

function logMethod(level, format, minimum) {
  if (level.priority < minimum.priority) {
    return () => {};
  }
  return (message, ...params) => writeRecord(format(level, message, params));
}

/**
 * Replaces console.trace, debug, info, log, warn and error (and adds console.fatal) with
 * AWS's record writers, from the environment's format and level. Returns the function
 * that logs a failure the runtime reports, logError(label, error): an ERROR record with
 * the label and the error as one line of JSON, or in JSON format the error alone.
 */
export function patchConsole(environment = process.env) {
  const json = environment.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const format = json ? jsonRecord : textRecord;
  const minimum = minimumLevel(environment);

  console.trace = logMethod(LEVELS.TRACE, format, minimum);
  console.debug = logMethod(LEVELS.DEBUG, format, minimum);
  console.info = logMethod(LEVELS.INFO, format, minimum);
  console.log = console.info;
  console.warn = logMethod(LEVELS.WARN, format, minimum);
  console.error = logMethod(LEVELS.ERROR, format, minimum);
  console.fatal = logMethod(LEVELS.FATAL, format, LEVELS.TRACE);

  if (json) {
    return (_label, error) => console.error(intoError(error));
  }
  return (label, error) => console.error(label, formatForTextLog(intoError(error)));
}
