package dev.agentmesh.runstate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The canonical JSON form of run state: sorted keys, ISO instants. Also its store and REST form. */
public final class RunStateJson {

    public static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private RunStateJson() {
    }

    public static byte[] toBytes(RunState state) {
        try {
            return MAPPER.writeValueAsBytes(state);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
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
