package dev.agentmesh.judgment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shape every model answer must have: a verdict from the role's Avro enum, a one-line summary, and the evidence
 * as named strings. The JSON schema sent with the prompt is derived from the Avro enum, and every answer is checked
 * against it before anything uses it.
 */
public final class AnswerSchema {

    public static final int MAX_SUMMARY = 1000;
    public static final int MAX_EVIDENCE = 32;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> verdicts;

    private AnswerSchema(List<String> verdicts) {
        if (verdicts.isEmpty()) {
            throw new IllegalArgumentException("an answer needs at least one verdict");
        }
        this.verdicts = List.copyOf(verdicts);
    }

    /** Verdicts are the symbols of an Avro enum: the role's output type says what may be answered. */
    public static AnswerSchema of(Schema verdictEnum) {
        if (verdictEnum.getType() != Schema.Type.ENUM) {
            throw new IllegalArgumentException(verdictEnum.getFullName() + " is not an enum");
        }
        return new AnswerSchema(verdictEnum.getEnumSymbols());
    }

    public static AnswerSchema of(Schema verdictEnum, List<String> allowed) {
        List<String> symbols = verdictEnum.getEnumSymbols();
        if (!symbols.containsAll(allowed)) {
            throw new IllegalArgumentException(allowed + " are not all symbols of " + verdictEnum.getFullName());
        }
        return new AnswerSchema(allowed);
    }

    public List<String> verdicts() {
        return verdicts;
    }

    public String json() {
        ObjectNode schema = JSON.createObjectNode();
        schema.put("type", "object");
        schema.put("additionalProperties", false);
        schema.putArray("required").add("verdict").add("summary").add("evidence");
        ObjectNode properties = schema.putObject("properties");
        ArrayNode symbols = properties.putObject("verdict").put("type", "string").putArray("enum");
        verdicts.forEach(symbols::add);
        properties.putObject("summary").put("type", "string").put("minLength", 1).put("maxLength", MAX_SUMMARY);
        properties.putObject("evidence").put("type", "object").put("maxProperties", MAX_EVIDENCE)
                .putObject("additionalProperties").put("type", "string");
        return schema.toString();
    }

    /** The answer, or why it cannot be used. A fenced code block around the JSON is tolerated. */
    public Parsed parse(String raw) {
        if (raw == null || raw.isBlank()) {
            return Parsed.problem("the answer is empty");
        }
        String text = unfenced(raw.strip());
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return Parsed.problem("the answer is not JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            return Parsed.problem("the answer is not a JSON object");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!List.of("verdict", "summary", "evidence").contains(name)) {
                return Parsed.problem("unknown field '" + name + "'");
            }
        }
        JsonNode verdict = node.get("verdict");
        if (verdict == null || !verdict.isTextual() || !verdicts.contains(verdict.asText())) {
            return Parsed.problem("verdict must be one of " + verdicts + ", was " + (verdict == null ? "missing" : verdict));
        }
        JsonNode summary = node.get("summary");
        if (summary == null || !summary.isTextual() || summary.asText().isBlank() || summary.asText().length() > MAX_SUMMARY) {
            return Parsed.problem("summary must be a non-empty string of at most " + MAX_SUMMARY + " characters");
        }
        JsonNode evidence = node.get("evidence");
        if (evidence == null || !evidence.isObject() || evidence.size() > MAX_EVIDENCE) {
            return Parsed.problem("evidence must be an object of at most " + MAX_EVIDENCE + " strings");
        }
        Map<String, String> cited = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = evidence.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                return Parsed.problem("evidence '" + e.getKey() + "' must be a string");
            }
            cited.put(e.getKey(), e.getValue().asText());
        }
        return new Parsed(new Answer(verdict.asText(), summary.asText(), cited), null);
    }

    private static String unfenced(String text) {
        if (text.startsWith("```")) {
            int open = text.indexOf('\n');
            int close = text.lastIndexOf("```");
            if (open > 0 && close > open) {
                return text.substring(open + 1, close).strip();
            }
        }
        return text;
    }

    /** Either an answer or the reason there is none. */
    public record Parsed(Answer answer, String problem) {
        static Parsed problem(String problem) {
            return new Parsed(null, problem);
        }
    }
}
