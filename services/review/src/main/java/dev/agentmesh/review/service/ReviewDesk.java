package dev.agentmesh.review.service;

import dev.agentmesh.kafka.client.KafkaClientSettings;
import jakarta.ws.rs.NotFoundException;
import dev.agentmesh.kafka.KafkaRecords;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.gate.PrincipalDecided;
import dev.agentmesh.gate.PrincipalDecision;
import dev.agentmesh.review.ReviewAction;
import dev.agentmesh.review.ReviewActionKind;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.service.GrantGate;
import dev.agentmesh.topics.Topic;
import dev.agentmesh.topics.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

/**
 * What people do in review, each as an event with who did it and why: re-drive (optionally edited, parsed against the
 * schema first; the record keeps its original event id so its consumer applies it once), discard, escalate, and the
 * principal's approve or reject of a returned run.
 */
@ApplicationScoped
public class ReviewDesk {

    /** A request the item's state or content does not allow; the message says why. */
    public static class Refused extends RuntimeException {
        public Refused(String message) {
            super(message);
        }
    }

    private final ReviewLog log;
    private final MeshCodecs codecs;
    private final MeshCodec<ReviewAction> actions;
    private final MeterRegistry metrics;
    private final Envelopes envelopes;
    private final Optional<String> principalGrant;
    private final Optional<String> reviewGrant;
    private final GrantGate grants;
    private final KafkaProducer<byte[], byte[]> producer;

    public ReviewDesk(ReviewLog log, MeshCodecs codecs, MeterRegistry metrics, GrantGate grants,
                      @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                      @ConfigProperty(name = "mesh.agent.role") String role,
                      @ConfigProperty(name = "mesh.agent.instance") String instance,
                      @ConfigProperty(name = "mesh.review.principal-grant") Optional<String> principalGrant,
                      @ConfigProperty(name = "mesh.review.grant") Optional<String> reviewGrant) {
        this.log = log;
        this.codecs = codecs;
        this.actions = codecs.reviewActions();
        this.metrics = metrics;
        this.envelopes = new Envelopes(role, instance);
        this.principalGrant = principalGrant.filter(g -> !g.isBlank());
        this.reviewGrant = reviewGrant.filter(g -> !g.isBlank());
        this.grants = grants;
        this.producer = new KafkaProducer<>(KafkaClientSettings.with(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class)));
    }

    void stop(@Observes ShutdownEvent stopping) {
        producer.close();
    }

    ReviewBook.Item item(String itemId) {
        return log.book().item(itemId).orElseThrow(() -> new NotFoundException("no review item " + itemId));
    }

    /** The item as people see it: a row's sensitive columns masked ({@link SensitiveFields}). */
    ReviewBook.Item shown(String itemId) {
        return shown(item(itemId));
    }

    /** The item as the queue lists it: what its reasons say of sensitive values masked (its payload is not shown there). */
    ReviewBook.Item listed(ReviewBook.Item item) {
        Set<String> sensitive = sensitive(item);
        return sensitive.isEmpty() ? item : item.withReasonsMasked(reason -> SensitiveFields.maskReason(reason, sensitive));
    }

    ReviewBook.Item shown(ReviewBook.Item item) {
        Set<String> sensitive = sensitive(item);
        if (sensitive.isEmpty()) {
            return item;
        }
        ReviewBook.Item masked = item.withReasonsMasked(reason -> SensitiveFields.maskReason(reason, sensitive));
        return item.decoded() ? masked.withPayloadJson(SensitiveFields.mask(item.payloadJson(), sensitive)) : masked;
    }

    /**
     * The item with its sensitive columns in the clear, for the principal; the reveal is recorded on the review
     * topic first (action REVEAL, with who and why), so nobody sees them unrecorded.
     */
    ReviewBook.Item reveal(String itemId, String actor, String reason) {
        ReviewBook.Item item = item(itemId);
        if (reason == null || reason.isBlank()) {
            throw new Refused("say why the sensitive columns must be seen");
        }
        Set<String> sensitive = sensitive(item);
        if (!SensitiveFields.hidesAnything(item.payloadJson(), sensitive)
                && Objects.equals(item.reason(), SensitiveFields.maskReason(item.reason(), sensitive))) {
            throw new Refused("nothing on this item is masked: there is nothing to reveal");
        }
        record(itemId, authorized(itemId), ReviewActionKind.REVEAL, actor, reason, null, false);
        return item(itemId);
    }

    /** The columns the row's contract marks sensitive; every column when the contract cannot be read. */
    Set<String> sensitive(ReviewBook.Item item) {
        if (!Topics.ROWS_VALIDATED.equals(Payloads.typeOf(item.originalTopic()).orElse(null))) {
            return Set.of();
        }
        return log.book().contractOf(item.runId())
                .flatMap(contract -> sensitiveByContract.computeIfAbsent(contract, ReviewDesk::contractSensitive))
                .orElse(SensitiveFields.ALL);
    }

    private final Map<String, Optional<Set<String>>> sensitiveByContract = new ConcurrentHashMap<>();

    private static Optional<Set<String>> contractSensitive(String contract) {
        try {
            List<String> sensitive = DataContract.load(contract).sensitive();
            return Optional.of(sensitive == null ? Set.of() : Set.copyOf(sensitive));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Sends the dead letter back to be handled again: a row to {@code mesh.rows.redriven} (with its run's contract),
     * anything else to the topic it died on. {@code editedJson}, when given, replaces the payload after it parsed
     * against the schema; it must keep the record's event id.
     */
    public ReviewAction redrive(String itemId, String editedJson, String actor, String reason) {
        ReviewBook.Item item = item(itemId);
        String grant = authorized(itemId);
        if (item.kind() != ReviewBook.Kind.DEAD_LETTER) {
            throw new Refused("only a dead letter can be re-driven; a returned run is approved or rejected");
        }
        if (item.status() == ReviewBook.Status.DISCARDED) {
            throw new Refused("item " + itemId + " was discarded");
        }
        Topic<?, ?> type = Payloads.typeOf(item.originalTopic())
                .orElseThrow(() -> new Refused("cannot re-drive: " + item.originalTopic() + " is not a mesh Avro topic"));
        boolean edited = editedJson != null && !editedJson.isBlank();
        byte[] value;
        if (edited) {
            // a column left masked keeps its value: a reviewer fixes what they can see
            editedJson = SensitiveFields.unmask(editedJson, item.payloadJson(), sensitive(item));
            SpecificRecord record = Payloads.fromJson(editedJson, type);
            String original = eventId(item.payloadJson() == null ? null : Payloads.fromJson(item.payloadJson(), type));
            if (original != null && !original.equals(eventId(record))) {
                throw new IllegalArgumentException("a re-drive keeps the original event id " + original
                        + "; the edit changed it to " + eventId(record));
            }
            value = Payloads.encode(record, type, codecs.settings());
        } else if (item.payloadJson() != null) {
            value = Payloads.encode(Payloads.fromJson(item.payloadJson(), type), type, codecs.settings());
        } else {
            throw new Refused("the payload could not be decoded: edit it into a valid " + type.valueType().getSimpleName()
                    + " to re-drive it");
        }
        boolean row = type == Topics.ROWS_VALIDATED;
        String target = row ? Topics.ROWS_REDRIVEN.name() : type.name();
        RecordHeaders headers = new RecordHeaders();
        item.headers().forEach((k, v) -> {
            if (k.equals(MeshHeaders.TRACE_PARENT) || k.equals(MeshHeaders.RUN_ID) || k.equals(MeshHeaders.EVENT_ID)) {
                headers.add(k, v.getBytes(StandardCharsets.UTF_8));
            }
        });
        if (row) {
            String contract = log.book().contractOf(item.runId())
                    .orElseThrow(() -> new Refused("the contract of run " + item.runId() + " is not in the log"));
            headers.add(MeshHeaders.CONTRACT, contract.getBytes(StandardCharsets.UTF_8));
        }
        send(new ProducerRecord<>(target, null, item.key() == null ? null : item.key().getBytes(StandardCharsets.UTF_8),
                value, headers));
        metrics.counter("mesh.review.redrives", "edited", Boolean.toString(edited)).increment();
        return record(itemId, grant, ReviewActionKind.REDRIVE, actor, reason, target, edited);
    }

    public ReviewAction discard(String itemId, String actor, String reason) {
        ReviewBook.Item item = item(itemId);
        if (!item.open()) {
            throw new Refused("item " + itemId + " is " + item.status() + ", not open");
        }
        return record(itemId, authorized(itemId), ReviewActionKind.DISCARD, actor, reason, null, false);
    }

    public ReviewAction escalate(String itemId, String actor, String reason) {
        ReviewBook.Item item = item(itemId);
        if (!item.open()) {
            throw new Refused("item " + itemId + " is " + item.status() + ", not open");
        }
        return record(itemId, authorized(itemId), ReviewActionKind.ESCALATE, actor, reason, null, false);
    }

    /** The principal decides a returned run: a PrincipalDecided event under the principal's decision grant. */
    public ReviewAction decide(String runId, PrincipalDecision decision, String actor, String reason) {
        String grant = principalGrant.orElseThrow(() -> new Refused("no principal grant configured "
                + "(mesh.review.principal-grant): this review service cannot decide for the principal"));
        String review = authorized(ReviewBook.runItemId(runId));
        Envelope envelope = envelopes.origin(runId, grant);
        RunEvent event = new RunEvent(envelope, new PrincipalDecided(decision, actor, reason));
        send(new ProducerRecord<>(Topics.RUN_EVENTS.name(), null, runId.getBytes(StandardCharsets.UTF_8),
                codecs.runEvents().encode(event), KafkaRecords.headers(envelope)));
        return record(ReviewBook.runItemId(runId), review, decision == PrincipalDecision.APPROVE ? ReviewActionKind.APPROVE
                : ReviewActionKind.REJECT, actor, reason, null, false);
    }

    /**
     * The grant this service acts on review items under ({@code mesh.review.grant}), if it allows acting on
     * {@code itemId} now; otherwise the action is refused before anything is written.
     */
    private String authorized(String itemId) {
        String grant = reviewGrant.orElseThrow(() -> new Refused("no review grant configured (mesh.review.grant): "
                + "this review service cannot act on review items"));
        Decision decision = grants.authorize(ReviewLog.authority(grant, itemId));
        if (!decision.allowed()) {
            throw new Refused("the review grant does not allow acting on " + itemId + ": " + decision.reason());
        }
        return grant;
    }

    private ReviewAction record(String itemId, String grant, ReviewActionKind kind, String actor, String reason,
                                String redrivenTo, boolean edited) {
        ReviewAction action = new ReviewAction(UUID.randomUUID().toString(), itemId, kind, actor,
                reason == null ? "" : reason, redrivenTo, edited, Instant.now(), grant);
        send(new ProducerRecord<>(Topics.REVIEW_ACTIONS.name(), null, itemId.getBytes(StandardCharsets.UTF_8),
                actions.encode(action), null));
        log.book().apply(itemId, new ReviewBook.Action(action.getActionId(), kind.name(), actor, action.getReason(),
                redrivenTo, edited, action.getAt()));
        metrics.counter("mesh.review.actions", "action", kind.name()).increment();
        return action;
    }

    private static String eventId(SpecificRecord record) {
        if (record == null || record.getSchema().getField("envelope") == null) {
            return null;
        }
        return ((Envelope) record.get(record.getSchema().getField("envelope").pos())).getEventId();
    }

    private void send(ProducerRecord<byte[], byte[]> record) {
        try {
            producer.send(record).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not write to " + record.topic() + ": " + e.getCause().getMessage(), e);
        }
    }

    static String rawPreview(String base64) {
        return base64 == null ? null : new String(Base64.getDecoder().decode(base64), StandardCharsets.ISO_8859_1);
    }
}
