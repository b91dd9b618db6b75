package dev.agentmesh.contract;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Checks rows against a {@link DataContract}; pure, so it runs the same in a service, a test or a replay. */
public final class RowValidator {

    private final DataContract contract;
    private final Map<String, DataContract.Column> columns;

    public RowValidator(DataContract contract) {
        this.contract = contract;
        this.columns = contract.columnsByName();
    }

    public DataContract contract() {
        return contract;
    }

    /** Problems with a source's header that make every row unusable: a missing or unexpected column. */
    public List<String> headerProblems(Set<String> header) {
        List<String> problems = new ArrayList<>();
        columns.keySet().stream().filter(c -> !header.contains(c)).forEach(c -> problems.add("missing column '" + c + "'"));
        header.stream().filter(h -> !columns.containsKey(h)).forEach(h -> problems.add("unexpected column '" + h + "'"));
        return problems;
    }

    /** Every field-level violation of one row; empty when the row is valid. */
    public List<RowViolation> validate(Map<String, String> row) {
        List<RowViolation> violations = new ArrayList<>();
        row.keySet().stream().filter(f -> !columns.containsKey(f))
                .forEach(f -> violations.add(new RowViolation(f, "not in contract " + contract.name())));
        for (DataContract.Column column : contract.columns()) {
            String raw = row.get(column.name());
            String value = raw == null ? null : raw.trim();
            if (value == null || value.isEmpty()) {
                if (column.required()) {
                    violations.add(new RowViolation(column.name(), "required but missing"));
                }
                continue;
            }
            switch (column.type()) {
                case CATEGORY -> {
                    if (!column.allowed().contains(value)) {
                        violations.add(new RowViolation(column.name(), "'" + value + "' is not one of " + column.allowed()));
                    }
                }
                case INTEGER -> {
                    try {
                        checkRange(column, Long.parseLong(value), violations);
                    } catch (NumberFormatException e) {
                        violations.add(new RowViolation(column.name(), "'" + value + "' is not an integer"));
                    }
                }
                case NUMBER -> {
                    try {
                        double number = Double.parseDouble(value);
                        if (Double.isNaN(number) || Double.isInfinite(number)) {
                            violations.add(new RowViolation(column.name(), "'" + value + "' is not a finite number"));
                        } else {
                            checkRange(column, number, violations);
                        }
                    } catch (NumberFormatException e) {
                        violations.add(new RowViolation(column.name(), "'" + value + "' is not a number"));
                    }
                }
                case STRING -> {
                    if (column.allowed() != null && !column.allowed().isEmpty() && !column.allowed().contains(value)) {
                        violations.add(new RowViolation(column.name(), "'" + value + "' is not one of " + column.allowed()));
                    }
                }
            }
        }
        return violations;
    }

    private static void checkRange(DataContract.Column column, double value, List<RowViolation> violations) {
        if (column.min() != null && value < column.min()) {
            violations.add(new RowViolation(column.name(), value + " is below the minimum " + column.min()));
        }
        if (column.max() != null && value > column.max()) {
            violations.add(new RowViolation(column.name(), value + " is above the maximum " + column.max()));
        }
    }
}
