package swiftlet.runtime;

import com.amazonaws.services.lambda.runtime.Client;
import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.LambdaRuntime;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The Context of one invocation, from the environment and the headers of its /next response. */
final class InvocationContext implements Context {

    private final RuntimeEnvironment environment;
    private final Invocation invocation;
    private final CognitoIdentity identity;
    private final ClientContext clientContext;

    private InvocationContext(RuntimeEnvironment environment, Invocation invocation, CognitoIdentity identity,
        ClientContext clientContext) {
        this.environment = environment;
        this.invocation = invocation;
        this.identity = identity;
        this.clientContext = clientContext;
    }

    /** Throws JsonException when the client context or the Cognito identity is not JSON. */
    static InvocationContext of(RuntimeEnvironment environment, Invocation invocation) {
        return new InvocationContext(environment, invocation, identity(invocation.cognitoIdentity()),
            clientContext(invocation.clientContext()));
    }

    private static CognitoIdentity identity(String header) {
        if (header == null || header.isEmpty()) {
            return null;
        }
        Map<String, String> fields = strings(JsonReader.parse(header));
        return new Identity(fields.get("cognitoIdentityId"), fields.get("cognitoIdentityPoolId"));
    }

    private static ClientContext clientContext(String header) {
        if (header == null || header.isEmpty()) {
            return null;
        }
        Object parsed = JsonReader.parse(header);
        Map<?, ?> fields = parsed instanceof Map<?, ?> map ? map : Map.of();
        Object client = fields.get("client");
        return new Mobile(client == null ? null : new MobileClient(strings(client)), strings(fields.get("custom")),
            strings(fields.get("env")));
    }

    /** A JSON object as a map of strings, as AWS's Gson reads it; null for anything else. */
    private static Map<String, String> strings(Object json) {
        if (!(json instanceof Map<?, ?> map)) {
            return null;
        }
        Map<String, String> strings = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            Object value = entry.getValue();
            strings.put((String) entry.getKey(), value == null || value instanceof String
                ? (String) value : JsonWriter.toJsonString(JsonBinder.untyped(value), false));
        }
        return strings;
    }

    @Override
    public String getAwsRequestId() {
        return invocation.requestId();
    }

    @Override
    public String getLogGroupName() {
        return environment.logGroupName();
    }

    @Override
    public String getLogStreamName() {
        return environment.logStreamName();
    }

    @Override
    public String getFunctionName() {
        return environment.functionName();
    }

    @Override
    public String getFunctionVersion() {
        return environment.functionVersion();
    }

    @Override
    public String getInvokedFunctionArn() {
        return invocation.invokedFunctionArn();
    }

    @Override
    public CognitoIdentity getIdentity() {
        return identity;
    }

    @Override
    public ClientContext getClientContext() {
        return clientContext;
    }

    @Override
    public int getRemainingTimeInMillis() {
        long remaining = invocation.deadlineMilliseconds() - System.currentTimeMillis();
        return remaining > 0 ? (int) Math.min(remaining, Integer.MAX_VALUE) : 0;
    }

    @Override
    public int getMemoryLimitInMB() {
        return environment.memoryMegabytes();
    }

    @Override
    public LambdaLogger getLogger() {
        return LambdaRuntime.getLogger();
    }

    @Override
    public String getTenantId() {
        return invocation.tenantId();
    }

    @Override
    public String getXrayTraceId() {
        return invocation.traceId();
    }

    // The components are named after the interfaces' methods, so the accessors implement them.
    private record Identity(String getIdentityId, String getIdentityPoolId) implements CognitoIdentity {
    }

    private record Mobile(Client getClient, Map<String, String> getCustom, Map<String, String> getEnvironment)
        implements ClientContext {
    }

    private record MobileClient(Map<String, String> fields) implements Client {

        MobileClient {
            fields = Collections.unmodifiableMap(fields == null ? Map.of() : fields);
        }

        @Override
        public String getInstallationId() {
            return fields.get("installation_id");
        }

        @Override
        public String getAppTitle() {
            return fields.get("app_title");
        }

        @Override
        public String getAppVersionName() {
            return fields.get("app_version_name");
        }

        @Override
        public String getAppVersionCode() {
            return fields.get("app_version_code");
        }

        @Override
        public String getAppPackageName() {
            return fields.get("app_package_name");
        }
    }
}
