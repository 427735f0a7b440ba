package swiftlet.runtime;

import com.amazonaws.services.lambda.runtime.Context;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A loaded handler, whatever its shape: the event's bytes in, the response's bytes out. As in
 * AWS's runtime, every handler is driven as a stream handler; POJO handlers convert on the way.
 */
@FunctionalInterface
interface Handler {

    void handle(InputStream event, OutputStream response, Context context) throws Throwable;

    /** A handler that fails every invocation with {@code fault}: a non-fatal load failure. */
    static Handler failing(UserFault fault) {
        return new Failing(fault);
    }

    /** See {@link #failing}. */
    final class Failing implements Handler {
        private final UserFault fault;

        Failing(UserFault fault) {
            this.fault = fault;
        }

        @Override
        public void handle(InputStream event, OutputStream response, Context context) {
            throw fault;
        }
    }
}
