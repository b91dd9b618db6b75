package dev.agentmesh.contract;

import dev.agentmesh.core.Excerpt;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks rows against a {@link DataContract}; pure, so it runs the same in a service, a test or a replay. It sits on
 * the hot path of every row, hence the precomputed column table and no allocation for a valid row.
 */
public final class RowValidator {

    private static final int MAX_QUOTED_COLUMNS = 5;
    private static final int QUOTED_COLUMN = 40;
    /** The field a violation of the whole row names. */
    public static final String ROW = "(row)";

    private final DataContract contract;
    private final Map<String, DataContract.Column> columns;
    private final DataContract.Column[] checked;
    private final Set<String>[] allowed;
    private final Set<String> sensitive;

    @SuppressWarnings("unchecked")
    public RowValidator(DataContract contract) {
        this.contract = contract;
        this.columns = contract.columnsByName();
        this.checked = contract.columns().toArray(DataContract.Column[]::new);
        this.sensitive = contract.sensitive() == null ? Set.of() : Set.copyOf(contract.sensitive());
        this.allowed = new Set[checked.length];
        for (int i = 0; i < checked.length; i++) {
            List<String> values = checked[i].allowed();
            allowed[i] = values == null || values.isEmpty() ? null : new HashSet<>(values);
        }
    }

    public DataContract contract() {
        return contract;
    }

    /** Problems with a source's header that make every row unusable: a missing or unexpected column. */
    public List<String> headerProblems(Set<String> header) {
        List<String> problems = new ArrayList<>();
        columns.keySet().stream().filter(c -> !header.contains(c)).forEach(c -> problems.add("missing column '" + c + "'"));
        header.stream().filter(h -> !columns.containsKey(h)).limit(MAX_QUOTED_COLUMNS)
                .forEach(h -> problems.add("unexpected column '" + Excerpt.of(h, QUOTED_COLUMN) + "'"));
        long unexpected = header.stream().filter(h -> !columns.containsKey(h)).count();
        if (unexpected > MAX_QUOTED_COLUMNS) {
            problems.add((unexpected - MAX_QUOTED_COLUMNS) + " more unexpected columns");
        }
        return problems;
    }

    /** Every field-level violation of one row; empty (and shared) when the row is valid. */
    public List<RowViolation> validate(Map<String, String> row) {
        List<RowViolation> violations = null;
        String length = row.get(CsvRows.OVERSIZED_ROW);
        if (length != null) {
            return List.of(new RowViolation(ROW, length + " characters, over the limit of " + CsvRows.MAX_ROW_CHARS
                    + " for one row (its cells are kept as excerpts)"));
        }
        if (row.size() != checked.length || !columns.keySet().containsAll(row.keySet())) {
            for (String field : row.keySet()) {
                if (field.equals(CsvRows.EXTRA_CELLS)) {
                    violations = add(violations, new RowViolation(ROW, row.get(field) + " more cells than the header has columns"));
                } else if (!columns.containsKey(field)) {
                    violations = add(violations, new RowViolation(Excerpt.of(field, QUOTED_COLUMN),
                            "not in contract " + contract.name()));
                }
            }
        }
        for (int i = 0; i < checked.length; i++) {
            DataContract.Column column = checked[i];
            String raw = row.get(column.name());
            if (contract.missing(raw)) {
                if (column.required()) {
                    violations = add(violations, new RowViolation(column.name(), "required but missing"));
                }
                continue;
            }
            String value = raw.trim();
            if (value.indexOf(CsvRows.NOT_UTF8) >= 0) {
                violations = add(violations, new RowViolation(column.name(), "not valid UTF-8 text"));
                continue;
            }
            RowViolation violation = switch (column.type()) {
                case CATEGORY, STRING -> allowed[i] == null || allowed[i].contains(value) ? null
                        : new RowViolation(column.name(), shown(column, value) + " is not one of " + column.allowed());
                case INTEGER -> integer(column, value);
                case NUMBER -> number(column, value);
            };
            if (violation != null) {
                violations = add(violations, violation);
            }
        }
        return violations == null ? List.of() : violations;
    }

    /**
     * How a violation names the value: a bounded, quoted excerpt, or nothing of it for a column the contract marks
     * sensitive (reasons travel to dead-letter headers, run state, logs and people who may not see it).
     */
    private String shown(DataContract.Column column, String value) {
        return sensitive.contains(column.name()) ? SENSITIVE_VALUE : "'" + Excerpt.of(value, Excerpt.ROW) + "'";
    }

    /** What a violation says in place of a sensitive column's value. */
    public static final String SENSITIVE_VALUE = "a sensitive value";

    private RowViolation integer(DataContract.Column column, String value) {
        try {
            return outOfRange(column, value, Long.parseLong(value));
        } catch (NumberFormatException e) {
            return new RowViolation(column.name(), shown(column, value) + " is not an integer");
        }
    }

    private RowViolation number(DataContract.Column column, String value) {
        try {
            double number = Double.parseDouble(value);
            if (Double.isNaN(number) || Double.isInfinite(number)) {
                return new RowViolation(column.name(), shown(column, value) + " is not a finite number");
            }
            return outOfRange(column, value, number);
        } catch (NumberFormatException e) {
            return new RowViolation(column.name(), shown(column, value) + " is not a number");
        }
    }

    private RowViolation outOfRange(DataContract.Column column, String raw, double value) {
        String named = sensitive.contains(column.name()) ? SENSITIVE_VALUE : String.valueOf(value);
        if (column.min() != null && value < column.min()) {
            return new RowViolation(column.name(), named + " is below the minimum " + column.min());
        }
        if (column.max() != null && value > column.max()) {
            return new RowViolation(column.name(), named + " is above the maximum " + column.max());
        }
        return null;
    }

    private static List<RowViolation> add(List<RowViolation> violations, RowViolation violation) {
        List<RowViolation> list = violations == null ? new ArrayList<>(2) : violations;
        list.add(violation);
        return list;
    }

    /**
     * The contract's unique key across one run's rows: the first row with a key value owns it, a later row with the
     * same value is a violation naming that first row. Holds one entry per distinct key (memory grows with the run).
     */
    public static final class UniqueKeys {
        private final String keyColumn;
        private final boolean keyIsSensitive;
        private final Map<String, Long> firstSeen = new HashMap<>();

        public UniqueKeys(DataContract contract) {
            this.keyColumn = contract.key();
            this.keyIsSensitive = contract.sensitive() != null && contract.sensitive().contains(keyColumn);
        }

        /** The violation for a duplicate key, or null; rows without a key value are left to the column's own check. */
        public RowViolation check(Map<String, String> row, long rowIndex) {
            if (keyColumn == null) {
                return null;
            }
            String raw = row.get(keyColumn);
            if (raw == null || raw.isBlank()) {
                return null;
            }
            Long first = firstSeen.putIfAbsent(raw.trim(), rowIndex);
            return first == null ? null
                    : new RowViolation(keyColumn, "duplicate key " + (keyIsSensitive ? "(" + SENSITIVE_VALUE + ")"
                    : "'" + Excerpt.of(raw.trim(), Excerpt.ROW) + "'") + " (first seen at row " + first + ")");
        }
    }
}
