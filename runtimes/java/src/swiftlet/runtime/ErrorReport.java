package swiftlet.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A failure as the runtime reports it: the error document posted to the Runtime API, the error
 * type header, the X-Ray cause header and the log record, all in the shapes AWS's Java runtime
 * uses.
 *
 * @param errorMessage the document's errorMessage
 * @param errorType the document's errorType and the type header; null for a message-only fault
 * @param stackTrace the document's stackTrace; null (left out) for a fault
 * @param xrayCause the X-Ray error cause JSON, only for exceptions the function threw
 * @param logRecord what is written to the function's log
 */
record ErrorReport(String errorMessage, String errorType, List<String> stackTrace, String xrayCause,
    String logRecord) {

    /** The report of a fault: no stack trace in the document, the cause's trace in the log. */
    static ErrorReport of(UserFault fault) {
        return new ErrorReport(fault.errorMessage, fault.errorType, null, null, fault.reportableError());
    }

    /** The report of an exception the function's code threw (or let through). */
    static ErrorReport of(Throwable error) {
        StackTraces.filter(error);
        String type = error.getClass().getName();
        String message = error.getLocalizedMessage() == null ? type : error.getLocalizedMessage();
        List<String> frames = new ArrayList<>();
        for (StackTraceElement frame : error.getStackTrace()) {
            frames.add(frame.toString());
        }
        return new ErrorReport(message, type, frames, xrayCause(error), UserFault.of(error, false).reportableError());
    }

    /** {"errorMessage", "errorType", "stackTrace"} without the null ones, as AWS's Gson writes it. */
    byte[] document() {
        Map<String, Object> document = new LinkedHashMap<>();
        putUnlessNull(document, "errorMessage", errorMessage);
        putUnlessNull(document, "errorType", errorType);
        putUnlessNull(document, "stackTrace", stackTrace);
        return JsonWriter.toJson(document);
    }

    /** The X-Ray cause: the working directory, the exception with its frames, and the files. */
    private static String xrayCause(Throwable error) {
        List<Object> stack = new ArrayList<>();
        Set<String> paths = new LinkedHashSet<>();
        for (StackTraceElement frame : error.getStackTrace()) {
            Map<String, Object> element = new LinkedHashMap<>();
            element.put("label", frame.getMethodName());
            element.put("path", fileName(frame));
            element.put("line", frame.getLineNumber());
            stack.add(element);
            paths.add(fileName(frame));
        }
        Map<String, Object> exception = new LinkedHashMap<>();
        putUnlessNull(exception, "message", error.getMessage());
        exception.put("type", error.getClass().getName());
        exception.put("stack", stack);
        Map<String, Object> cause = new LinkedHashMap<>();
        cause.put("working_directory", System.getProperty("user.dir"));
        cause.put("exceptions", List.of(exception));
        cause.put("paths", paths);
        // ASCII only: it travels in an HTTP header.
        return JsonWriter.toJsonString(cause, true);
    }

    private static String fileName(StackTraceElement frame) {
        if (frame.getFileName() != null) {
            return frame.getFileName();
        }
        String className = frame.getClassName();
        return className.substring(className.lastIndexOf('.') + 1) + ".java";
    }

    private static void putUnlessNull(Map<String, Object> map, String key, Object value) {
        if (value != null) {
            map.put(key, value);
        }
    }
}
