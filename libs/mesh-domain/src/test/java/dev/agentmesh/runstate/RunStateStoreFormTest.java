package dev.agentmesh.runstate;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The store writes records as arrays of their components, so a component written in one position and read in
 * another would go unnoticed by a state whose components happen to be empty. This builds a run state with a distinct
 * value in every component of every record reachable from {@link RunState}.
 */
class RunStateStoreFormTest {

    private int next;

    @Test
    void everyComponentOfEveryRecordSurvivesTheStore() {
        RunState state = (RunState) valueOf(RunState.class);
        byte[] stored = RunStateJson.toStoreBytes(state);
        assertEquals(4, (stored[0] & 0xFF) >>> 5, "the store's document is a CBOR array");
        assertEquals(state, RunStateJson.fromStoreBytes(stored));
        assertEquals(state, RunStateJson.fromBytes(RunStateJson.toBytes(state)), "the API's JSON is unchanged");
        assertTrue(new String(RunStateJson.toBytes(state)).contains("\"eventIds\""), "the API's JSON names its fields");
    }

    private Object valueOf(Type type) {
        if (type instanceof ParameterizedType p) {
            Class<?> raw = (Class<?>) p.getRawType();
            Type[] args = p.getActualTypeArguments();
            if (List.class.isAssignableFrom(raw)) {
                return List.of(valueOf(args[0]), valueOf(args[0]));
            }
            if (Map.class.isAssignableFrom(raw)) {
                TreeMap<Object, Object> map = new TreeMap<>();
                map.put(valueOf(args[0]), valueOf(args[1]));
                map.put(valueOf(args[0]), valueOf(args[1]));
                return Collections.unmodifiableSortedMap(map);
            }
            throw new IllegalArgumentException("no value for " + type);
        }
        Class<?> c = (Class<?>) type;
        int n = ++next;
        if (c == String.class) {
            return "s" + n;
        }
        if (c == int.class || c == Integer.class) {
            return n;
        }
        if (c == long.class || c == Long.class) {
            return 1_000_000L + n;
        }
        if (c == double.class || c == Double.class) {
            return n + 0.25;
        }
        if (c == boolean.class || c == Boolean.class) {
            return n % 2 == 0;
        }
        if (c == Instant.class) {
            return Instant.ofEpochMilli(1_795_000_000_000L + n);
        }
        if (c.isEnum()) {
            Object[] constants = c.getEnumConstants();
            return constants[n % constants.length];
        }
        if (c.isRecord()) {
            RecordComponent[] components = c.getRecordComponents();
            Class<?>[] types = new Class<?>[components.length];
            Object[] values = new Object[components.length];
            for (int i = 0; i < components.length; i++) {
                types[i] = components[i].getType();
                values[i] = valueOf(components[i].getGenericType());
            }
            try {
                Constructor<?> canonical = c.getDeclaredConstructor(types);
                canonical.setAccessible(true);
                return canonical.newInstance(values);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot build " + c, e);
            }
        }
        throw new IllegalArgumentException("no value for " + type);
    }
}
