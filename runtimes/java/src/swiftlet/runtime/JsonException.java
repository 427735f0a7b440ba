package swiftlet.runtime;

/** JSON that cannot be read, or a value that cannot be converted to or from JSON. */
final class JsonException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    JsonException(String message) {
        super(message);
    }

    JsonException(String message, Throwable cause) {
        super(message, cause);
    }
}
