package swiftlet.runtime;

import java.io.File;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Calendar;
import java.util.Collections;
import java.util.Date;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Writes a handler's result as JSON the way AWS's Java runtime (Jackson) does for the common
 * types: compact, non-ASCII characters as they are, NaN and infinities as strings, null
 * properties of objects left out (null map values kept), byte[] as base64, dates as epoch
 * milliseconds, enums by name, Optional unwrapped, records by component and other objects by
 * their getters and public fields (see Beans). A reference cycle is an error.
 */
final class JsonWriter {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final StringBuilder out = new StringBuilder(256);
    private final boolean asciiOnly;
    // The containers and objects being written, to turn a cycle into an error, not a stack overflow.
    private final Set<Object> inProgress = Collections.newSetFromMap(new IdentityHashMap<>());

    private JsonWriter(boolean asciiOnly) {
        this.asciiOnly = asciiOnly;
    }

    /** {@code value} as UTF-8 JSON. */
    static byte[] toJson(Object value) {
        return toJsonString(value, false).getBytes(StandardCharsets.UTF_8);
    }

    /** {@code value} as JSON text; with {@code asciiOnly}, fit for an HTTP header. */
    static String toJsonString(Object value, boolean asciiOnly) {
        JsonWriter writer = new JsonWriter(asciiOnly);
        writer.write(value);
        return writer.out.toString();
    }

    private void write(Object value) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String string) {
            writeString(string);
        } else if (value instanceof Boolean || value instanceof Number) {
            writeScalar(value);
        } else if (value instanceof Character || value instanceof Enum<?>) {
            writeString(value instanceof Enum<?> constant ? constant.name() : value.toString());
        } else if (value instanceof Optional<?> optional) {
            write(optional.orElse(null));
        } else if (!writeWellKnown(value)) {
            writeContainerOrBean(value);
        }
    }

    private void writeScalar(Object value) {
        if (value instanceof Double || value instanceof Float) {
            double number = ((Number) value).doubleValue();
            String text = value.toString();
            // Jackson's WRITE_NAN_AS_STRINGS: JSON has no NaN or Infinity.
            if (Double.isNaN(number) || Double.isInfinite(number)) {
                writeString(text);
            } else {
                out.append(text);
            }
        } else if (value instanceof BigDecimal decimal) {
            out.append(decimal.toString());
        } else {
            out.append(value.toString());
        }
    }

    /** Types Jackson writes as a scalar; false for anything else. */
    private boolean writeWellKnown(Object value) {
        if (value instanceof Date date) {
            out.append(date.getTime());
        } else if (value instanceof Calendar calendar) {
            out.append(calendar.getTimeInMillis());
        } else if (value instanceof UUID || value instanceof URI || value instanceof URL || value instanceof Locale) {
            writeString(value.toString());
        } else if (value instanceof Class<?> type) {
            writeString(type.getName());
        } else if (value instanceof Path path) {
            writeString(path.toUri().toString());
        } else if (value instanceof File file) {
            writeString(file.getAbsolutePath());
        } else if (value instanceof byte[] bytes) {
            writeString(Base64.getEncoder().encodeToString(bytes));
        } else if (value instanceof char[] chars) {
            writeString(new String(chars));
        } else if (value.getClass().getName().startsWith("java.time.")) {
            // TODO: ISO-8601 text; AWS's JavaTimeModule writes numbers and arrays (1700000000.5, [2024,1,2]).
            writeString(value.toString());
        } else {
            return false;
        }
        return true;
    }

    private void writeContainerOrBean(Object value) {
        if (!inProgress.add(value)) {
            String type = value.getClass().getName();
            throw new JsonException("Direct self-reference leading to cycle (through " + type + ")");
        }
        if (value instanceof Map<?, ?> map) {
            writeMap(map);
        } else if (value instanceof Iterable<?> iterable) {
            writeIterable(iterable);
        } else if (value.getClass().isArray()) {
            writeArray(value);
        } else {
            writeBean(value);
        }
        inProgress.remove(value);
    }

    private void writeMap(Map<?, ?> map) {
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            if (entry.getKey() == null) {
                throw new JsonException("Null key for a Map not allowed in JSON");
            }
            first = separate(first);
            Object key = entry.getKey();
            writeString(key instanceof Enum<?> constant ? constant.name() : key.toString());
            out.append(':');
            write(entry.getValue());
        }
        out.append('}');
    }

    private void writeIterable(Iterable<?> iterable) {
        out.append('[');
        boolean first = true;
        for (Object element : iterable) {
            first = separate(first);
            write(element);
        }
        out.append(']');
    }

    private void writeArray(Object array) {
        out.append('[');
        int length = Array.getLength(array);
        for (int i = 0; i < length; i++) {
            separate(i == 0);
            write(Array.get(array, i));
        }
        out.append(']');
    }

    private void writeBean(Object bean) {
        out.append('{');
        boolean first = true;
        for (Beans.Property property : Beans.of(bean.getClass()).properties) {
            Object value = read(property, bean);
            // Jackson's Include.NON_NULL, as AWS configures it.
            if (value != null) {
                first = separate(first);
                writeString(property.name());
                out.append(':');
                write(value);
            }
        }
        out.append('}');
    }

    private static Object read(Beans.Property property, Object bean) {
        try {
            return property.get(bean);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new JsonException(cause.toString() + " (through reference chain: " + bean.getClass().getName()
                + "[\"" + property.name() + "\"])", cause);
        } catch (ReflectiveOperationException e) {
            throw new JsonException("Cannot read property \"" + property.name() + "\" of "
                + bean.getClass().getName() + ": " + e, e);
        }
    }

    private boolean separate(boolean first) {
        if (!first) {
            out.append(',');
        }
        return false;
    }

    /** A JSON string: quotes, backslashes and control characters escaped, as Jackson does. */
    private void writeString(String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                writeControl(c);
            } else if (asciiOnly && c > 0x7e) {
                writeUnicodeEscape(c);
            } else {
                out.append(c);
            }
        }
        out.append('"');
    }

    private void writeControl(char c) {
        switch (c) {
            case '\b' -> out.append("\\b");
            case '\t' -> out.append("\\t");
            case '\n' -> out.append("\\n");
            case '\f' -> out.append("\\f");
            case '\r' -> out.append("\\r");
            default -> writeUnicodeEscape(c);
        }
    }

    private void writeUnicodeEscape(char c) {
        out.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf]).append(HEX[c >> 4 & 0xf])
            .append(HEX[c & 0xf]);
    }
}
