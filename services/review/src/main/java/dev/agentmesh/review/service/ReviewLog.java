package dev.agentmesh.review.service;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.gate.Disposition;
import dev.agentmesh.gate.GateDecided;
import dev.agentmesh.gate.PrincipalDecided;
import dev.agentmesh.review.ReviewAction;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunStalled;
import dev.agentmesh.run.RunTriggered;
import dev.agentmesh.kafka.client.TopicTail;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.grants.ActionRequest;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.grants.Resources;
import dev.agentmesh.service.GrantGate;
import org.apache.kafka.common.record.TimestampType;
import dev.agentmesh.topics.Topics;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Folds the dead-letter topic, the run events and the review actions into the {@link ReviewBook} through a
 * {@link TopicTail}: the book is a view of the log, never the only copy of anything. Ready once it has caught up with
 * the ends the topics had when it started.
 */
@ApplicationScoped
public class ReviewLog {

    private static final Logger LOG = Logger.getLogger(ReviewLog.class);

    private final ReviewBook book = new ReviewBook();
    private final MeshCodecs codecs;
    private final MeshCodec<ReviewAction> actions;
    private final String bootstrapServers;
    private final GrantGate grants;
    private final Map<String, RunState> gatedRuns = new HashMap<>();
    private TopicTail tail;

    public ReviewLog(MeshCodecs codecs, GrantGate grants,
                     @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.codecs = codecs;
        this.grants = grants;
        this.actions = codecs.reviewActions();
        this.bootstrapServers = bootstrapServers;
    }

    public ReviewBook book() {
        return book;
    }

    void start(@Observes StartupEvent started) {
        tail = TopicTail.start("review", bootstrapServers,
                List.of(Topics.DEAD_LETTER.name(), Topics.RUN_EVENTS.name(), Topics.REVIEW_ACTIONS.name()), record -> {
                    fold(record);
                    book.settlePending();
                });
    }

    void stop(@Observes ShutdownEvent stopping) {
        if (tail != null) {
            tail.close();
        }
    }

    private void fold(ConsumerRecord<byte[], byte[]> record) {
        try {
            if (record.topic().equals(Topics.DEAD_LETTER.name())) {
                book.deadLetter(item(record));
            } else if (record.topic().equals(Topics.REVIEW_ACTIONS.name())) {
                ReviewAction a = actions.decode(record.value());
                Decision decision = authorize(a, record);
                if (!decision.allowed()) {
                    // review's control audit dead-letters it once, with this reason
                    LOG.debugf("skipping review action %s: %s", a.getActionId(), decision.reason());
                    return;
                }
                book.apply(a.getItemId(), new ReviewBook.Action(a.getActionId(), a.getAction().name(), a.getActor(), a.getReason(),
                        a.getRedrivenTo(), a.getEdited(), a.getAt()));
            } else {
                runEvent(codecs.runEvents().decode(record.value()));
            }
        } catch (RuntimeException e) {
            // An undecodable run event is the dead-letter topic's business (its consumers put it there), not review's.
            LOG.debugf("skipping %s-%d@%d: %s", record.topic(), record.partition(), record.offset(), e.getMessage());
        }
    }

    /**
     * Whether a recorded review action was within the grant it names when the broker appended it: the same answer
     * whenever the log is read again, so a restart never undoes an action whose grant has expired since.
     */
    Decision authorize(ReviewAction action, ConsumerRecord<?, ?> record) {
        return grants.authorizeAsOf(authority(action.getGrantId(), action.getItemId()), appendedAt(record));
    }

    /** What a review action on {@code itemId} needs from its grant. */
    static ActionRequest authority(String grantId, String itemId) {
        return new ActionRequest(grantId, Actions.REVIEW, Resources.reviewItem(itemId), 0, 0, Instant.now());
    }

    /**
     * When the broker appended the record ({@code mesh.review.actions} is stamped by the broker); a record stamped by
     * its producer is judged now, since its time is only a claim.
     */
    static Instant appendedAt(ConsumerRecord<?, ?> record) {
        return record.timestampType() == TimestampType.LOG_APPEND_TIME ? Instant.ofEpochMilli(record.timestamp())
                : Instant.now();
    }

    private void runEvent(RunEvent event) {
        String runId = event.getEnvelope().getRunId();
        Object payload = event.getPayload();
        if (payload instanceof RunStalled stalled) {
            book.stalled(runId, stalled.getStage(), stalled.getReason(), event.getEnvelope().getEventId(),
                    event.getEnvelope().getOccurredAt());
            return;
        }
        book.progressed(runId, event.getEnvelope().getEventId(), event.getEnvelope().getAgentRole(),
                event.getEnvelope().getOccurredAt());
        if (payload instanceof RunTriggered t) {
            book.runContract(runId, t.getContract());
        }
        boolean gate = payload.getClass().getPackageName().equals(GateDecided.class.getPackageName());
        if (gate || gatedRuns.containsKey(runId)) {
            RunState state = RunStateReducer.apply(gatedRuns.get(runId), event);
            gatedRuns.put(runId, state);
            if (payload instanceof GateDecided d && d.getDisposition() == Disposition.RETURN_TO_PRINCIPAL) {
                Map<String, String> positions = new LinkedHashMap<>();
                state.gate().requested().keySet().forEach(sp -> {
                    var a = state.gate().assessments().get(sp);
                    positions.put(sp, a == null ? "MISSING: no assessment in time" : a.verdict() + ": " + a.summary());
                });
                for (int i = 0; i < d.getConflicts().size(); i++) {
                    positions.put("conflict " + (i + 1) + " of " + d.getConflicts().size(), d.getConflicts().get(i));
                }
                var debate = state.gate().debate();
                if (debate != null) {
                    debate.arguments().values().forEach(a -> positions.put("debate round " + a.round() + ", for " + a.side(),
                            a.argument() + " (" + a.advocate() + ")"));
                    if (debate.ruling() != null) {
                        positions.put("judge's ruling", debate.ruling().ruling() + (debate.ruling().binding() ? "" : " (recommended)")
                                + " by " + debate.ruling().judge() + ": " + debate.ruling().reason());
                    }
                }
                book.returned(runId, d.getReason(), positions, event.getEnvelope().getOccurredAt());
            } else if (payload instanceof PrincipalDecided p) {
                book.principalDecided(runId, p.getDecision().name(), p.getDecidedBy(), p.getReason(),
                        event.getEnvelope().getEventId(), event.getEnvelope().getOccurredAt());
            }
        }
    }

    ReviewBook.Item item(ConsumerRecord<byte[], byte[]> record) {
        Map<String, String> headers = new TreeMap<>();
        for (Header h : record.headers()) {
            headers.put(h.key(), h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8));
        }
        String originalTopic = headers.get(MeshHeaders.DLQ_TOPIC);
        String reason = headers.getOrDefault(MeshHeaders.DLQ_REASON, headers.getOrDefault(MeshHeaders.DLQ_CAUSE, "(no reason given)"));
        String rejections = headers.get(MeshHeaders.ROW_REJECTIONS);
        if (rejections != null && !reason.contains(rejections)) {
            reason = reason + " [" + rejections + "]";
        }
        String runId = headers.get(MeshHeaders.RUN_ID);
        String agent = headers.get(MeshHeaders.DLQ_SERVICE);
        String type = null;
        String json = null;
        var topic = Payloads.typeOf(originalTopic);
        if (topic.isPresent() && record.value() != null) {
            SpecificRecord decoded = Payloads.decode(record.value(), topic.get(), codecs.settings()).orElse(null);
            if (decoded != null) {
                type = decoded.getSchema().getName();
                json = Payloads.avroJson(decoded);
                var envelopeField = decoded.getSchema().getField("envelope");
                if (envelopeField != null && decoded.get(envelopeField.pos()) instanceof Envelope e) {
                    runId = runId != null ? runId : e.getRunId();
                    agent = agent != null ? agent : "from " + e.getAgentRole();
                }
            }
        }
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        return new ReviewBook.Item(ReviewBook.deadLetterId(record.partition(), record.offset()), ReviewBook.Kind.DEAD_LETTER,
                ReviewBook.Status.OPEN, reason, runId != null ? runId : key, agent != null ? agent : "(unknown)", key,
                originalTopic, headers.get(MeshHeaders.DLQ_PARTITION), headers.get(MeshHeaders.DLQ_OFFSET),
                record.partition(), record.offset(), headers, type, json,
                json == null && record.value() != null ? Base64.getEncoder().encodeToString(record.value()) : null,
                Instant.ofEpochMilli(record.timestamp()), List.of());
    }

    public boolean caughtUp() {
        return tail != null && tail.caughtUp();
    }
}
