package com.amazonaws.services.lambda.runtime;

import java.util.Map;

/** The client context an invoke carried: the client application, custom values and environment. */
public interface ClientContext {

    Client getClient();

    /** Values set by the client application. */
    Map<String, String> getCustom();

    /** The environment the mobile SDK reported, such as {@code platform}. */
    Map<String, String> getEnvironment();
}
