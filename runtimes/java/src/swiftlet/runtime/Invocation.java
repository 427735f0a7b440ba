package swiftlet.runtime;

import java.io.IOException;
import java.util.Map;

/** One invocation as GET /invocation/next delivered it: the event and its headers. */
record Invocation(
    String requestId,
    long deadlineMilliseconds,
    String invokedFunctionArn,
    String traceId,
    String clientContext,
    String cognitoIdentity,
    String tenantId,
    byte[] body) {

    static Invocation from(Map<String, String> headers, byte[] body) throws IOException {
        String requestId = headers.get("Lambda-Runtime-Aws-Request-Id");
        if (requestId == null || requestId.isEmpty()) {
            throw new IOException("GET /invocation/next answered without a request id");
        }
        String deadline = headers.get("Lambda-Runtime-Deadline-Ms");
        return new Invocation(
            requestId,
            deadline == null ? 0 : Long.parseLong(deadline.trim()),
            headers.get("Lambda-Runtime-Invoked-Function-Arn"),
            headers.get("Lambda-Runtime-Trace-Id"),
            headers.get("Lambda-Runtime-Client-Context"),
            headers.get("Lambda-Runtime-Cognito-Identity"),
            headers.get("Lambda-Runtime-Aws-Tenant-Id"),
            body);
    }
}
