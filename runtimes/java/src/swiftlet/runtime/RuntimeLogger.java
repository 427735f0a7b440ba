package swiftlet.runtime;

import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The LambdaLogger of context.getLogger() and LambdaRuntime.getLogger(), writing to standard
 * output as AWS's Java runtime does.
 *
 * <p>Text format: the message as it is, or "[LEVEL] message" when logged with a level. JSON format
 * (AWS_LAMBDA_LOG_FORMAT=JSON): one object per record, {"timestamp", "message", "level",
 * "AWSRequestId"}, where a message logged without a level is INFO. Records below
 * AWS_LAMBDA_LOG_LEVEL are dropped; a record logged without a level is never dropped in text format.
 *
 * <p>Each call is one record: the server splits standard output on newlines, so the newlines
 * inside a message are written as carriage returns (the server keeps such a line as one log
 * event, as AWS's telemetry framing would) and the record ends with one newline.
 */
final class RuntimeLogger implements LambdaLogger {

    private final PrintStream out;
    private final boolean json;
    private final LogLevel minimumLevel;
    private volatile String requestId;

    RuntimeLogger(PrintStream out, boolean json, LogLevel minimumLevel) {
        this.out = out;
        this.json = json;
        this.minimumLevel = minimumLevel;
    }

    /** The request id JSON records carry from now on. */
    void setRequestId(String requestId) {
        this.requestId = requestId;
    }

    boolean isJson() {
        return json;
    }

    @Override
    public void log(String message) {
        log(message, LogLevel.UNDEFINED);
    }

    @Override
    public void log(byte[] message) {
        log(message, LogLevel.UNDEFINED);
    }

    @Override
    public void log(String message, LogLevel level) {
        LogLevel effective = effectiveLevel(level);
        if (isEnabled(effective)) {
            String text = message == null ? "null" : message;
            write(json ? jsonRecord(text, effective) : textRecord(text, effective));
        }
    }

    /** Bytes are written as they are (AWS does not format them), as one record. */
    @Override
    public void log(byte[] message, LogLevel level) {
        if (isEnabled(effectiveLevel(level))) {
            write(message == null ? "null".getBytes(StandardCharsets.UTF_8) : message);
        }
    }

    /** Writes the record of a failure: level ERROR in JSON format, as it is in text format. */
    void logError(String record) {
        log(record, json ? LogLevel.ERROR : LogLevel.UNDEFINED);
    }

    private LogLevel effectiveLevel(LogLevel level) {
        LogLevel given = level == null ? LogLevel.UNDEFINED : level;
        return json && given == LogLevel.UNDEFINED ? LogLevel.INFO : given;
    }

    private boolean isEnabled(LogLevel level) {
        return level == LogLevel.UNDEFINED || level.ordinal() >= minimumLevel.ordinal();
    }

    private static String textRecord(String message, LogLevel level) {
        return level == LogLevel.UNDEFINED ? message : "[" + level + "] " + message;
    }

    private String jsonRecord(String message, LogLevel level) {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("timestamp", Timestamps.FORMAT.format(java.time.Instant.now()));
        record.put("message", message);
        record.put("level", level.name());
        String id = requestId;
        if (id != null) {
            record.put("AWSRequestId", id);
        }
        return JsonWriter.toJsonString(record, false);
    }

    private void write(String record) {
        write(record.getBytes(StandardCharsets.UTF_8));
    }

    /** One write of one line: inner newlines become carriage returns, one newline ends it. */
    private void write(byte[] record) {
        int length = record.length;
        while (length > 0 && record[length - 1] == '\n') {
            length--;
        }
        byte[] line = new byte[length + 1];
        for (int i = 0; i < length; i++) {
            // A newline byte never occurs inside a multi-byte UTF-8 sequence.
            line[i] = record[i] == '\n' ? (byte) '\r' : record[i];
        }
        line[length] = '\n';
        synchronized (out) {
            out.write(line, 0, line.length);
            out.flush();
        }
    }

    /** Loaded only when a JSON record is written: java.time costs start-up time. */
    private static final class Timestamps {
        static final DateTimeFormatter FORMAT =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    }
}
