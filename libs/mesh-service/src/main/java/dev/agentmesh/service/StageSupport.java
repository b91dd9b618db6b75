package dev.agentmesh.service;

import dev.agentmesh.kafka.KafkaRecords;
import dev.agentmesh.core.Handoffs;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.kafka.RunRecords;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.topics.Topic;
import org.apache.avro.specific.SpecificRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import java.time.Instant;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import dev.agentmesh.grants.ActionRequest;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.grants.Resources;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.StageCompleted;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** What the pipeline stage services share: which completion starts them, the grant check, and sending. */
@ApplicationScoped
public class StageSupport {

    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(60);
    private static final int BATCH = 500;

    private final GrantGate grants;
    private final MeshCodecs codecs;
    private final String bootstrapServers;

    public StageSupport(GrantGate grants, MeshCodecs codecs,
                        @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.grants = grants;
        this.codecs = codecs;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * The common start of a stage that follows {@code previous}: if {@code event} is that stage's completion in a
     * plan that includes {@code stage}, checks the grant and reads the run's input records from {@code topic}
     * ({@code expectedCountKey} in the completion's counts says how many). A refused grant reports the stage failed
     * and throws, so the event is dead-lettered; unreadable input reports the stage failed.
     *
     * @return the input records, or empty when there is nothing (more) for this stage to do
     */
    public <V extends SpecificRecord> Optional<List<V>> begin(RunEvent event, String previous, String stage,
                                                              Topic<String, V> topic, MeshCodec<V> codec,
                                                              String expectedCountKey, ToLongFunction<V> identity,
                                                              Function<String, RunEvent> failed,
                                                              MutinyEmitter<byte[]> runEventsOut) {
        Optional<StageCompleted> completion = completionStarting(event, previous, stage);
        if (completion.isEmpty()) {
            return Optional.empty();
        }
        String runId = event.getEnvelope().getRunId();
        Decision decision = authorizeStage(event);
        if (!decision.allowed()) {
            send(runEventsOut, failed.apply("unauthorised: " + decision.reason()));
            throw new UnauthorisedActionException("run " + runId + " refused: " + decision.reason());
        }
        long expected = Handoffs.records(completion.get(), expectedCountKey);
        Instant since = Handoffs.triggeredAt(completion.get(), event.getEnvelope().getOccurredAt());
        try {
            return Optional.of(RunRecords.read(bootstrapServers, topic, codec, runId, since, expected, identity,
                    Duration.ofSeconds(60)));
        } catch (RuntimeException e) {
            send(runEventsOut, failed.apply("cannot read the run's records from " + topic.name() + ": " + e.getMessage()));
            return Optional.empty();
        }
    }

    /** The completion of {@code previous} in a run whose plan includes {@code stage}, if {@code event} is one. */
    public static Optional<StageCompleted> completionStarting(RunEvent event, String previous, String stage) {
        if (event.getPayload() instanceof StageCompleted c && c.getStage().equals(previous)
                && plan(c).contains(stage)) {
            return Optional.of(c);
        }
        return Optional.empty();
    }

    public static List<String> plan(StageCompleted completion) {
        return Handoffs.plan(completion);
    }

    /** Stage work spends compute on the run: the event's grant must allow it. */
    public Decision authorizeStage(RunEvent cause) {
        var envelope = cause.getEnvelope();
        return grants.authorize(new ActionRequest(envelope.getGrantId(), Actions.SPEND_COMPUTE,
                Resources.run(envelope.getRunId()), envelope.getDelegationDepth(), 0, envelope.getOccurredAt()));
    }

    public static Message<byte[]> message(String key, byte[] value, RecordHeaders headers) {
        var metadata = OutgoingKafkaRecordMetadata.<String>builder().withKey(key);
        if (headers != null) {
            metadata.withHeaders(headers);
        }
        return Message.of(value).addMetadata(metadata.build());
    }

    /** Sends a run event keyed by its run id, with its trace context in the {@code traceparent} header. */
    public void send(MutinyEmitter<byte[]> emitter, RunEvent event) {
        emitter.sendMessage(message(event.getEnvelope().getRunId(), codecs.runEvents().encode(event),
                KafkaRecords.headers(event.getEnvelope())))
                .await().atMost(SEND_TIMEOUT);
    }


    public void send(MutinyEmitter<byte[]> emitter, String key, byte[] value) {
        emitter.sendMessage(message(key, value, null)).await().atMost(SEND_TIMEOUT);
    }

    /** Sends in bounded batches, waiting for the broker's acknowledgement of each batch. */
    public void sendAll(MutinyEmitter<byte[]> emitter, String key, List<byte[]> values) {
        List<Uni<Void>> pending = new ArrayList<>();
        for (byte[] value : values) {
            pending.add(emitter.sendMessage(message(key, value, null)));
            if (pending.size() >= BATCH) {
                await(pending);
            }
        }
        await(pending);
    }

    private static void await(List<Uni<Void>> pending) {
        if (!pending.isEmpty()) {
            Uni.join().all(pending).andFailFast().await().atMost(SEND_TIMEOUT);
            pending.clear();
        }
    }

    /** Nacks the record that asked for an action its grant does not allow; it goes to the dead-letter topic. */
    public static class UnauthorisedActionException extends RuntimeException {
        public UnauthorisedActionException(String message) {
            super(message);
        }
    }
}
