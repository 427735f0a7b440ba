package swiftlet.runtime;

import com.amazonaws.services.lambda.runtime.Context;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;

/**
 * Drives a handler that takes a Java value and returns one: the event's JSON is converted to the
 * input type, the result to JSON. Failures to convert are reported with AWS's messages, "An error
 * occurred during JSON parsing" and "An error occurred during JSON serialization of response",
 * the converter's error as the cause.
 */
final class PojoHandler implements Handler {

    private static final byte[] JSON_NULL = "null".getBytes(StandardCharsets.US_ASCII);

    /** The call into the function's code: the converted event (or null) and the context. */
    @FunctionalInterface
    interface Call {
        Object call(Object input, Context context) throws Throwable;
    }

    private final Call call;
    private final Type inputType;
    private final boolean returnsValue;

    /**
     * @param inputType the type to convert the event to, or null when the handler takes no event
     * @param returnsValue false for void and Void, whose response is {@code null}
     */
    PojoHandler(Call call, Type inputType, boolean returnsValue) {
        this.call = call;
        this.inputType = inputType;
        this.returnsValue = returnsValue;
    }

    static boolean isVoid(Type type) {
        return type == void.class || type == Void.class;
    }

    @Override
    public void handle(InputStream event, OutputStream response, Context context) throws Throwable {
        Object input = inputType == null ? null : input(event);
        Object result = call.call(input, context);
        response.write(returnsValue ? output(result) : JSON_NULL);
    }

    private Object input(InputStream event) {
        try {
            return JsonBinder.bind(JsonReader.parse(event.readAllBytes()), inputType);
        } catch (Throwable error) {
            throw new RuntimeException("An error occurred during JSON parsing", StackTraces.filter(error));
        }
    }

    private static byte[] output(Object result) {
        try {
            return JsonWriter.toJson(result);
        } catch (Throwable error) {
            throw new RuntimeException("An error occurred during JSON serialization of response", error);
        }
    }
}
