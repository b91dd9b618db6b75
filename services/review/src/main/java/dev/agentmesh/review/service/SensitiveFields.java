package dev.agentmesh.review.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A row's sensitive columns, as its data contract names them, hidden from people by default: in a dead-lettered row's
 * Avro JSON ({@code {"values": {"age": {"string": "67"}, ...}}}) each such value becomes {@link #MASK}. An edit sent
 * back with a value still masked keeps the original value, so a reviewer can fix one column without seeing the others.
 */
final class SensitiveFields {

    static final String MASK = "***";

    /** Every column: what is hidden when the row's contract cannot be read. */
    static final Set<String> ALL = Set.of("*");

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

    /**
     * {@code reason} (a failure reason, or a header carrying one) with what each violation of a sensitive column says of
     * its value masked: "age: 'x1' is not an integer" becomes "age: '***' is not an integer". The row-validator no
     * longer quotes such values; records written before it stopped, or by other producers, still may.
     */
    static String maskReason(String reason, Set<String> sensitive) {
        if (reason == null || sensitive.isEmpty()) {
            return reason;
        }
        Matcher m = VIOLATION.matcher(reason);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String column = m.group(2);
            String said = m.group(3);
            if (sensitive.contains(column) || sensitive.equals(ALL)) {
                said = QUOTED.matcher(said).replaceAll("'" + MASK + "'");
                said = LEADING_NUMBER.matcher(said).replaceFirst(MASK + " ");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + column + ": " + said));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** One field's violation in a reason: "column: what is wrong", after the start, a "; " or a ": ". */
    private static final Pattern VIOLATION = Pattern.compile("(^|; |: )([\\w.-]+): ([^;]*)");
    private static final Pattern QUOTED = Pattern.compile("'[^']*'");
    private static final Pattern LEADING_NUMBER = Pattern.compile("^-?[0-9][0-9.eE+-]* ");

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
            if (sensitive.contains(name) || sensitive.equals(ALL)) {
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
