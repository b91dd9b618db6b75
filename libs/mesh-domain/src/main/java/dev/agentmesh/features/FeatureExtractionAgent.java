package dev.agentmesh.features;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.core.AuditKeys;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.Handoffs;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.data.DataRow;
import dev.agentmesh.data.FeatureRow;
import dev.agentmesh.data.Split;
import dev.agentmesh.features.FeatureEncoder;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.StageCompleted;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Validated rows in, feature rows and the recorded feature schema out. No Kafka here. */
public final class FeatureExtractionAgent {

    public static final String STAGE = Stages.FEATURE_EXTRACTION;
    static final ObjectMapper JSON = new ObjectMapper();

    public record Outcome(RunEvent started, List<FeatureRow> features, RunEvent finished) {
    }

    private final Envelopes envelopes;

    public FeatureExtractionAgent(Envelopes envelopes) {
        this.envelopes = envelopes;
    }

    public RunEvent started(RunEvent cause) {
        return RunEvents.started(envelopes.causedBy(cause.getEnvelope(), "started", 0), STAGE);
    }

    public RunEvent failed(RunEvent cause, String reason) {
        return RunEvents.failed(envelopes.causedBy(cause.getEnvelope(), "finished", 0), STAGE, reason, false);
    }

    public Outcome handle(RunEvent cause, List<DataRow> rows) {
        long t0 = System.nanoTime();
        StageCompleted validation = (StageCompleted) cause.getPayload();
        Envelope envelope = cause.getEnvelope();
        RunEvent started = started(cause);
        try {
            DataContract contract = DataContract.load(Handoffs.contract(validation));
            List<FeatureEncoder.Row> input = rows.stream()
                    .map(r -> new FeatureEncoder.Row(r.getRowIndex(), nonNull(r.getValues()))).toList();
            FeatureEncoder.Result result = new FeatureEncoder(contract).encode(input);
            List<FeatureRow> features = new ArrayList<>(result.rows().size());
            for (FeatureEncoder.Encoded e : result.rows()) {
                features.add(new FeatureRow(envelopes.item(envelope, "row-" + e.rowIndex()), e.rowIndex(), e.split(),
                        e.label(), Arrays.stream(e.features()).boxed().toList()));
            }
            Map<String, Long> counts = new TreeMap<>();
            counts.put(AuditKeys.ROWS_IN, (long) rows.size());
            counts.put(AuditKeys.ROWS_OUT, (long) features.size());
            counts.put(AuditKeys.VALIDATION_ROWS_IN, validation.getCounts().getOrDefault(AuditKeys.ROWS_IN, 0L));
            counts.put(AuditKeys.VALIDATION_ROWS_REJECTED, validation.getCounts().getOrDefault(AuditKeys.ROWS_REJECTED, 0L));
            for (Split split : Split.values()) {
                counts.put("split." + split.name().toLowerCase(), result.countsBySplit().getOrDefault(split, 0L));
            }
            counts.put("features", (long) result.schema().names().size());
            Map<String, String> audit = new LinkedHashMap<>(carried(validation));
            audit.put(AuditKeys.FEATURE_NAMES, JSON.writeValueAsString(result.schema().names()));
            audit.put(AuditKeys.STANDARDISATION, FeatureStats.toJson(result.schema().standardisation()));
            audit.put("standardisation", "mean and std from " + result.countsBySplit().getOrDefault(Split.TRAIN, 0L)
                    + " training rows only");
            RunEvent finished = RunEvents.completed(envelopes.causedBy(envelope, "finished", (System.nanoTime() - t0) / 1_000_000),
                    STAGE, counts, audit, Handoffs.next(validation, features.size()));
            return new Outcome(started, features, finished);
        } catch (RuntimeException | JsonProcessingException e) {
            return new Outcome(started, List.of(), failed(cause, "feature extraction failed: " + e.getMessage()));
        }
    }

    /** The run's audit context passed on (what steers the next stage travels in the handoff). */
    static Map<String, String> carried(StageCompleted previous) {
        Map<String, String> audit = new LinkedHashMap<>();
        for (String key : List.of(AuditKeys.SOURCE)) {
            String value = previous.getAudit().get(key);
            if (value != null) {
                audit.put(key, value);
            }
        }
        return audit;
    }

    private static Map<String, String> nonNull(Map<String, String> values) {
        Map<String, String> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k, v == null ? "" : v));
        return out;
    }
}
