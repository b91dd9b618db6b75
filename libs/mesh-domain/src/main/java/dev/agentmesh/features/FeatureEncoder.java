package dev.agentmesh.features;

import dev.agentmesh.contract.DataContract;
import dev.agentmesh.data.Split;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns clean rows into features: one-hot for category columns, standardisation for numeric columns with mean and
 * standard deviation taken from the training split only, so nothing leaks from validation or test. A missing number
 * takes the training mean and sets its column's missing indicator ({@link FeatureSchema#missingIndicator}).
 *
 * <p>Two passes, so no run is ever held whole: {@link #fit()} sees every row once and fixes the standardisation;
 * {@link Fitted#encode(Row)} then turns one row at a time into its features.
 */
public final class FeatureEncoder {

    public record Row(long rowIndex, Map<String, String> values) {
    }

    public record Encoded(long rowIndex, Split split, String label, double[] features) {
    }

    public record Result(FeatureSchema schema, List<Encoded> rows, Map<Split, Long> countsBySplit) {
    }

    private final DataContract contract;
    private final SplitRule splitRule;
    private final List<DataContract.Column> numeric = new ArrayList<>();

    public FeatureEncoder(DataContract contract) {
        this.contract = contract;
        this.splitRule = SplitRule.of(contract);
        for (DataContract.Column column : contract.columns()) {
            if (!column.name().equals(contract.label())
                    && (column.type() == DataContract.Type.INTEGER || column.type() == DataContract.Type.NUMBER)) {
                numeric.add(column);
            }
        }
    }

    /** Both passes over rows held in memory (small runs, tests, the local dataset). */
    public Result encode(List<Row> rows) {
        Fit fit = fit();
        rows.forEach(fit::add);
        Fitted fitted = fit.fitted();
        List<Encoded> encoded = new ArrayList<>(rows.size());
        rows.forEach(r -> encoded.add(fitted.encode(r)));
        return new Result(fitted.schema(), encoded, fitted.countsBySplit());
    }

    public Fit fit() {
        return new Fit();
    }

    /** The first pass: sums over the training rows of every numeric column. */
    public final class Fit {
        private final double[] sum = new double[numeric.size()];
        private final double[] sumSq = new double[numeric.size()];
        /** Per column: the training rows that hold a value (a missing one is left out of its mean). */
        private final long[] present = new long[numeric.size()];
        private long trainRows;

        public void add(Row row) {
            if (splitRule.assign(row.rowIndex()) != Split.TRAIN) {
                return;
            }
            for (int c = 0; c < numeric.size(); c++) {
                String value = row.values().get(numeric.get(c).name());
                if (contract.missing(value)) {
                    continue;
                }
                double x = Double.parseDouble(value.trim());
                sum[c] += x;
                sumSq[c] += x * x;
                present[c]++;
            }
            trainRows++;
        }

        public Fitted fitted() {
            Map<String, double[]> standardisation = new LinkedHashMap<>();
            for (int c = 0; c < numeric.size(); c++) {
                if (trainRows == 0) {
                    throw new IllegalArgumentException("no training rows to fit '" + numeric.get(c).name() + "' on");
                }
                if (present[c] == 0) {
                    throw new IllegalArgumentException("'" + numeric.get(c).name() + "' has no value in any training row");
                }
                double mean = sum[c] / present[c];
                double std = Math.sqrt(Math.max(0, sumSq[c] / present[c] - mean * mean));
                standardisation.put(numeric.get(c).name(), new double[]{mean, std == 0 ? 1 : std});
            }
            return new Fitted(new FeatureSchema(FeatureSchema.expectedNames(contract), contract.label(),
                    contract.positiveLabel(), standardisation));
        }
    }

    /** The second pass: one row in, its features out; counts rows per split as it goes. */
    public final class Fitted {
        private final FeatureSchema schema;
        private final Map<Split, Long> counts = new LinkedHashMap<>();

        private Fitted(FeatureSchema schema) {
            this.schema = schema;
        }

        public FeatureSchema schema() {
            return schema;
        }

        public Map<Split, Long> countsBySplit() {
            return counts;
        }

        public Encoded encode(Row r) {
            double[] features = new double[schema.names().size()];
            int i = 0;
            for (DataContract.Column column : contract.columns()) {
                if (column.name().equals(contract.label())) {
                    continue;
                }
                String value = r.values().get(column.name());
                switch (column.type()) {
                    case CATEGORY -> {
                        String category = contract.missing(value) ? null : value.trim();
                        for (String allowed : column.allowed()) {
                            features[i++] = allowed.equals(category) ? 1.0 : 0.0;
                        }
                    }
                    case INTEGER, NUMBER -> {
                        // a missing value takes the training mean: 0 once standardised
                        double[] ms = schema.standardisation().get(column.name());
                        boolean missing = contract.missing(value);
                        features[i++] = missing ? 0.0 : (Double.parseDouble(value.trim()) - ms[0]) / ms[1];
                        if (FeatureSchema.indicatesMissing(column)) {
                            features[i++] = missing ? 1.0 : 0.0;
                        }
                    }
                    case STRING -> {
                    }
                }
            }
            Split split = splitRule.assign(r.rowIndex());
            counts.merge(split, 1L, Long::sum);
            return new Encoded(r.rowIndex(), split, r.values().get(contract.label()).trim(), features);
        }
    }
}
