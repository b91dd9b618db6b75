package dev.agentmesh.features;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.core.AuditKeys;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.Handoffs;
import dev.agentmesh.core.Replayable;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.data.FeatureRow;
import dev.agentmesh.features.FeatureCheck;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.StageCompleted;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The audit at the seam after feature extraction. A failed check fails the stage: no silent partial dataset. */
public final class SchemaCheckAgent {

    public static final String STAGE = Stages.SCHEMA_CHECK;
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Outcome(RunEvent finished, FeatureCheck.Result result) {
    }

    private final Envelopes envelopes;

    public SchemaCheckAgent(Envelopes envelopes) {
        this.envelopes = envelopes;
    }

    public RunEvent started(RunEvent cause) {
        return RunEvents.started(envelopes.causedBy(cause.getEnvelope(), "started", 0), STAGE);
    }

    public RunEvent failed(RunEvent cause, String reason) {
        return RunEvents.failed(envelopes.causedBy(cause.getEnvelope(), "finished", 0), STAGE, reason, false);
    }

    public Outcome handle(RunEvent cause, Replayable<FeatureRow> features) {
        StageCompleted extraction = (StageCompleted) cause.getPayload();
        try {
            DataContract contract = DataContract.load(Handoffs.contract(extraction));
            List<String> names = JSON.readValue(extraction.getAudit().getOrDefault(AuditKeys.FEATURE_NAMES, "[]"),
                    new TypeReference<>() { });
            Map<String, Long> c = extraction.getCounts();
            FeatureCheck.Rows rows = new FeatureCheck.Rows(contract, names.size());
            long seen = features.forEach(f -> rows.add(f.getFeatures().stream().mapToDouble(Double::doubleValue).toArray(),
                    f.getLabel()));
            FeatureCheck.Counts counts = new FeatureCheck.Counts(
                    c.getOrDefault(AuditKeys.VALIDATION_ROWS_IN, -1L), c.getOrDefault(AuditKeys.VALIDATION_ROWS_REJECTED, -1L),
                    c.getOrDefault(AuditKeys.ROWS_OUT, -1L), seen);
            FeatureCheck.Result result = FeatureCheck.check(contract, names, counts, rows);
            if (!result.passed()) {
                return new Outcome(failed(cause, "schema check failed: " + result.summary()), result);
            }
            Map<String, Long> outCounts = new TreeMap<>(c);
            outCounts.put("feature.rows.checked", (long) seen);
            Map<String, String> audit = new LinkedHashMap<>();
            extraction.getAudit().forEach((k, v) -> {
                if (!k.equals("standardisation")) {
                    audit.put(k, v);
                }
            });
            audit.put(AuditKeys.SCHEMA_CHECK, "passed: " + names.size() + " features match contract " + contract.name()
                    + "; rows in " + counts.rowsIntoValidation() + " = " + counts.featureRowsSeen() + " out + "
                    + counts.rowsRejected() + " rejected");
            return new Outcome(RunEvents.completed(envelopes.causedBy(cause.getEnvelope(), "finished", 0), STAGE,
                    outCounts, audit, Handoffs.next(extraction, seen)), result);
        } catch (Exception e) {
            return new Outcome(failed(cause, "schema check could not run: " + e.getMessage()),
                    new FeatureCheck.Result(false, List.of(String.valueOf(e.getMessage()))));
        }
    }
}
