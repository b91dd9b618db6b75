package dev.agentmesh.review.service;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.fanout.SweepControls;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.serde.SchemaStore;
import dev.agentmesh.service.GrantGate;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.sweep.SweepControl;
import dev.agentmesh.topics.Topics;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;

/**
 * Every record of the topics every service tails (grants, sweep control, review actions, schemas) is checked once
 * here, in a consumer group: one the mesh cannot use (undecodable, a grant event the ledger refused, a cancellation
 * without a grant for its run, a review action its grant did not allow when it was appended, a schema record that is
 * no schema) is nacked, and the channel's failure strategy
 * dead-letters it with the reason. The services' own views skip such records, so one is reported once, not once per
 * service and restart.
 */
@ApplicationScoped
public class ControlTopicAudit {

    private final MeshCodecs codecs;
    private final GrantGate grants;
    private final ReviewLog log;

    public ControlTopicAudit(MeshCodecs codecs, GrantGate grants, ReviewLog log) {
        this.codecs = codecs;
        this.grants = grants;
        this.log = log;
    }

    @Incoming("control-audit")
    @Blocking
    public void audit(ConsumerRecord<byte[], byte[]> record) {
        problem(record).ifPresent(problem -> {
            throw new UnusableRecordException(problem);
        });
    }

    Optional<String> problem(ConsumerRecord<byte[], byte[]> record) {
        try {
            if (record.topic().equals(Topics.GRANTS.name())) {
                codecs.grants().decode(record.value());
                return grants.refusal(record.partition(), record.offset()).map(r -> "grant event refused by the ledger: " + r);
            } else if (record.topic().equals(Topics.SWEEP_CONTROL.name())) {
                return cancellation(codecs.sweepControl().decode(record.value()), record);
            } else if (record.topic().equals(Topics.REVIEW_ACTIONS.name())) {
                Decision decision = log.authorize(codecs.reviewActions().decode(record.value()), record);
                return decision.allowed() ? Optional.empty() : Optional.of("unauthorised review action: " + decision.reason());
            } else if (record.topic().equals(Topics.SCHEMAS.name())) {
                return SchemaStore.problem(record.key(), record.value());
            }
            return Optional.of("not a topic this audit reads: " + record.topic());
        } catch (RuntimeException e) {
            return Optional.of(e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private Optional<String> cancellation(SweepControl control, ConsumerRecord<byte[], byte[]> record) {
        Envelope envelope = control.getEnvelope();
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        if (key != null && !key.equals(envelope.getRunId())) {
            return Optional.of("a cancellation keyed " + key + " for run " + envelope.getRunId());
        }
        Decision decision = grants.authorizeStop(SweepControls.requiredAuthority(control, Instant.now()));
        return decision.allowed() ? Optional.empty() : Optional.of("unauthorised cancellation: " + decision.reason());
    }

    /** A record the mesh cannot use; the channel dead-letters it. */
    public static class UnusableRecordException extends RuntimeException {
        public UnusableRecordException(String message) {
            super(message);
        }
    }
}
