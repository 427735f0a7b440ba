package swiftlet.runtime;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the function's Handler setting into a Handler, as AWS's Java runtime does.
 *
 * <p>{@code package.Class} names a class implementing RequestStreamHandler or
 * RequestHandler&lt;I, O&gt;; {@code package.Class::method} names a public method of one of the
 * shapes AWS accepts: (InputStream, OutputStream, Context), (InputStream, OutputStream),
 * (InputStream, Context), (OutputStream, Context), (InputStream), (OutputStream), (Context),
 * (I, Context), (I) and (). Among overloads the longest signature wins, one ending in Context
 * counting one more. The class is initialised and, unless the method is static, constructed once.
 *
 * <p>The adapters are named classes, not lambdas: the JVM spins a class at run time for each
 * lambda it meets, which costs start-up time.
 *
 * <p>Failures are UserFaults with AWS's messages. A static initialiser or constructor that throws
 * is fatal (an init error); a class that cannot be found or has no usable method is not: every
 * invocation fails with the fault, as on AWS.
 */
final class HandlerLoader {

    private HandlerLoader() {
    }

    /** Loads the handler; throws a fatal UserFault, returns a failing Handler for the others. */
    static Handler load(String handler, ClassLoader loader) {
        int separator = handler.lastIndexOf("::");
        String className = separator < 0 ? handler : handler.substring(0, separator);
        String methodName = separator < 0 ? null : handler.substring(separator + 2);
        if (className.isEmpty() || methodName != null && methodName.isEmpty()) {
            return Handler.failing(UserFault.of("Invalid handler: `" + handler + "'"));
        }

        Class<?> type;
        try {
            type = Class.forName(className, true, loader);
        } catch (ClassNotFoundException e) {
            return Handler.failing(UserFault.classNotFound(e, className));
        } catch (NoClassDefFoundError e) {
            return Handler.failing(UserFault.loadFailure(e, className, false));
        } catch (Throwable e) {
            // The static initialiser threw (ExceptionInInitializerError, or an Error as it is).
            throw UserFault.loadFailure(e, className, true);
        }
        return methodName == null ? fromInterface(type) : fromMethod(type, methodName);
    }

    // --- package.Class -----------------------------------------------------------------

    private static Handler fromInterface(Class<?> type) {
        try {
            if (RequestStreamHandler.class.isAssignableFrom(type)) {
                return new StreamObject((RequestStreamHandler) newInstance(type));
            }
            if (RequestHandler.class.isAssignableFrom(type)) {
                return requestHandler(type);
            }
        } catch (UserFault fault) {
            if (fault.fatal) {
                throw fault;
            }
            return Handler.failing(fault);
        }
        return Handler.failing(UserFault.of("Class does not implement an appropriate handler interface: "
            + type.getName()));
    }

    @SuppressWarnings("rawtypes")
    private static Handler requestHandler(Class<?> type) {
        Type[] parameters = requestHandlerTypes(type);
        if (parameters == null) {
            throw UserFault.of("Class " + type.getName() + " does not implement RequestHandler with concrete type "
                + "parameters");
        }
        for (Type parameter : parameters) {
            if (parameter instanceof TypeVariable<?> variable && variable.getBounds()[0] == Object.class) {
                throw UserFault.of("Class " + type.getName() + " does not implement RequestHandler with concrete "
                    + "type parameters: parameter " + variable + " has no upper bound.");
            }
        }
        RequestHandler handler = (RequestHandler) newInstance(type);
        return new PojoHandler(new RequestHandlerCall(handler), parameters[0], !PojoHandler.isVoid(parameters[1]));
    }

    /** The I and O of RequestHandler&lt;I, O&gt; as {@code type} implements it; null if raw. */
    static Type[] requestHandlerTypes(Class<?> type) {
        return typeArguments(type, Map.of());
    }

    private static Type[] typeArguments(Type type, Map<TypeVariable<?>, Type> outer) {
        Class<?> raw = JsonBinder.rawClass(type);
        Map<TypeVariable<?>, Type> variables = new HashMap<>();
        if (type instanceof ParameterizedType parameterized) {
            TypeVariable<?>[] names = raw.getTypeParameters();
            Type[] arguments = parameterized.getActualTypeArguments();
            for (int i = 0; i < names.length && i < arguments.length; i++) {
                Type argument = arguments[i];
                variables.put(names[i], argument instanceof TypeVariable<?> v && outer.containsKey(v)
                    ? outer.get(v) : argument);
            }
        }
        if (raw == RequestHandler.class) {
            if (!(type instanceof ParameterizedType)) {
                return null;
            }
            TypeVariable<?>[] names = raw.getTypeParameters();
            return new Type[] {variables.get(names[0]), variables.get(names[1])};
        }
        List<Type> parents = new ArrayList<>(Arrays.asList(raw.getGenericInterfaces()));
        if (raw.getGenericSuperclass() != null) {
            parents.add(raw.getGenericSuperclass());
        }
        for (Type parent : parents) {
            if (RequestHandler.class.isAssignableFrom(JsonBinder.rawClass(parent))) {
                return typeArguments(parent, variables);
            }
        }
        return null;
    }

    // --- package.Class::method ---------------------------------------------------------

    /** Bridges last; longer signatures first, one ending in Context counting one more. */
    private static final class OverloadPriority implements Comparator<Method> {
        @Override
        public int compare(Method left, Method right) {
            if (left.isBridge() != right.isBridge()) {
                return left.isBridge() ? 1 : -1;
            }
            return Integer.compare(weight(right), weight(left));
        }

        private static int weight(Method method) {
            Class<?>[] parameters = method.getParameterTypes();
            boolean endsWithContext = parameters.length > 0 && parameters[parameters.length - 1] == Context.class;
            return parameters.length + (endsWithContext ? 1 : 0);
        }
    }

    private static Handler fromMethod(Class<?> type, String methodName) {
        List<Method> candidates = new ArrayList<>();
        try {
            for (Method method : type.getMethods()) {
                if (method.getName().equals(methodName)) {
                    candidates.add(method);
                }
            }
        } catch (NoClassDefFoundError e) {
            return Handler.failing(UserFault.methodLoadFailure(e, methodName, type.getName()));
        }
        candidates.sort(new OverloadPriority());
        for (Method method : candidates) {
            Handler handler = fromOverload(type, method);
            if (handler != null) {
                return handler;
            }
        }
        return Handler.failing(UserFault.of("No public method named " + methodName
            + " with appropriate method signature found on class " + type.getName()));
    }

    /** The handler for one overload, or null (with AWS's note on standard error) if unusable. */
    private static Handler fromOverload(Class<?> type, Method method) {
        Shape shape = Shape.of(method);
        if (shape == null) {
            return null;
        }
        try {
            Object instance = Modifier.isStatic(method.getModifiers()) ? null : newInstance(type);
            return shape.stream ? streamMethod(method, instance, shape) : pojoMethod(method, instance, shape);
        } catch (UserFault fault) {
            if (fault.fatal) {
                throw fault;
            }
            return Handler.failing(fault);
        }
    }

    private static Handler pojoMethod(Method method, Object instance, Shape shape) {
        Type input = shape.input ? method.getGenericParameterTypes()[0] : null;
        MethodCall call = new MethodCall(method, instance, shape);
        return new PojoHandler(call, input, !PojoHandler.isVoid(method.getGenericReturnType()));
    }

    private static Handler streamMethod(Method method, Object instance, Shape shape) {
        if (!PojoHandler.isVoid(method.getReturnType())) {
            System.err.println("Will ignore return type " + method.getReturnType() + " on byte stream handler");
        }
        return new StreamMethod(new MethodCall(method, instance, shape), shape);
    }

    /**
     * Constructs the handler's class with its public no-argument constructor. A constructor that
     * throws is a fatal fault with the thrown exception's type and message; a missing
     * constructor is a non-fatal one, with AWS's wording.
     */
    private static Object newInstance(Class<?> type) {
        Constructor<?> constructor;
        try {
            constructor = type.getConstructor();
        } catch (NoSuchMethodException e) {
            boolean inner = type.getEnclosingClass() != null && !Modifier.isStatic(type.getModifiers());
            String message = inner
                ? "Class " + type.getName() + " cannot be instantiated because it is a non-static inner class"
                : "Class " + type.getName() + " has no public zero-argument constructor";
            throw UserFault.of(new Exception(message), false);
        }
        try {
            return constructor.newInstance();
        } catch (InvocationTargetException e) {
            throw UserFault.of(e.getCause() == null ? e : e.getCause(), true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw UserFault.of(e.getCause() == null ? e : e.getCause(), false);
        }
    }

    // --- Adapters ----------------------------------------------------------------------

    /** A RequestStreamHandler object. */
    private record StreamObject(RequestStreamHandler target) implements Handler {
        @Override
        public void handle(InputStream event, OutputStream response, Context context) throws IOException {
            target.handleRequest(event, response, context);
        }
    }

    /**
     * A RequestHandler object, called through the interface rather than by reflection so that a
     * trace shows the function's method and its bridge method, as on AWS.
     */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private record RequestHandlerCall(RequestHandler target) implements PojoHandler.Call {
        @Override
        public Object call(Object input, Context context) {
            return target.handleRequest(input, context);
        }
    }

    /** A method named by {@code Class::method}, called by reflection (its frames stay in traces, as on AWS). */
    private record MethodCall(Method method, Object instance, Shape shape) implements PojoHandler.Call {
        @Override
        public Object call(Object input, Context context) throws Throwable {
            return invoke(input, null, context);
        }

        /** Calls the method, rethrowing what it threw rather than a reflective wrapper. */
        Object invoke(Object event, OutputStream response, Context context) throws Throwable {
            try {
                return method.invoke(instance, shape.arguments(event, response, context));
            } catch (InvocationTargetException e) {
                throw e.getCause() == null ? e : e.getCause();
            }
        }
    }

    /** A method taking the event's and the response's streams: its return value is ignored. */
    private record StreamMethod(MethodCall call, Shape shape) implements Handler {
        private static final byte[] JSON_NULL = {'n', 'u', 'l', 'l'};

        @Override
        public void handle(InputStream event, OutputStream response, Context context) throws Throwable {
            if (!shape.input) {
                event.close();
            }
            call.invoke(event, response, context);
            if (!shape.output) {
                response.write(JSON_NULL);
            }
        }
    }

    /** Which arguments a method takes: the event (as a stream or a value), the output stream, the context. */
    private record Shape(boolean stream, boolean input, boolean output, boolean context) {

        /** The shape of {@code method}, or null (noted on standard error, as AWS does) if it has none. */
        static Shape of(Method method) {
            Class<?>[] p = method.getParameterTypes();
            switch (p.length) {
                case 0:
                    return new Shape(false, false, false, false);
                case 1:
                    return oneParameter(p[0]);
                case 2:
                    return twoParameters(p[0], p[1]);
                case 3:
                    if (p[0] == InputStream.class && p[1] == OutputStream.class && p[2] == Context.class) {
                        return new Shape(true, true, true, true);
                    }
                    return ignore("Ignoring three-argument overload because argument signature is not "
                        + "(InputStream, OutputStream, Context");
                default:
                    return ignore("Ignoring an overload of method " + method.getName()
                        + " because it has too many parameters: Expected at most 3, got " + p.length);
            }
        }

        private static Shape oneParameter(Class<?> p) {
            if (p == InputStream.class) {
                return new Shape(true, true, false, false);
            }
            if (p == OutputStream.class) {
                return new Shape(true, false, true, false);
            }
            return p == Context.class ? new Shape(false, false, false, true) : new Shape(false, true, false, false);
        }

        private static Shape twoParameters(Class<?> first, Class<?> second) {
            if (first == OutputStream.class) {
                return second == Context.class ? new Shape(true, false, true, true) : ignore("Ignoring two-argument "
                    + "overload because first argument type is OutputStream and second argument type is not Context");
            }
            if (first == Context.class) {
                return ignore("Ignoring two-argument overload because first argument type is Context");
            }
            if (first == InputStream.class) {
                if (second == OutputStream.class) {
                    return new Shape(true, true, true, false);
                }
                return second == Context.class ? new Shape(true, true, false, true) : ignore("Ignoring two-argument "
                    + "overload because second parameter type, " + second.getName() + ", is not OutputStream.");
            }
            return second == Context.class ? new Shape(false, true, false, true)
                : ignore("Ignoring two-argument overload because second parameter type is not Context");
        }

        private static Shape ignore(String note) {
            System.err.println(note);
            return null;
        }

        /** The arguments for a call, in parameter order. */
        Object[] arguments(Object event, OutputStream response, Context invocationContext) {
            List<Object> arguments = new ArrayList<>(3);
            if (input) {
                arguments.add(event);
            }
            if (output) {
                arguments.add(response);
            }
            if (context) {
                arguments.add(invocationContext);
            }
            return arguments.toArray();
        }
    }
}
