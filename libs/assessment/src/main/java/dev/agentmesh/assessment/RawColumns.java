package dev.agentmesh.assessment;

import dev.agentmesh.contract.DataContract;
import dev.agentmesh.data.DatasetRow;
import dev.agentmesh.features.FeatureSchema;

import java.util.List;
import java.util.Map;

/**
 * Reads a contract column back out of encoded rows: a category from its one-hot features, a number by undoing the
 * dataset's standardisation ({@code z * std + mean}, with the statistics published beside the dataset).
 */
public final class RawColumns {

    public static final String NONE = "(none)";
    /** The subgroup of rows whose numeric value was missing (and imputed), apart from every band. */
    public static final String MISSING = "(missing)";

    private final DataContract contract;
    private final List<String> featureNames;
    private final Map<String, double[]> standardisation;

    public RawColumns(DataContract contract, Map<String, double[]> standardisation) {
        this.contract = contract;
        this.featureNames = FeatureSchema.expectedNames(contract);
        this.standardisation = standardisation;
    }

    public boolean numeric(String column) {
        DataContract.Type type = column(column).type();
        return type == DataContract.Type.INTEGER || type == DataContract.Type.NUMBER;
    }

    public boolean category(String column) {
        return column(column).type() == DataContract.Type.CATEGORY;
    }

    public double number(DatasetRow row, String column) {
        int i = featureNames.indexOf(column);
        if (i < 0) {
            throw new IllegalArgumentException("column '" + column + "' is not a numeric feature");
        }
        double z = row.getFeatures().get(i);
        double[] ms = standardisation.get(column);
        return ms == null ? z : z * ms[1] + ms[0];
    }

    /** Whether a numeric column's value was missing in this row: its missing indicator is set. */
    public boolean missing(DatasetRow row, String column) {
        int i = featureNames.indexOf(FeatureSchema.missingIndicator(column));
        return i >= 0 && row.getFeatures().get(i) >= 0.5;
    }

    public String value(DatasetRow row, String column) {
        for (String allowed : column(column).allowed()) {
            int i = featureNames.indexOf(column + "=" + allowed);
            if (i >= 0 && row.getFeatures().get(i) >= 0.5) {
                return allowed;
            }
        }
        return NONE;
    }

    private DataContract.Column column(String name) {
        DataContract.Column c = contract.columnsByName().get(name);
        if (c == null) {
            throw new IllegalArgumentException("contract " + contract.name() + " has no column '" + name + "'");
        }
        return c;
    }
}
