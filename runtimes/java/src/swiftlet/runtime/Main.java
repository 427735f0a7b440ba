package swiftlet.runtime;

import com.amazonaws.services.lambda.runtime.LambdaRuntime;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOError;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.security.Security;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Swiftlet's runtime client for the java17 runtime: loads the function's handler once, then
 * serves invocations from the Runtime API until the process is stopped.
 *
 * <p>What a function and its callers can observe follows AWS's Java 17 runtime: the handler
 * forms, the class path, the JSON conversion, the context, the log records and the error
 * documents. runtimes/java/README.md describes it; the bootstrap beside the sources starts it.
 */
public final class Main {

    private static final String TRACE_PROPERTY = "com.amazonaws.xray.traceHeader";
    private static final String NEGATIVE_TTL_PROPERTY = "networkaddress.cache.negative.ttl";
    private static final String NEGATIVE_TTL_VARIABLE = "AWS_LAMBDA_JAVA_NETWORKADDRESS_CACHE_NEGATIVE_TTL";
    private static final String LAYER_ROOT = "/opt/java";

    private Main() {
    }

    public static void main(String[] arguments) {
        installStandardStreams();
        shortenNegativeDnsCaching();
        RuntimeEnvironment environment = RuntimeEnvironment.read();
        if (environment.runtimeApi() == null || environment.runtimeApi().isEmpty()) {
            System.err.println("swiftlet runtime: AWS_LAMBDA_RUNTIME_API is not set");
            System.exit(2);
        }
        RuntimeLogger logger = new RuntimeLogger(System.out, environment.jsonLogs(), environment.logLevel());
        installLogger(logger);
        RuntimeApiClient api = new RuntimeApiClient(environment.runtimeApi());
        try {
            Handler handler = initialize(api, logger, environment.handler());
            serve(api, logger, environment, handler);
        } catch (IOException e) {
            System.err.println("swiftlet runtime: " + e);
            System.exit(1);
        }
    }

    /**
     * Standard output and error write straight to their descriptors: the server reads them
     * through pipes and attributes each line to the invocation in progress, so nothing may wait
     * in a buffer.
     */
    private static void installStandardStreams() {
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
    }

    /**
     * As AWS's runtime, a failed DNS lookup is remembered for 1 second rather than the JDK's 10
     * (build.sh writes that into the image's java.security), or for
     * AWS_LAMBDA_JAVA_NETWORKADDRESS_CACHE_NEGATIVE_TTL seconds. Only that variable costs a
     * Security.setProperty call, which loads a hundred classes. A function that brings its own
     * java.security.properties keeps its own setting.
     */
    private static void shortenNegativeDnsCaching() {
        String seconds = System.getenv(NEGATIVE_TTL_VARIABLE);
        if (seconds != null && System.getProperty("java.security.properties") == null) {
            Security.setProperty(NEGATIVE_TTL_PROPERTY, seconds);
        }
    }

    /** Makes LambdaRuntime.getLogger() return the runtime's logger, as AWS's runtime does. */
    private static void installLogger(RuntimeLogger logger) {
        try {
            Field field = LambdaRuntime.class.getDeclaredField("logger");
            field.setAccessible(true);
            field.set(null, logger);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("LambdaRuntime has no logger field", e);
        }
    }

    /** Loads the handler; on a fatal fault reports an init error and exits with status 1. */
    private static Handler initialize(RuntimeApiClient api, RuntimeLogger logger, String handlerName)
        throws IOException {
        ClassLoader loader = functionClassLoader(System.getProperty("user.dir"));
        Thread.currentThread().setContextClassLoader(loader);
        try {
            return HandlerLoader.load(handlerName, loader);
        } catch (UserFault fault) {
            ErrorReport report = ErrorReport.of(fault);
            logger.logError(report.logRecord());
            api.postInitError(report);
            System.exit(1);
            return null;
        }
    }

    /**
     * The class loader of the function's code, with AWS's class path: the code directory, its
     * lib/*.jar, then the layers' /opt/java/lib/*.jar, jars in name order. The runtime's own
     * class loader is its parent, so the runtime's Context and RequestHandler are the ones the
     * function sees even when it bundles aws-lambda-java-core.
     */
    static ClassLoader functionClassLoader(String taskRoot) {
        List<URL> path = new ArrayList<>();
        path.add(directoryUrl(new File(taskRoot)));
        addJars(new File(taskRoot, "lib"), path);
        addJars(new File(LAYER_ROOT, "lib"), path);
        return new URLClassLoader(path.toArray(new URL[0]), ClassLoader.getSystemClassLoader());
    }

    private static void addJars(File directory, List<URL> path) {
        String[] names = directory.list();
        if (names == null) {
            return;
        }
        Arrays.sort(names);
        for (String name : names) {
            if (name.endsWith(".jar")) {
                path.add(fileUrl(new File(directory, name).getPath()));
            }
        }
    }

    private static URL directoryUrl(File directory) {
        return fileUrl(directory.getPath() + "/");
    }

    private static URL fileUrl(String path) {
        try {
            return new URL("file", null, -1, path);
        } catch (MalformedURLException impossible) {
            throw new IllegalArgumentException(impossible);
        }
    }

    /** Serves invocations until the Runtime API fails or an invocation leaves the JVM unusable. */
    private static void serve(RuntimeApiClient api, RuntimeLogger logger, RuntimeEnvironment environment,
        Handler handler) throws IOException {
        while (true) {
            Invocation invocation = api.next();
            setTraceHeader(invocation.traceId());
            logger.setRequestId(invocation.requestId());
            if (!handle(api, logger, environment, handler, invocation)) {
                // As AWS: after a VirtualMachineError (OutOfMemoryError, StackOverflowError) or an
                // IOError, or a fatal fault, the environment is not trusted with another event.
                System.exit(1);
            }
            // A flag the function set must not interrupt the next invocation's I/O.
            Thread.interrupted();
        }
    }

    /** Runs one invocation and posts its outcome; false when the process should end. */
    private static boolean handle(RuntimeApiClient api, RuntimeLogger logger, RuntimeEnvironment environment,
        Handler handler, Invocation invocation) throws IOException {
        Outcome outcome = run(handler, environment, invocation);
        if (outcome.report() == null) {
            api.postResponse(invocation.requestId(), outcome.response());
            return true;
        }
        // Logged before the post (AWS logs after it): the server attributes output to the
        // invocation only until the post ends it.
        logger.logError(outcome.report().logRecord());
        api.postInvocationError(invocation.requestId(), outcome.report());
        return outcome.carryOn();
    }

    /** What one invocation produced: the response, or the report of its failure. */
    private record Outcome(byte[] response, ErrorReport report, boolean carryOn) {
    }

    private static Outcome run(Handler handler, RuntimeEnvironment environment, Invocation invocation) {
        try {
            ByteArrayOutputStream response = new ByteArrayOutputStream(1024);
            InvocationContext context = InvocationContext.of(environment, invocation);
            handler.handle(new ByteArrayInputStream(invocation.body()), response, context);
            return new Outcome(response.toByteArray(), null, true);
        } catch (UserFault fault) {
            return new Outcome(null, ErrorReport.of(fault), !fault.fatal);
        } catch (Throwable error) {
            boolean broken = error instanceof VirtualMachineError || error instanceof IOError;
            return new Outcome(null, ErrorReport.of(error), !broken);
        }
    }

    /** The X-Ray trace header of the invocation, where the X-Ray SDK reads it. */
    private static void setTraceHeader(String traceId) {
        if (traceId != null) {
            System.setProperty(TRACE_PROPERTY, traceId);
        } else {
            System.clearProperty(TRACE_PROPERTY);
        }
    }
}
