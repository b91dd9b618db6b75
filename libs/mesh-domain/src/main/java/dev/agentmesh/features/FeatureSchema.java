package dev.agentmesh.features;

import dev.agentmesh.contract.DataContract;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The features a contract implies: one-hot {@code column=value} for each allowed value of a category column (in
 * the contract's order), the column itself for a numeric column, in contract column order, label excluded.
 */
public record FeatureSchema(List<String> names, String labelColumn, String positiveLabel,
                            Map<String, double[]> standardisation) {

    public static List<String> expectedNames(DataContract contract) {
        List<String> names = new ArrayList<>();
        for (DataContract.Column column : contract.columns()) {
            if (column.name().equals(contract.label())) {
                continue;
            }
            switch (column.type()) {
                case CATEGORY -> column.allowed().forEach(v -> names.add(column.name() + "=" + v));
                case INTEGER, NUMBER -> names.add(column.name());
                case STRING -> {
                    // free text is not a feature
                }
            }
        }
        return names;
    }
}
