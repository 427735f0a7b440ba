package swiftlet.runtime;

import java.lang.reflect.AccessibleObject;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON properties of a class, found by reflection with the rules of the Jackson
 * configuration AWS's Java runtime uses: public getters ({@code getX}, {@code isX} for booleans)
 * and public fields are read; setters of any visibility and public fields are written; names
 * follow the standard bean rule ({@code getURL} is "URL", {@code getName} is "name"); records use
 * their components and canonical constructor. Annotations are not read: AWS's runtime shades its
 * Jackson, so a function's own Jackson annotations are not seen there either.
 */
final class Beans {

    /** A readable property: a getter, or a public field. */
    record Property(String name, Method getter, Field field) {

        Object get(Object bean) throws ReflectiveOperationException {
            return getter != null ? getter.invoke(bean) : field.get(bean);
        }
    }

    /** A writable property: a setter, or a public field; {@code type} is the value's type. */
    record Mutator(String name, Type type, Method setter, Field field) {

        void set(Object bean, Object value) throws ReflectiveOperationException {
            if (setter != null) {
                setter.invoke(bean, value);
            } else {
                field.set(bean, value);
            }
        }
    }

    /** What JsonWriter and JsonBinder need to know of one class. */
    static final class Description {
        final List<Property> properties;
        final Map<String, Mutator> mutators;
        final Constructor<?> constructor;
        final RecordComponent[] components;

        private Description(List<Property> properties, Map<String, Mutator> mutators, Constructor<?> constructor,
            RecordComponent[] components) {
            this.properties = properties;
            this.mutators = mutators;
            this.constructor = constructor;
            this.components = components;
        }
    }

    // ClassValue caches per class without keeping the function's class loader alive.
    private static final ClassValue<Description> DESCRIPTIONS = new ClassValue<>() {
        @Override
        protected Description computeValue(Class<?> type) {
            return type.isRecord() ? describeRecord(type) : describeBean(type);
        }
    };

    private Beans() {
    }

    static Description of(Class<?> type) {
        return DESCRIPTIONS.get(type);
    }

    /** {@code name} as a property name by the standard bean rule ({@code URL} stays, {@code Name} is name). */
    static String decapitalize(String name) {
        if (name.isEmpty() || name.length() > 1 && Character.isUpperCase(name.charAt(1))
            && Character.isUpperCase(name.charAt(0))) {
            return name;
        }
        return Character.toLowerCase(name.charAt(0)) + name.substring(1);
    }

    private static Description describeRecord(Class<?> type) {
        RecordComponent[] components = type.getRecordComponents();
        List<Property> properties = new ArrayList<>();
        Class<?>[] parameterTypes = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            Method accessor = components[i].getAccessor();
            makeAccessible(accessor);
            properties.add(new Property(components[i].getName(), accessor, null));
            parameterTypes[i] = components[i].getType();
        }
        Constructor<?> canonical = null;
        try {
            canonical = type.getDeclaredConstructor(parameterTypes);
            makeAccessible(canonical);
        } catch (NoSuchMethodException impossible) {
            // Every record has its canonical constructor.
        }
        return new Description(properties, Map.of(), canonical, components);
    }

    private static Description describeBean(Class<?> type) {
        List<Class<?>> hierarchy = hierarchy(type);
        return new Description(readableProperties(hierarchy), mutators(hierarchy), noArgumentConstructor(type), null);
    }

    /** The class and its superclasses, Object excluded, the topmost first. */
    private static List<Class<?>> hierarchy(Class<?> type) {
        List<Class<?>> classes = new ArrayList<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            classes.add(c);
        }
        Collections.reverse(classes);
        return classes;
    }

    /**
     * Readable properties in Jackson's order: fields as declared (superclasses first), then
     * properties that only have a getter. A property needs a public getter or a public field.
     */
    private static List<Property> readableProperties(List<Class<?>> hierarchy) {
        Map<String, Property> found = new LinkedHashMap<>();
        for (Class<?> c : hierarchy) {
            for (Field field : c.getDeclaredFields()) {
                if (isInstanceMember(field.getModifiers()) && !Modifier.isTransient(field.getModifiers())) {
                    boolean visible = Modifier.isPublic(field.getModifiers()) && makeAccessible(field);
                    found.put(field.getName(), new Property(field.getName(), null, visible ? field : null));
                }
            }
        }
        for (Class<?> c : hierarchy) {
            for (Method method : c.getDeclaredMethods()) {
                String name = getterName(method);
                if (name != null && makeAccessible(method)) {
                    Property known = found.get(name);
                    found.put(name, new Property(name, method, known == null ? null : known.field()));
                }
            }
        }
        List<Property> properties = new ArrayList<>();
        for (Property property : found.values()) {
            if (property.getter() != null || property.field() != null) {
                properties.add(property);
            }
        }
        return List.copyOf(properties);
    }

    /** Setters of any visibility, else public fields; a subclass's setter wins. */
    private static Map<String, Mutator> mutators(List<Class<?>> hierarchy) {
        Map<String, Mutator> mutators = new LinkedHashMap<>();
        for (Class<?> c : hierarchy) {
            for (Field field : c.getDeclaredFields()) {
                int modifiers = field.getModifiers();
                if (isInstanceMember(modifiers) && Modifier.isPublic(modifiers) && !Modifier.isTransient(modifiers)
                    && makeAccessible(field)) {
                    mutators.putIfAbsent(field.getName(),
                        new Mutator(field.getName(), field.getGenericType(), null, field));
                }
            }
        }
        for (Class<?> c : hierarchy) {
            for (Method method : c.getDeclaredMethods()) {
                String name = setterName(method);
                if (name != null && makeAccessible(method)) {
                    mutators.put(name, new Mutator(name, method.getGenericParameterTypes()[0], method, null));
                }
            }
        }
        return Map.copyOf(mutators);
    }

    private static Constructor<?> noArgumentConstructor(Class<?> type) {
        if (Modifier.isAbstract(type.getModifiers()) || type.isInterface()) {
            return null;
        }
        try {
            Constructor<?> constructor = type.getDeclaredConstructor();
            return makeAccessible(constructor) ? constructor : null;
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    private static String getterName(Method method) {
        if (!isInstanceMember(method.getModifiers()) || !Modifier.isPublic(method.getModifiers())
            || method.getParameterCount() != 0 || method.isBridge() || method.isSynthetic()) {
            return null;
        }
        String name = method.getName();
        Class<?> returned = method.getReturnType();
        if (name.startsWith("get") && name.length() > 3 && returned != void.class) {
            return decapitalize(name.substring(3));
        }
        if (name.startsWith("is") && name.length() > 2 && (returned == boolean.class || returned == Boolean.class)) {
            return decapitalize(name.substring(2));
        }
        return null;
    }

    private static String setterName(Method method) {
        String name = method.getName();
        if (!isInstanceMember(method.getModifiers()) || method.getParameterCount() != 1 || method.isBridge()
            || method.isSynthetic() || !name.startsWith("set") || name.length() <= 3) {
            return null;
        }
        return decapitalize(name.substring(3));
    }

    private static boolean isInstanceMember(int modifiers) {
        return !Modifier.isStatic(modifiers);
    }

    /**
     * Makes a member of a function's class callable from the runtime (a package-private POJO's
     * public getter is not, otherwise). Members of the JDK's closed packages stay as they are:
     * their public members of public classes are callable anyway. False if it is not callable.
     */
    private static <T extends AccessibleObject & Member> boolean makeAccessible(T member) {
        try {
            member.setAccessible(true);
            return true;
        } catch (RuntimeException closedPackage) {
            return Modifier.isPublic(member.getDeclaringClass().getModifiers());
        }
    }
}
