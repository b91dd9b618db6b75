package dev.agentmesh.contract;

import com.fasterxml.jackson.databind.MapperFeature;
import dev.agentmesh.core.ShippedYaml;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A data contract, read from YAML: the columns, their types and constraints, the label and the sensitive attributes,
 * and how much of a source may break it ({@code max_rejected_fraction}: over it, row validation fails the run instead
 * of going on with the rest; absent, any number of rows may be rejected), and the cells that mean "no value" besides an
 * empty one ({@code missing_values}, such as {@code NA} or {@code ?}): a missing value fails a required column, and
 * feature extraction puts a numeric column's training mean in its place and sets its missing indicator.
 */
public record DataContract(
        String name,
        int version,
        String description,
        String label,
        @JsonProperty("positive_label") String positiveLabel,
        String key,
        List<String> sensitive,
        Map<String, Object> split,
        List<Column> columns,
        Fairness fairness,
        @JsonProperty("max_rejected_fraction") Double maxRejectedFraction,
        @JsonProperty("missing_values") List<String> missingValues) {

    /**
     * How this data's sensitive attributes are judged, where it differs from the risk-fairness service's defaults:
     * subgroup gap thresholds, the smallest group counted, and the bands numeric attributes are cut into. A gap that is
     * expected in this data (age in a diabetes model) is set here, with the data, not in a service setting.
     */
    public record Fairness(@JsonProperty("gap_concern") Double gapConcern, @JsonProperty("gap_block") Double gapBlock,
                           @JsonProperty("min_group_size") Integer minGroupSize, Map<String, List<Double>> bands) {
    }

    public enum Type { STRING, CATEGORY, INTEGER, NUMBER }

    public record Column(String name, Type type, boolean required, List<String> allowed, Double min, Double max) {
    }

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .configure(DeserializationFeature.READ_ENUMS_USING_TO_STRING, false)
            .configure(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS, true)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    public static DataContract read(InputStream yaml) {
        try {
            return YAML.readValue(yaml, DataContract.class).checked();
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid data contract: " + e.getMessage(), e);
        }
    }

    /** The contracts shipped with the mesh ({@code contracts/<name>.yaml} on the classpath). */
    public static final List<String> SHIPPED = List.of("credit-g", "transactions");

    /** A contract shipped with the mesh, or a YAML file path. */
    public static DataContract load(String nameOrPath) {
        try {
            return ShippedYaml.load("contracts", nameOrPath, "data contract", DataContract::read);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("no data contract")) {
                throw new IllegalArgumentException(e.getMessage() + " (shipped: " + String.join(", ", SHIPPED)
                        + "; draft one for your own data with `meshctl contracts infer --csv FILE`)", e);
            }
            throw e;
        }
    }

    /** Whether a cell holds no value: absent, blank, or one of the contract's {@code missing_values}. */
    public boolean missing(String cell) {
        if (cell == null || cell.isBlank()) {
            return true;
        }
        return missingValues != null && missingValues.contains(cell.trim());
    }

    public Map<String, Column> columnsByName() {
        Map<String, Column> byName = new LinkedHashMap<>();
        columns.forEach(c -> byName.put(c.name(), c));
        return byName;
    }

    private DataContract checked() {
        List<String> problems = new ArrayList<>();
        if (columns == null || columns.isEmpty()) {
            problems.add("no columns");
        } else {
            Map<String, Column> byName = columnsByName();
            if (byName.size() != columns.size()) {
                problems.add("duplicate column names");
            }
            if (key != null && !byName.containsKey(key)) {
                problems.add("key '" + key + "' is not a column");
            }
            if (label != null && !byName.containsKey(label)) {
                problems.add("label '" + label + "' is not a column");
            }
            if (sensitive != null) {
                sensitive.stream().filter(s -> !byName.containsKey(s))
                        .forEach(s -> problems.add("sensitive attribute '" + s + "' is not a column"));
            }
            columns.stream().filter(c -> c.type() == Type.CATEGORY && (c.allowed() == null || c.allowed().isEmpty()))
                    .forEach(c -> problems.add("category column '" + c.name() + "' lists no allowed values"));
        }
        if (maxRejectedFraction != null && !(maxRejectedFraction >= 0 && maxRejectedFraction <= 1)) {
            problems.add("max_rejected_fraction must be between 0 and 1, not " + maxRejectedFraction);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid data contract " + name + ": " + String.join("; ", problems));
        }
        return this;
    }
}
