package swiftlet.runtime;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * A failure the runtime reports about the function's code rather than an exception the code
 * threw: a handler class that cannot be found, a method with no usable signature, a constructor
 * that throws. Its error document has no stackTrace, as AWS's has none.
 *
 * <p>A fatal fault (the handler's class or instance could not be made) is an init error and ends
 * the process; any other fails every invocation, and the environment lives on, as on AWS.
 */
final class UserFault extends RuntimeException {

    private static final long serialVersionUID = 1L;

    final String errorMessage;
    /** The class name of the cause, or null when there is none. */
    final String errorType;
    /** The cause's printed stack trace, or null. */
    final String trace;
    final boolean fatal;

    private UserFault(String errorMessage, String errorType, String trace, boolean fatal) {
        super(errorMessage, null, false, false);
        this.errorMessage = errorMessage;
        this.errorType = errorType;
        this.trace = trace;
        this.fatal = fatal;
    }

    /** A fault with a message only, such as "Invalid handler: `x'". */
    static UserFault of(String message) {
        return new UserFault(message, null, null, false);
    }

    /** A fault whose message, type and trace are those of {@code cause}. */
    static UserFault of(Throwable cause, boolean fatal) {
        String message = cause.getLocalizedMessage() == null ? cause.getClass().getName() : cause.getLocalizedMessage();
        return new UserFault(message, cause.getClass().getName(), trace(cause), fatal);
    }

    static UserFault classNotFound(Throwable cause, String className) {
        return new UserFault("Class not found: " + className, cause.getClass().getName(), trace(cause), false);
    }

    /** The handler's class failed to load or initialise: fatal unless only a dependency is missing. */
    static UserFault loadFailure(Throwable cause, String className, boolean fatal) {
        String message = "Error loading class " + className
            + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        return new UserFault(message, cause.getClass().getName(), trace(cause), fatal);
    }

    static UserFault methodLoadFailure(Throwable cause, String methodName, String className) {
        return new UserFault("Error loading method " + methodName + " on class " + className,
            cause.getClass().getName(), trace(cause), false);
    }

    /** The log record AWS writes for a fault: "message: type", then the trace. */
    String reportableError() {
        if (errorType == null && trace == null) {
            return errorMessage + "\n";
        }
        return errorMessage + ": " + (errorType == null ? "" : errorType) + "\n" + (trace == null ? "" : trace) + "\n";
    }

    /** The stack trace as printStackTrace writes it, without the runtime's own frames. */
    static String trace(Throwable cause) {
        StackTraces.filter(cause);
        StringWriter text = new StringWriter();
        cause.printStackTrace(new PrintWriter(text));
        return text.toString();
    }
}
