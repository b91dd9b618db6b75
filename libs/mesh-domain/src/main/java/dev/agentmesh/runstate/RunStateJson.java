package dev.agentmesh.runstate;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;

/**
 * The canonical JSON form of run state: sorted keys, ISO instants; its REST and replay form. Stores keep the same
 * document in CBOR ({@link #toStoreBytes}), binary JSON that is quicker to write and read, with instants as epoch
 * milliseconds (the log's timestamps are whole milliseconds; formatting and parsing ISO text was a third of the cost)
 * and each record as an array of its components in declaration order, not an object repeating every field's name: a
 * nightly run's state is half the bytes, and the store writes it whole at every commit it changed in. The reader takes
 * both shapes, so a store or changelog written in objects still reads.
 */
public final class RunStateJson {

    public static final ObjectMapper MAPPER = configure(new ObjectMapper());

    private static final ObjectMapper STORE_OBJECTS = configure(new CBORMapper())
            .registerModule(new SimpleModule("store-instants").addSerializer(Instant.class, new StoreInstantSerializer()))
            .disable(DeserializationFeature.READ_DATE_TIMESTAMPS_AS_NANOSECONDS);

    private static final ObjectMapper STORE = asArrays(STORE_OBJECTS.copy(), RunState.class, new HashSet<>());

    /** CBOR's major type 4, an array, in the top three bits of a document's first byte; objects (maps) are type 5. */
    private static final int CBOR_ARRAY = 4;

    private static ObjectMapper configure(ObjectMapper mapper) {
        return mapper.registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    private RunStateJson() {
    }

    /** An instant in whole milliseconds as a number, any other as ISO text; the store's reader takes both. */
    private static final class StoreInstantSerializer extends StdSerializer<Instant> {

        StoreInstantSerializer() {
            super(Instant.class);
        }

        @Override
        public void serialize(Instant value, JsonGenerator out, SerializerProvider provider) throws IOException {
            if (value.getNano() % 1_000_000 == 0) {
                out.writeNumber(value.toEpochMilli());
            } else {
                out.writeString(value.toString());
            }
        }
    }

    /** Every record reachable from {@code type}, through its components and their type arguments, written as an array. */
    private static ObjectMapper asArrays(ObjectMapper mapper, Type type, Set<Class<?>> seen) {
        if (type instanceof ParameterizedType p) {
            for (Type argument : p.getActualTypeArguments()) {
                asArrays(mapper, argument, seen);
            }
        } else if (type instanceof Class<?> c && c.isRecord() && seen.add(c)) {
            mapper.configOverride(c).setFormat(JsonFormat.Value.forShape(JsonFormat.Shape.ARRAY));
            for (RecordComponent component : c.getRecordComponents()) {
                asArrays(mapper, component.getGenericType(), seen);
            }
        }
        return mapper;
    }

    public static byte[] toBytes(RunState state) {
        try {
            return MAPPER.writeValueAsBytes(state);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The store's form: the same document in CBOR, records as arrays. */
    public static byte[] toStoreBytes(RunState state) {
        try {
            return STORE.writeValueAsBytes(state);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static RunState fromStoreBytes(byte[] bytes) {
        try {
            boolean arrays = bytes.length > 0 && (bytes[0] & 0xFF) >>> 5 == CBOR_ARRAY;
            return (arrays ? STORE : STORE_OBJECTS).readValue(bytes, RunState.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stored run state (" + bytes.length + " bytes of CBOR)", e);
        }
    }

    public static RunState fromBytes(byte[] bytes) {
        try {
            return MAPPER.readValue(bytes, RunState.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read run state: " + new String(bytes, StandardCharsets.UTF_8), e);
        }
    }
}
