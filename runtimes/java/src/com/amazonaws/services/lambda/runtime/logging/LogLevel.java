package com.amazonaws.services.lambda.runtime.logging;

/** Log levels in increasing severity. UNDEFINED marks a record logged without a level. */
public enum LogLevel {
    UNDEFINED,
    TRACE,
    DEBUG,
    INFO,
    WARN,
    ERROR,
    FATAL;

    /** Parses a level name in any case; throws IllegalArgumentException for an unknown name. */
    public static LogLevel fromString(String logLevel) {
        try {
            return LogLevel.valueOf(logLevel.toUpperCase());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Invalid log level: '" + logLevel
                + "' expected one of [TRACE, DEBUG, INFO, WARN, ERROR, FATAL]");
        }
    }
}
