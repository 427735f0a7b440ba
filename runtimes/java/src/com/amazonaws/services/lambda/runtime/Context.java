package com.amazonaws.services.lambda.runtime;

/**
 * What a handler learns about its invocation, its function and its execution environment.
 *
 * <p>Swiftlet's own implementation of the aws-lambda-java-core interface of the same name, so
 * handlers compiled against AWS's library run unchanged.
 */
public interface Context {

    /** The id of this invocation, the one the caller sees as x-amzn-RequestId. */
    String getAwsRequestId();

    /** The log group the function writes to, {@code /aws/lambda/<function name>}. */
    String getLogGroupName();

    /** The log stream of this execution environment. */
    String getLogStreamName();

    String getFunctionName();

    /** The version being run: {@code $LATEST} or a published version number. */
    String getFunctionVersion();

    /** The ARN the caller invoked, with the version or alias it named, if any. */
    String getInvokedFunctionArn();

    /** The caller's Amazon Cognito identity, or null when the invoke carried none. */
    CognitoIdentity getIdentity();

    /** The mobile client's context, or null when the invoke carried none. */
    ClientContext getClientContext();

    /** Milliseconds left before the invocation times out; never negative. */
    int getRemainingTimeInMillis();

    /** The function's MemorySize in megabytes. */
    int getMemoryLimitInMB();

    /** The logger that writes one log record per call. */
    LambdaLogger getLogger();

    /** The tenant of a tenant-isolated invocation, or null. */
    default String getTenantId() {
        return null;
    }

    /** The X-Ray trace header of this invocation, or null. */
    default String getXrayTraceId() {
        return null;
    }
}
