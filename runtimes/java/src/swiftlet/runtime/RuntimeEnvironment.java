package swiftlet.runtime;

import com.amazonaws.services.lambda.runtime.logging.LogLevel;

/**
 * The environment variables the runtime reads, read once: an execution environment's
 * environment does not change under it.
 */
record RuntimeEnvironment(
    String runtimeApi,
    String handler,
    String functionName,
    String functionVersion,
    int memoryMegabytes,
    String logGroupName,
    String logStreamName,
    boolean jsonLogs,
    LogLevel logLevel) {

    static RuntimeEnvironment read() {
        return new RuntimeEnvironment(
            System.getenv("AWS_LAMBDA_RUNTIME_API"),
            System.getenv().getOrDefault("_HANDLER", ""),
            System.getenv("AWS_LAMBDA_FUNCTION_NAME"),
            System.getenv("AWS_LAMBDA_FUNCTION_VERSION"),
            memory(System.getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")),
            System.getenv("AWS_LAMBDA_LOG_GROUP_NAME"),
            System.getenv("AWS_LAMBDA_LOG_STREAM_NAME"),
            "JSON".equalsIgnoreCase(System.getenv("AWS_LAMBDA_LOG_FORMAT")),
            level(System.getenv("AWS_LAMBDA_LOG_LEVEL")));
    }

    /** MemorySize in megabytes; 128, Lambda's default, when unset or unreadable. */
    private static int memory(String value) {
        try {
            return value == null ? 128 : Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            return 128;
        }
    }

    /** The minimum level of records; every level passes when it is unset or unknown. */
    private static LogLevel level(String value) {
        if (value == null || value.isBlank()) {
            return LogLevel.UNDEFINED;
        }
        try {
            return LogLevel.fromString(value.trim());
        } catch (IllegalArgumentException e) {
            return LogLevel.UNDEFINED;
        }
    }
}
