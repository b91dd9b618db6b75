package dev.agentmesh.features;

import dev.agentmesh.contract.DataContract;
import dev.agentmesh.data.Split;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns clean rows into features: one-hot for category columns, standardisation for numeric columns with mean and
 * standard deviation taken from the training split only, so nothing leaks from validation or test.
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

    public FeatureEncoder(DataContract contract) {
        this.contract = contract;
        this.splitRule = SplitRule.of(contract);
    }

    public Result encode(List<Row> rows) {
        Map<Long, Split> splits = new LinkedHashMap<>();
        rows.forEach(r -> splits.put(r.rowIndex(), splitRule.assign(r.rowIndex())));

        Map<String, double[]> standardisation = new LinkedHashMap<>();
        for (DataContract.Column column : contract.columns()) {
            if (!column.name().equals(contract.label())
                    && (column.type() == DataContract.Type.INTEGER || column.type() == DataContract.Type.NUMBER)) {
                double sum = 0;
                double sumSq = 0;
                long n = 0;
                for (Row r : rows) {
                    if (splits.get(r.rowIndex()) == Split.TRAIN) {
                        double x = Double.parseDouble(r.values().get(column.name()).trim());
                        sum += x;
                        sumSq += x * x;
                        n++;
                    }
                }
                if (n == 0) {
                    throw new IllegalArgumentException("no training rows to fit '" + column.name() + "' on");
                }
                double mean = sum / n;
                double std = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
                standardisation.put(column.name(), new double[]{mean, std == 0 ? 1 : std});
            }
        }

        List<String> names = FeatureSchema.expectedNames(contract);
        List<Encoded> encoded = new ArrayList<>(rows.size());
        Map<Split, Long> counts = new LinkedHashMap<>();
        for (Row r : rows) {
            double[] features = new double[names.size()];
            int i = 0;
            for (DataContract.Column column : contract.columns()) {
                if (column.name().equals(contract.label())) {
                    continue;
                }
                String value = r.values().get(column.name());
                switch (column.type()) {
                    case CATEGORY -> {
                        for (String allowed : column.allowed()) {
                            features[i++] = allowed.equals(value == null ? null : value.trim()) ? 1.0 : 0.0;
                        }
                    }
                    case INTEGER, NUMBER -> {
                        double[] ms = standardisation.get(column.name());
                        features[i++] = (Double.parseDouble(value.trim()) - ms[0]) / ms[1];
                    }
                    case STRING -> {
                    }
                }
            }
            Split split = splits.get(r.rowIndex());
            counts.merge(split, 1L, Long::sum);
            encoded.add(new Encoded(r.rowIndex(), split, r.values().get(contract.label()).trim(), features));
        }
        return new Result(new FeatureSchema(names, contract.label(), contract.positiveLabel(), standardisation),
                encoded, counts);
    }
}
