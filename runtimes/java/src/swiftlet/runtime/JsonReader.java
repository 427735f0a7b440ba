package swiftlet.runtime;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses JSON text into plain values: LinkedHashMap, ArrayList, String, Boolean, null, and
 * numbers as Integer, Long or BigInteger (whole numbers) or BigDecimal (the others, kept exact
 * until the target type is known; see JsonBinder).
 *
 * <p>It is as lenient as the Jackson configuration of AWS's Java runtime: single-quoted strings,
 * unquoted field names, leading zeros, NaN and Infinity, any character after a backslash and
 * raw control characters in strings are all accepted. Text after the first value is ignored.
 */
final class JsonReader {

    private final String text;
    private int position;

    private JsonReader(String text) {
        this.text = text;
    }

    /** Parses the first JSON value of {@code bytes} (UTF-8). */
    static Object parse(byte[] bytes) {
        return parse(new String(bytes, StandardCharsets.UTF_8));
    }

    static Object parse(String text) {
        JsonReader reader = new JsonReader(text);
        reader.skipWhitespace();
        if (reader.atEnd()) {
            throw new JsonException("No content to map due to end-of-input");
        }
        return reader.readValue();
    }

    private Object readValue() {
        skipWhitespace();
        if (atEnd()) {
            throw error("Unexpected end-of-input: expected a value");
        }
        char c = text.charAt(position);
        switch (c) {
            case '{':
                return readObject();
            case '[':
                return readArray();
            case '"':
            case '\'':
                return readString();
            default:
                return readLiteralOrNumber(c);
        }
    }

    private Map<String, Object> readObject() {
        Map<String, Object> object = new LinkedHashMap<>();
        position++;
        skipWhitespace();
        if (consume('}')) {
            return object;
        }
        while (true) {
            skipWhitespace();
            String name = readFieldName();
            skipWhitespace();
            expect(':');
            object.put(name, readValue());
            skipWhitespace();
            if (consume('}')) {
                return object;
            }
            expect(',');
        }
    }

    private List<Object> readArray() {
        List<Object> array = new ArrayList<>();
        position++;
        skipWhitespace();
        if (consume(']')) {
            return array;
        }
        while (true) {
            array.add(readValue());
            skipWhitespace();
            if (consume(']')) {
                return array;
            }
            expect(',');
        }
    }

    private String readFieldName() {
        if (atEnd()) {
            throw error("Unexpected end-of-input: expected a field name");
        }
        char c = text.charAt(position);
        if (c == '"' || c == '\'') {
            return readString();
        }
        // An unquoted name, as Jackson's ALLOW_UNQUOTED_FIELD_NAMES accepts.
        int start = position;
        while (!atEnd() && Character.isJavaIdentifierPart(text.charAt(position))) {
            position++;
        }
        if (start == position) {
            throw error("Unexpected character " + describe(c) + ": was expecting double-quote to start field name");
        }
        return text.substring(start, position);
    }

    private String readString() {
        char quote = text.charAt(position++);
        StringBuilder value = new StringBuilder();
        while (true) {
            if (atEnd()) {
                throw error("Unexpected end-of-input: was expecting closing quote for a string value");
            }
            char c = text.charAt(position++);
            if (c == quote) {
                return value.toString();
            }
            if (c == '\\') {
                value.append(readEscape());
            } else {
                value.append(c);
            }
        }
    }

    private char readEscape() {
        if (atEnd()) {
            throw error("Unexpected end-of-input in character escape sequence");
        }
        char c = text.charAt(position++);
        switch (c) {
            case 'b':
                return '\b';
            case 't':
                return '\t';
            case 'n':
                return '\n';
            case 'f':
                return '\f';
            case 'r':
                return '\r';
            case 'u':
                return readUnicodeEscape();
            default:
                // '"', '\\', '/' and, leniently, any other character stand for themselves.
                return c;
        }
    }

    private char readUnicodeEscape() {
        if (position + 4 > text.length()) {
            throw error("Unexpected end-of-input in character escape sequence");
        }
        try {
            char c = (char) Integer.parseInt(text.substring(position, position + 4), 16);
            position += 4;
            return c;
        } catch (NumberFormatException e) {
            throw error("Illegal character escape sequence: \\u" + text.substring(position, position + 4));
        }
    }

    private Object readLiteralOrNumber(char first) {
        int start = position;
        while (!atEnd() && isLiteralPart(text.charAt(position))) {
            position++;
        }
        String token = text.substring(start, position);
        switch (token) {
            case "true":
                return Boolean.TRUE;
            case "false":
                return Boolean.FALSE;
            case "null":
                return null;
            case "NaN":
                return Double.NaN;
            case "Infinity":
            case "+Infinity":
                return Double.POSITIVE_INFINITY;
            case "-Infinity":
                return Double.NEGATIVE_INFINITY;
            default:
                return parseNumber(token, first);
        }
    }

    private static boolean isLiteralPart(char c) {
        return Character.isLetterOrDigit(c) || c == '-' || c == '+' || c == '.';
    }

    private Object parseNumber(String token, char first) {
        if (token.isEmpty()) {
            position++;
            throw error("Unexpected character " + describe(first) + ": expected a valid value "
                + "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')");
        }
        try {
            if (token.indexOf('.') < 0 && token.indexOf('e') < 0 && token.indexOf('E') < 0) {
                return wholeNumber(new BigInteger(token));
            }
            return new BigDecimal(token);
        } catch (NumberFormatException e) {
            throw error("Unrecognized token '" + token + "': was expecting "
                + "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')");
        }
    }

    /** The smallest of Integer, Long and BigInteger that holds {@code value}, as Jackson picks. */
    static Number wholeNumber(BigInteger value) {
        if (value.bitLength() < 32) {
            return value.intValue();
        }
        if (value.bitLength() < 64) {
            return value.longValue();
        }
        return value;
    }

    private void skipWhitespace() {
        while (!atEnd() && Character.isWhitespace(text.charAt(position))) {
            position++;
        }
    }

    private boolean consume(char c) {
        if (!atEnd() && text.charAt(position) == c) {
            position++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!consume(c)) {
            String found = atEnd() ? "end-of-input" : describe(text.charAt(position));
            throw error("Unexpected character " + found + ": was expecting '" + c + "'");
        }
    }

    private boolean atEnd() {
        return position >= text.length();
    }

    private static String describe(char c) {
        return "('" + c + "' (code " + (int) c + "))";
    }

    private JsonException error(String message) {
        return new JsonException(message + " at character " + position);
    }
}
