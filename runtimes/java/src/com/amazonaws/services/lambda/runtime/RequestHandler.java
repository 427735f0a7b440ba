package com.amazonaws.services.lambda.runtime;

/**
 * A handler whose event is converted from JSON to {@code I} and whose result is converted from
 * {@code O} to JSON by the runtime.
 */
public interface RequestHandler<I, O> {

    O handleRequest(I input, Context context);
}
