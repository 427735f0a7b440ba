package com.amazonaws.services.lambda.runtime;

import java.io.IOException;

/** Gives code without a Context, such as logging adapters, the function's logger. */
public final class LambdaRuntime {

    // Replaced by the runtime client before the handler's class is loaded (it sets this field
    // by reflection, so the public API stays as AWS's). The default only matters to code that
    // runs outside Lambda, such as unit tests of a handler.
    private static volatile LambdaLogger logger = new LambdaLogger() {
        @Override
        public void log(String message) {
            System.out.print(message);
        }

        @Override
        public void log(byte[] message) {
            try {
                System.out.write(message);
            } catch (IOException e) {
                e.printStackTrace();
            }
        }
    };

    private LambdaRuntime() {
    }

    public static LambdaLogger getLogger() {
        return logger;
    }
}
