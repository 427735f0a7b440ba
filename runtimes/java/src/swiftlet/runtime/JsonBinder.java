package swiftlet.runtime;

import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Converts parsed JSON (see JsonReader) to the type a handler declares, with the coercions of
 * the Jackson configuration AWS's Java runtime uses: unknown properties are ignored, scalars
 * convert to and from strings, a single value is accepted for a collection and a one-element
 * array for a single value, an empty string is a null object, an unknown enum name is null, and
 * null is the default value of a primitive. {@code Object} receives maps, lists, strings,
 * booleans, Integer/Long/BigInteger and Double.
 */
final class JsonBinder {

    private JsonBinder() {
    }

    /** {@code json} as a value of {@code type}; throws JsonException when it cannot be one. */
    static Object bind(Object json, Type type) {
        return bind(json, type, Map.of());
    }

    private static Object bind(Object json, Type type, Map<TypeVariable<?>, Type> variables) {
        Type resolved = resolve(type, variables);
        Class<?> raw = rawClass(resolved);
        if (raw == Object.class) {
            return untyped(json);
        }
        if (json == null) {
            return nullValue(raw);
        }
        if (json instanceof List<?> list && list.size() == 1 && isSingleValue(raw)) {
            // Jackson's UNWRAP_SINGLE_VALUE_ARRAYS.
            return bind(list.get(0), resolved, variables);
        }
        return bindPresent(json, resolved, raw, variables);
    }

    private static Object bindPresent(Object json, Type type, Class<?> raw, Map<TypeVariable<?>, Type> variables) {
        Object scalar = Scalars.convert(json, raw);
        if (scalar != Scalars.NOT_SCALAR) {
            return scalar;
        }
        if (raw == Optional.class) {
            return Optional.ofNullable(bind(json, typeArgument(type, 0), variables));
        }
        if (raw.isArray()) {
            return bindArray(json, type, raw, variables);
        }
        if (Collection.class.isAssignableFrom(raw) || raw == Iterable.class) {
            return bindCollection(json, type, raw, variables);
        }
        if (json instanceof String text && text.isEmpty()) {
            // Jackson's ACCEPT_EMPTY_STRING_AS_NULL_OBJECT.
            return null;
        }
        if (Map.class.isAssignableFrom(raw)) {
            return bindMap(json, type, raw, variables);
        }
        Map<TypeVariable<?>, Type> own = variablesOf(type, variables);
        return raw.isRecord() ? bindRecord(json, type, raw, own) : bindBean(json, type, raw, own);
    }

    // --- Types -------------------------------------------------------------------------

    /** {@code type} with its type variables replaced by what they stand for, where known. */
    private static Type resolve(Type type, Map<TypeVariable<?>, Type> variables) {
        if (type instanceof TypeVariable<?> variable) {
            Type bound = variables.get(variable);
            return bound != null ? bound : resolve(variable.getBounds()[0], Map.of());
        }
        if (type instanceof WildcardType wildcard) {
            return resolve(wildcard.getUpperBounds()[0], variables);
        }
        return type;
    }

    static Class<?> rawClass(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType parameterized) {
            return (Class<?>) parameterized.getRawType();
        }
        if (type instanceof GenericArrayType array) {
            return Array.newInstance(rawClass(array.getGenericComponentType()), 0).getClass();
        }
        return Object.class;
    }

    private static Type typeArgument(Type type, int index) {
        if (type instanceof ParameterizedType parameterized && parameterized.getActualTypeArguments().length > index) {
            return parameterized.getActualTypeArguments()[index];
        }
        return Object.class;
    }

    /**
     * What the type variables of {@code type}'s class and of its superclasses stand for, so that a
     * property declared as {@code T} in {@code Page<T>} is bound as the T of {@code Page<Item>}.
     */
    private static Map<TypeVariable<?>, Type> variablesOf(Type type, Map<TypeVariable<?>, Type> outer) {
        // The outer variables resolve arguments such as the T of a property typed Page<T>.
        Map<TypeVariable<?>, Type> variables = new HashMap<>(outer);
        Type current = type;
        while (current != null && rawClass(current) != Object.class) {
            if (current instanceof ParameterizedType parameterized) {
                TypeVariable<?>[] parameters = rawClass(current).getTypeParameters();
                Type[] arguments = parameterized.getActualTypeArguments();
                for (int i = 0; i < parameters.length && i < arguments.length; i++) {
                    variables.put(parameters[i], resolve(arguments[i], variables));
                }
            }
            current = rawClass(current).getGenericSuperclass();
        }
        return variables;
    }

    private static boolean isSingleValue(Class<?> raw) {
        return !raw.isArray() && !Collection.class.isAssignableFrom(raw) && raw != Iterable.class;
    }

    private static Object nullValue(Class<?> raw) {
        if (raw == Optional.class) {
            return Optional.empty();
        }
        // Jackson's FAIL_ON_NULL_FOR_PRIMITIVES is off: null is the primitive's default.
        return raw.isPrimitive() ? Array.get(Array.newInstance(raw, 1), 0) : null;
    }

    /** JSON as Jackson gives it for {@code Object}: decimals become Double. */
    static Object untyped(Object json) {
        if (json instanceof BigDecimal decimal) {
            return decimal.doubleValue();
        }
        if (json instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                copy.put((String) entry.getKey(), untyped(entry.getValue()));
            }
            return copy;
        }
        if (json instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            for (Object value : list) {
                copy.add(untyped(value));
            }
            return copy;
        }
        return json;
    }

    // --- Containers --------------------------------------------------------------------

    private static Object bindArray(Object json, Type type, Class<?> raw, Map<TypeVariable<?>, Type> variables) {
        Class<?> component = raw.getComponentType();
        if (component == byte.class && json instanceof String text) {
            return Base64.getMimeDecoder().decode(text);
        }
        if (component == char.class && json instanceof String text) {
            return text.toCharArray();
        }
        Type componentType = type instanceof GenericArrayType generic ? generic.getGenericComponentType() : component;
        List<?> elements = json instanceof List<?> list ? list : List.of(json);
        Object array = Array.newInstance(component, elements.size());
        for (int i = 0; i < elements.size(); i++) {
            Array.set(array, i, bind(elements.get(i), componentType, variables));
        }
        return array;
    }

    @SuppressWarnings("unchecked")
    private static Object bindCollection(Object json, Type type, Class<?> raw,
        Map<TypeVariable<?>, Type> variables) {
        Collection<Object> collection = (Collection<Object>) newCollection(raw);
        Type elementType = typeArgument(type, 0);
        // Jackson's ACCEPT_SINGLE_VALUE_AS_ARRAY: a lone value is a one-element collection.
        List<?> elements = json instanceof List<?> list ? list : List.of(json);
        for (Object element : elements) {
            collection.add(bind(element, elementType, variables));
        }
        return collection;
    }

    private static Object newCollection(Class<?> raw) {
        if (!raw.isInterface() && !Modifier.isAbstract(raw.getModifiers())) {
            return instantiate(raw);
        }
        if (SortedSet.class.isAssignableFrom(raw) || NavigableSet.class.isAssignableFrom(raw)) {
            return new TreeSet<>();
        }
        if (Set.class.isAssignableFrom(raw)) {
            return new HashSet<>();
        }
        if (Queue.class.isAssignableFrom(raw)) {
            return new LinkedList<>();
        }
        return new ArrayList<>();
    }

    @SuppressWarnings("unchecked")
    private static Object bindMap(Object json, Type type, Class<?> raw, Map<TypeVariable<?>, Type> variables) {
        if (!(json instanceof Map<?, ?> object)) {
            throw cannotDeserialize(type, json);
        }
        Map<Object, Object> map = (Map<Object, Object>) newMap(raw);
        Class<?> keyType = rawClass(resolve(typeArgument(type, 0), variables));
        Type valueType = typeArgument(type, 1);
        for (Map.Entry<?, ?> entry : object.entrySet()) {
            Object key = keyType == Object.class ? entry.getKey() : Scalars.convert(entry.getKey(), keyType);
            if (key == Scalars.NOT_SCALAR) {
                throw new JsonException("Cannot find a (Map) Key deserializer for type `" + keyType.getName() + "`");
            }
            map.put(key, bind(entry.getValue(), valueType, variables));
        }
        return map;
    }

    private static Object newMap(Class<?> raw) {
        if (!raw.isInterface() && !Modifier.isAbstract(raw.getModifiers())) {
            return instantiate(raw);
        }
        if (SortedMap.class.isAssignableFrom(raw) || NavigableMap.class.isAssignableFrom(raw)) {
            return new TreeMap<>();
        }
        if (ConcurrentMap.class.isAssignableFrom(raw)) {
            return new ConcurrentHashMap<>();
        }
        return new LinkedHashMap<>();
    }

    // --- Objects -----------------------------------------------------------------------

    private static Object bindRecord(Object json, Type type, Class<?> raw, Map<TypeVariable<?>, Type> variables) {
        if (!(json instanceof Map<?, ?> object)) {
            throw cannotDeserialize(type, json);
        }
        Beans.Description description = Beans.of(raw);
        RecordComponent[] components = description.components;
        Object[] arguments = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            Object value = object.get(components[i].getName());
            arguments[i] = bind(value, components[i].getGenericType(), variables);
        }
        return construct(description.constructor, raw, arguments);
    }

    private static Object bindBean(Object json, Type type, Class<?> raw, Map<TypeVariable<?>, Type> variables) {
        Beans.Description description = Beans.of(raw);
        if (description.constructor == null) {
            throw new JsonException("Cannot construct instance of `" + raw.getName()
                + "` (no Creators, like default constructor, exist): cannot deserialize from "
                + kind(json) + " value (no delegate- or property-based Creator)");
        }
        if (!(json instanceof Map<?, ?> object)) {
            throw new JsonException("Cannot construct instance of `" + raw.getName() + "` (although at least one "
                + "Creator exists): no " + kind(json) + "-argument constructor/factory method to deserialize from "
                + kind(json) + " value");
        }
        Object bean = construct(description.constructor, raw);
        for (Map.Entry<?, ?> entry : object.entrySet()) {
            Beans.Mutator mutator = description.mutators.get(entry.getKey());
            // Jackson's FAIL_ON_UNKNOWN_PROPERTIES is off: unknown properties are skipped.
            if (mutator != null) {
                assign(bean, mutator, bind(entry.getValue(), mutator.type(), variables));
            }
        }
        return bean;
    }

    private static void assign(Object bean, Beans.Mutator mutator, Object value) {
        try {
            mutator.set(bean, value);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new JsonException(cause + " (through reference chain: " + bean.getClass().getName() + "[\""
                + mutator.name() + "\"])", cause);
        } catch (ReflectiveOperationException | IllegalArgumentException e) {
            throw new JsonException("Cannot set property \"" + mutator.name() + "\" of " + bean.getClass().getName()
                + ": " + e, e);
        }
    }

    private static Object instantiate(Class<?> raw) {
        Constructor<?> constructor = Beans.of(raw).constructor;
        if (constructor == null) {
            throw new JsonException("Cannot construct instance of `" + raw.getName() + "`: no default constructor");
        }
        return construct(constructor, raw);
    }

    private static Object construct(Constructor<?> constructor, Class<?> raw, Object... arguments) {
        try {
            return constructor.newInstance(arguments);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new JsonException("Cannot construct instance of `" + raw.getName() + "`, problem: "
                + cause.getMessage(), cause);
        } catch (ReflectiveOperationException | IllegalArgumentException e) {
            throw new JsonException("Cannot construct instance of `" + raw.getName() + "`: " + e, e);
        }
    }

    static JsonException cannotDeserialize(Type type, Object json) {
        return new JsonException("Cannot deserialize value of type `" + type.getTypeName() + "` from " + kind(json)
            + " value");
    }

    /** The JSON kind of a parsed value, in Jackson's words. */
    static String kind(Object json) {
        if (json instanceof Map<?, ?>) {
            return "Object";
        }
        if (json instanceof List<?>) {
            return "Array";
        }
        if (json instanceof String) {
            return "String";
        }
        if (json instanceof Boolean) {
            return "Boolean";
        }
        if (json instanceof BigDecimal || json instanceof Double) {
            return "Floating-point";
        }
        return json == null ? "Null" : "Integer";
    }

    /** Conversions to scalar types: strings, numbers, booleans, characters, enums and a few more. */
    static final class Scalars {

        /** Returned by {@link #convert} for a type that is not a scalar. */
        static final Object NOT_SCALAR = new Object();

        private Scalars() {
        }

        static Object convert(Object json, Class<?> raw) {
            if (raw == String.class || raw == CharSequence.class) {
                return text(json, raw);
            }
            Class<?> boxed = boxed(raw);
            if (Number.class.isAssignableFrom(boxed)) {
                return Numbers.convert(json, boxed, raw.isPrimitive());
            }
            if (boxed == Boolean.class) {
                return bool(json, raw);
            }
            if (boxed == Character.class) {
                return character(json, raw);
            }
            if (raw.isEnum()) {
                return enumConstant(json, raw);
            }
            return wellKnown(json, raw);
        }

        private static Object text(Object json, Class<?> raw) {
            if (json instanceof Map<?, ?> || json instanceof List<?>) {
                throw cannotDeserialize(raw, json);
            }
            // Jackson coerces scalars to text: 12 is "12", true is "true".
            return json instanceof BigDecimal decimal ? decimal.toString() : String.valueOf(json);
        }

        private static Object bool(Object json, Class<?> raw) {
            if (json instanceof Boolean) {
                return json;
            }
            if (json instanceof String text) {
                if (text.isEmpty()) {
                    return raw.isPrimitive() ? Boolean.FALSE : null;
                }
                if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
                    return Boolean.valueOf(text);
                }
                throw new JsonException("Cannot deserialize value of type `" + raw.getName() + "` from String \""
                    + text + "\": only \"true\" or \"false\" recognized");
            }
            if (json instanceof Number number && !(json instanceof BigDecimal)) {
                return number.longValue() != 0;
            }
            throw cannotDeserialize(raw, json);
        }

        private static Object character(Object json, Class<?> raw) {
            if (json instanceof String text && text.length() == 1) {
                return text.charAt(0);
            }
            if (json instanceof Integer code && code >= 0 && code <= 0xffff) {
                return (char) code.intValue();
            }
            throw cannotDeserialize(raw, json);
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private static Object enumConstant(Object json, Class<?> raw) {
            Object[] constants = raw.getEnumConstants();
            if (json instanceof String name) {
                for (Object constant : constants) {
                    if (((Enum) constant).name().equals(name)) {
                        return constant;
                    }
                }
                // Jackson's READ_UNKNOWN_ENUM_VALUES_AS_NULL.
                return null;
            }
            if (json instanceof Integer index) {
                return index >= 0 && index < constants.length ? constants[index] : null;
            }
            throw cannotDeserialize(raw, json);
        }

        private static Object wellKnown(Object json, Class<?> raw) {
            try {
                if (raw == Date.class) {
                    return new Date(json instanceof Number number ? number.longValue() : Long.parseLong((String) json));
                }
                if (raw == UUID.class) {
                    return UUID.fromString((String) json);
                }
                if (raw == URI.class) {
                    return URI.create((String) json);
                }
            } catch (RuntimeException e) {
                throw new JsonException("Cannot deserialize value of type `" + raw.getName() + "` from "
                    + kind(json) + " value: " + e.getMessage(), e);
            }
            return NOT_SCALAR;
        }

        static Class<?> boxed(Class<?> raw) {
            if (!raw.isPrimitive()) {
                return raw;
            }
            return Array.get(Array.newInstance(raw, 1), 0).getClass();
        }
    }

    /** Conversions to the number types, with Jackson's range checks and coercions. */
    static final class Numbers {

        private Numbers() {
        }

        static Object convert(Object json, Class<?> boxed, boolean primitive) {
            if (json instanceof String text) {
                json = parse(text.trim(), boxed);
                if (json == null) {
                    return primitive ? nullValue(unboxed(boxed)) : null;
                }
            }
            if (!(json instanceof Number number)) {
                throw cannotDeserialize(boxed, json);
            }
            return toType(number, boxed);
        }

        private static Object parse(String text, Class<?> boxed) {
            if (text.isEmpty()) {
                return null;
            }
            if (boxed == Double.class || boxed == Float.class) {
                return Double.parseDouble(text);
            }
            try {
                return new BigDecimal(text);
            } catch (NumberFormatException e) {
                throw new JsonException("Cannot deserialize value of type `" + boxed.getName() + "` from String \""
                    + text + "\": not a valid representation");
            }
        }

        private static Object toType(Number number, Class<?> boxed) {
            if (boxed == Double.class) {
                return number.doubleValue();
            }
            if (boxed == Float.class) {
                return number.floatValue();
            }
            if (boxed == BigDecimal.class) {
                return decimal(number);
            }
            if (boxed == BigInteger.class) {
                return decimal(number).toBigInteger();
            }
            if (boxed == Number.class) {
                return untyped(number);
            }
            return whole(number, boxed);
        }

        /** int, long, short and byte: a fraction is dropped (Jackson's ACCEPT_FLOAT_AS_INT). */
        private static Object whole(Number number, Class<?> boxed) {
            BigInteger value = decimal(number).toBigInteger();
            int bits = boxed == Long.class ? 64 : boxed == Integer.class ? 32 : boxed == Short.class ? 16 : 8;
            if (value.bitLength() >= bits) {
                throw new JsonException("Numeric value (" + number + ") out of range of "
                    + unboxed(boxed).getName());
            }
            if (boxed == Long.class) {
                return value.longValue();
            }
            if (boxed == Integer.class) {
                return value.intValue();
            }
            return boxed == Short.class ? (Object) value.shortValue() : (Object) value.byteValue();
        }

        private static BigDecimal decimal(Number number) {
            if (number instanceof BigDecimal decimal) {
                return decimal;
            }
            if (number instanceof BigInteger integer) {
                return new BigDecimal(integer);
            }
            if (number instanceof Double || number instanceof Float) {
                double value = number.doubleValue();
                if (Double.isNaN(value) || Double.isInfinite(value)) {
                    throw new JsonException("Cannot convert " + value + " to an exact number");
                }
                return BigDecimal.valueOf(value);
            }
            return BigDecimal.valueOf(number.longValue());
        }

        private static Class<?> unboxed(Class<?> boxed) {
            for (Class<?> primitive : new Class<?>[] {int.class, long.class, short.class, byte.class, double.class,
                float.class}) {
                if (Scalars.boxed(primitive) == boxed) {
                    return primitive;
                }
            }
            return boxed;
        }
    }
}
