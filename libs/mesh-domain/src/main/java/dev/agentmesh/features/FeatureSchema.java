package dev.agentmesh.features;

import dev.agentmesh.contract.DataContract;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The features a contract implies: one-hot {@code column=value} for each allowed value of a category column (in
 * the contract's order), the column itself for a numeric column, in contract column order, label excluded. A numeric
 * column that is not required also gets {@code column=missing}: 1 where the value was missing (and took the training
 * mean), so a model can learn from the absence and an assessment can tell an imputed value from a real one.
 */
public record FeatureSchema(List<String> names, String labelColumn, String positiveLabel,
                            Map<String, double[]> standardisation) {

    /** The indicator feature of a numeric column whose value may be missing. */
    public static String missingIndicator(String column) {
        return column + "=missing";
    }

    /** Whether a numeric column carries a {@link #missingIndicator} feature. */
    public static boolean indicatesMissing(DataContract.Column column) {
        return !column.required() && (column.type() == DataContract.Type.INTEGER || column.type() == DataContract.Type.NUMBER);
    }

    public static List<String> expectedNames(DataContract contract) {
        List<String> names = new ArrayList<>();
        for (DataContract.Column column : contract.columns()) {
            if (column.name().equals(contract.label())) {
                continue;
            }
            switch (column.type()) {
                case CATEGORY -> column.allowed().forEach(v -> names.add(column.name() + "=" + v));
                case INTEGER, NUMBER -> {
                    names.add(column.name());
                    if (indicatesMissing(column)) {
                        names.add(missingIndicator(column.name()));
                    }
                }
                case STRING -> {
                    // free text is not a feature
                }
            }
        }
        return names;
    }
}
