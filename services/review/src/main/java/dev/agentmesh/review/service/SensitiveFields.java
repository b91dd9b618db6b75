package dev.agentmesh.review.service;

import dev.agentmesh.contract.SensitiveValues;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A row's sensitive columns, as its data contract names them, hidden from people by default: in a dead-lettered row's
 * Avro JSON ({@code {"values": {"age": {"string": "67"}, ...}}}) each such value becomes {@link #MASK}. An edit sent
 * back with a value still masked keeps the original value, so a reviewer can fix one column without seeing the others.
 */
final class SensitiveFields {

    static final String MASK = SensitiveValues.MASK;

    /** Every column: what is hidden when the row's contract cannot be read. */
    static final Set<String> ALL = SensitiveValues.ALL;

    private static final ObjectMapper JSON = new ObjectMapper();

    private SensitiveFields() {
    }

    /** {@code avroJson} with the values of {@code sensitive} columns masked; anything that is not a row unchanged. */
    static String mask(String avroJson, Set<String> sensitive) {
        if (avroJson == null || sensitive.isEmpty()) {
            return avroJson;
        }
        JsonNode root;
        try {
            root = JSON.readTree(avroJson);
        } catch (JsonProcessingException e) {
            return avroJson;
        }
        if (root == null || !(root.get("values") instanceof ObjectNode values)) {
            return avroJson;
        }
        for (String column : columns(values, sensitive)) {
            JsonNode value = values.get(column);
            if (value.isObject() && value.has("string")) {
                ((ObjectNode) value).put("string", MASK);
            } else if (value.isTextual()) {
                values.put(column, MASK);
            }
        }
        return write(root);
    }

    /** {@code reason} with what each violation of a sensitive column says of its value masked ({@link SensitiveValues}). */
    static String maskReason(String reason, Set<String> sensitive) {
        return SensitiveValues.maskReason(reason, sensitive);
    }

    /** Whether {@code avroJson} is a row with a value in any of the {@code sensitive} columns: whether masking hides anything. */
    static boolean hidesAnything(String avroJson, Set<String> sensitive) {
        if (avroJson == null || sensitive.isEmpty()) {
            return false;
        }
        try {
            return JSON.readTree(avroJson) instanceof ObjectNode root && root.get("values") instanceof ObjectNode values
                    && columns(values, sensitive).stream().map(values::get)
                    .anyMatch(v -> (v.isObject() && v.has("string")) || v.isTextual());
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    /** {@code edited} with every value still masked put back from {@code original}. */
    static String unmask(String edited, String original, Set<String> sensitive) {
        if (edited == null || original == null || !edited.contains(MASK)) {
            return edited;
        }
        JsonNode root = read(edited);
        JsonNode originalValues = read(original).get("values");
        if (!(root.get("values") instanceof ObjectNode values) || originalValues == null) {
            return edited;
        }
        for (String column : columns(values, sensitive)) {
            JsonNode value = values.get(column);
            boolean masked = (value.isObject() && MASK.equals(value.path("string").asText(null)))
                    || (value.isTextual() && MASK.equals(value.asText()));
            if (masked && originalValues.has(column)) {
                values.set(column, originalValues.get(column).deepCopy());
            }
        }
        return write(root);
    }

    private static List<String> columns(ObjectNode values, Set<String> sensitive) {
        List<String> columns = new ArrayList<>();
        for (Iterator<String> names = values.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (SensitiveValues.isSensitive(name, sensitive)) {
                columns.add(name);
            }
        }
        return columns;
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static String write(JsonNode node) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
