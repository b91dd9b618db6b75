package dev.agentmesh.dataset;

import dev.agentmesh.features.FeatureStats;
import dev.agentmesh.contract.CsvRows;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.data.FeatureRow;
import dev.agentmesh.data.Split;
import dev.agentmesh.features.FeatureEncoder;
import dev.agentmesh.features.FeatureSchema;
import dev.agentmesh.run.DatasetPublished;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Encodes a CSV file that satisfies its contract and writes it as a dataset artifact in one process, without the
 * stage-1 services: for tests and benchmarks of later stages, which "may publish a dataset directly".
 */
public final class LocalDataset {

    private LocalDataset() {
    }

    public record Published(DatasetWriter.Written written, FeatureSchema schema, DatasetPublished announcement) {
    }

    public static Published publish(Path csv, DataContract contract, Path directory, String runId) {
        return publish(CsvRows.read(csv), contract, directory, runId);
    }

    /** Publishes rows that are already in memory (a generated table, for example); invalid rows are not filtered. */
    public static Published publish(CsvRows.Table table, DataContract contract, Path directory, String runId) {
        List<Map<String, String>> rows = table.rows();
        List<FeatureEncoder.Row> input = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            input.add(new FeatureEncoder.Row(i, rows.get(i)));
        }
        FeatureEncoder.Result encoded = new FeatureEncoder(contract).encode(input);
        List<FeatureRow> features = encoded.rows().stream().map(e -> new FeatureRow(null, e.rowIndex(), e.split(), e.label(),
                Arrays.stream(e.features()).boxed().toList())).toList();
        DatasetWriter.Written written = DatasetWriter.write(directory, runId, features);
        FeatureStats.write(directory, encoded.schema().standardisation());
        Map<String, String> splits = new LinkedHashMap<>();
        Map<String, Long> counts = new TreeMap<>();
        for (Split split : Split.values()) {
            splits.put(split.name().toLowerCase(), written.files().get(split).toUri().toString());
            counts.put(split.name().toLowerCase(), written.counts().get(split));
        }
        return new Published(written, encoded.schema(), new DatasetPublished(written.directory().toUri().toString(),
                written.checksum(), splits, counts, encoded.schema().names(), contract.label(), contract.positiveLabel()));
    }
}
