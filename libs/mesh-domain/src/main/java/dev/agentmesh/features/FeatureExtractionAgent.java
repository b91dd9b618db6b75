package dev.agentmesh.features;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.core.AuditKeys;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.Handoffs;
import dev.agentmesh.core.Replayable;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.data.DataRow;
import dev.agentmesh.data.FeatureRow;
import dev.agentmesh.data.Split;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.StageCompleted;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/** Validated rows in, feature rows and the recorded feature schema out. No Kafka here. */
public final class FeatureExtractionAgent {

    public static final String STAGE = Stages.FEATURE_EXTRACTION;
    static final ObjectMapper JSON = new ObjectMapper();

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

    /**
     * Extracts the run's features in two passes over its validated rows (fit the standardisation on the training
     * rows, then encode), handing each feature row to {@code out} as it is made; {@code durable} makes them so (the
     * broker has them) before the completion is stamped, so the completion's time is when the next stage can start.
     *
     * @return the stage's completion, or its failure with the reason
     */
    public RunEvent extract(RunEvent cause, Replayable<DataRow> rows, Consumer<FeatureRow> out, Runnable durable) {
        long t0 = System.nanoTime();
        StageCompleted validation = (StageCompleted) cause.getPayload();
        Envelope envelope = cause.getEnvelope();
        try {
            DataContract contract = DataContract.load(Handoffs.contract(validation));
            FeatureEncoder encoder = new FeatureEncoder(contract);
            FeatureEncoder.Fit fit = encoder.fit();
            long rowsIn = rows.forEach(r -> fit.add(row(r)));
            FeatureEncoder.Fitted fitted = fit.fitted();
            long[] featuresOut = {0};
            rows.forEach(r -> {
                FeatureEncoder.Encoded e = fitted.encode(row(r));
                out.accept(new FeatureRow(envelopes.item(envelope, "row-" + e.rowIndex()), e.rowIndex(), e.split(),
                        e.label(), Arrays.stream(e.features()).boxed().toList()));
                featuresOut[0]++;
            });
            durable.run();
            Map<String, Long> counts = new TreeMap<>();
            counts.put(AuditKeys.ROWS_IN, rowsIn);
            counts.put(AuditKeys.ROWS_OUT, featuresOut[0]);
            counts.put(AuditKeys.VALIDATION_ROWS_IN, validation.getCounts().getOrDefault(AuditKeys.ROWS_IN, 0L));
            counts.put(AuditKeys.VALIDATION_ROWS_REJECTED, validation.getCounts().getOrDefault(AuditKeys.ROWS_REJECTED, 0L));
            for (Split split : Split.values()) {
                counts.put("split." + split.name().toLowerCase(), fitted.countsBySplit().getOrDefault(split, 0L));
            }
            counts.put("features", (long) fitted.schema().names().size());
            Map<String, String> audit = new LinkedHashMap<>(carried(validation));
            audit.put(AuditKeys.FEATURE_NAMES, JSON.writeValueAsString(fitted.schema().names()));
            audit.put(AuditKeys.STANDARDISATION, FeatureStats.toJson(fitted.schema().standardisation()));
            audit.put("standardisation", "mean and std from " + fitted.countsBySplit().getOrDefault(Split.TRAIN, 0L)
                    + " training rows only");
            return RunEvents.completed(envelopes.causedBy(envelope, "finished", (System.nanoTime() - t0) / 1_000_000),
                    STAGE, counts, audit, Handoffs.next(validation, featuresOut[0]));
        } catch (RuntimeException | JsonProcessingException e) {
            return failed(cause, "feature extraction failed: " + e.getMessage());
        }
    }

    private static FeatureEncoder.Row row(DataRow r) {
        return new FeatureEncoder.Row(r.getRowIndex(), nonNull(r.getValues()));
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
