package com.amazonaws.services.lambda.runtime.logging;

/** The function's log format, from AWS_LAMBDA_LOG_FORMAT. */
public enum LogFormat {
    JSON,
    TEXT;

    /** Parses a format name in any case; throws IllegalArgumentException for an unknown name. */
    public static LogFormat fromString(String logFormat) {
        try {
            return LogFormat.valueOf(logFormat.toUpperCase());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Invalid log format: '" + logFormat
                + "' expected one of [JSON, TEXT]");
        }
    }
}
