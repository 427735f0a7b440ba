package com.amazonaws.services.lambda.runtime;

import com.amazonaws.services.lambda.runtime.logging.LogLevel;

/**
 * Writes to the function's log. Each call is one log record, however many lines the message
 * has, whereas every line printed to System.out becomes a record of its own.
 */
public interface LambdaLogger {

    void log(String message);

    void log(byte[] message);

    /** Logs at a level; records below AWS_LAMBDA_LOG_LEVEL are dropped. */
    default void log(String message, LogLevel logLevel) {
        log(message);
    }

    default void log(byte[] message, LogLevel logLevel) {
        log(message);
    }
}
