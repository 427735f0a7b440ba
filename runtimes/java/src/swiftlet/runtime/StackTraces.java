package swiftlet.runtime;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/** Removes the runtime's own frames from exceptions, so traces end at the function's code. */
final class StackTraces {

    private static final String RUNTIME_PACKAGE = StackTraces.class.getPackageName() + ".";

    private StackTraces() {
    }

    /**
     * Cuts the trace of {@code error}, its causes and its suppressed exceptions at the first
     * frame of the runtime, as AWS's runtime does; frames of the JDK's reflection between the
     * function's method and the runtime stay, as they do on AWS. Returns {@code error}.
     */
    static <T extends Throwable> T filter(T error) {
        filter(error, Collections.newSetFromMap(new IdentityHashMap<>()));
        return error;
    }

    private static void filter(Throwable error, Set<Throwable> visited) {
        if (error == null || !visited.add(error)) {
            return;
        }
        StackTraceElement[] trace = error.getStackTrace();
        for (int i = 0; i < trace.length; i++) {
            if (trace[i].getClassName().startsWith(RUNTIME_PACKAGE)) {
                StackTraceElement[] kept = new StackTraceElement[i];
                System.arraycopy(trace, 0, kept, 0, i);
                error.setStackTrace(kept);
                break;
            }
        }
        filter(error.getCause(), visited);
        for (Throwable suppressed : error.getSuppressed()) {
            filter(suppressed, visited);
        }
    }
}
