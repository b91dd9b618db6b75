package dev.agentmesh.service;

import dev.agentmesh.kafka.KafkaRecords;
import dev.agentmesh.core.Handoffs;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.kafka.RunRecords;
import dev.agentmesh.kafka.StageTransactions;
import dev.agentmesh.run.StageFailed;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import org.jboss.logging.Logger;
import io.smallrye.common.annotation.Identifier;
import dev.agentmesh.core.Replayable;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import java.util.function.Consumer;
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
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** What the pipeline stage services share: which completion starts them, the grant check, and sending. */
@ApplicationScoped
public class StageSupport {

    private static final Logger LOG = Logger.getLogger(StageSupport.class);
    private static final String NO_MEMBER = "";
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(60);
    private static final int BATCH = 500;
    private static final Duration INPUT_TIMEOUT = Duration.ofSeconds(60);

    private final GrantGate grants;
    private final MeshCodecs codecs;
    private final RunRecords input;
    private final AssignmentReadiness assignment;
    private final Optional<String> group;
    private final Optional<StageTransactions> transactions;
    private final OutgoingMessages outgoing;

    /**
     * One input reader per run handled at once: as many as the run-events channel has consumers. A stage that names
     * a transactional id prefix writes what a run event causes in one transaction with the event's offset.
     */
    public StageSupport(GrantGate grants, MeshCodecs codecs, @Identifier(AssignmentReadiness.NAME) AssignmentReadiness assignment,
                        @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                        @ConfigProperty(name = "mp.messaging.incoming.run-events.concurrency", defaultValue = "1")
                        int concurrency,
                        @ConfigProperty(name = "mp.messaging.incoming.run-events.group.id") Optional<String> group,
                        @ConfigProperty(name = TRANSACTIONAL_ID_PREFIX) Optional<String> transactionalIdPrefix,
                        @ConfigProperty(name = "mesh.stage.transaction-timeout", defaultValue = "PT5M")
                        Duration transactionTimeout,
                        @ConfigProperty(name = "mp.messaging.incoming.run-events.commit-strategy")
                        Optional<String> commitStrategy, OutgoingMessages outgoing) {
        this.grants = grants;
        this.codecs = codecs;
        this.outgoing = outgoing;
        this.input = new RunRecords(bootstrapServers, Math.max(1, concurrency));
        this.assignment = assignment;
        this.group = group;
        if (transactionalIdPrefix.isPresent() && group.isEmpty()) {
            throw new IllegalStateException(TRANSACTIONAL_ID_PREFIX
                    + " is set but mp.messaging.incoming.run-events.group.id is not");
        }
        if (transactionalIdPrefix.isPresent() && !IGNORE.equals(commitStrategy.orElse(null))) {
            throw new IllegalStateException(TRANSACTIONAL_ID_PREFIX + " is set: the stage's transactions commit its "
                    + "offsets, so mp.messaging.incoming.run-events.commit-strategy must be " + IGNORE
                    + " (a second committer could move the group back behind a committed transaction)");
        }
        this.transactions = transactionalIdPrefix.map(prefix ->
                new StageTransactions(bootstrapServers, prefix, transactionTimeout, PASS_EVERY));
    }

    /** How long the offsets of records a stage passes may wait for a transaction to carry them. */
    public static final Duration PASS_EVERY = Duration.ofSeconds(1);
    private static final String IGNORE = "ignore";

    /** The prefix of the stage's transactional ids; deploy/k8s allows the service's principal exactly this prefix. */
    public static final String TRANSACTIONAL_ID_PREFIX = "mesh.kafka.transactional-id-prefix";

    @PreDestroy
    void close() {
        input.close();
        transactions.ifPresent(StageTransactions::close);
    }

    /**
     * Readies the transactional producers for the run-events partitions this instance was just given (each
     * {@code initTransactions} also fences the partition's previous owner), so the first run on a partition does not
     * wait for it.
     */
    void prepare(@ObservesAsync AssignmentReadiness.PartitionsAssigned assigned) {
        codecs.settings(); // the codecs hand the process its Kafka security settings: before any producer connects
        transactions.ifPresent(t -> assigned.partitions().stream()
                .filter(p -> p.topic().equals(Topics.RUN_EVENTS.name()))
                .forEach(p -> t.prepare(p.topic(), p.partition(), assigned.generation())));
    }

    /**
     * The run event in {@code record} causes nothing in this stage (it is not the stage's cue, or it was
     * dead-lettered): the group moves past it with the partition's next transaction, or within
     * {@link #PASS_EVERY}. A stage's transactions are its group's only offset commits.
     */
    public void pass(ConsumerRecord<?, ?> record, IncomingKafkaRecordMetadata<?, ?> delivery) {
        pass(record.topic(), record.partition(), record.offset(), delivery.getConsumerGroupGenerationId());
    }

    void deadLettered(@Observes MeshDeadLetterStrategy.DeadLettered letter) {
        if (letter.topic().equals(Topics.RUN_EVENTS.name())) {
            pass(letter.topic(), letter.partition(), letter.offset(), letter.generation());
        }
    }

    private void pass(String topic, int partition, long offset, int generation) {
        transactions.ifPresent(t -> t.pass(topic, partition, offset,
                receiver(new TopicPartition(topic, partition), generation)));
    }

    /**
     * The transaction for what the run event in {@code cause} makes this stage do: commit it with
     * {@link #complete}, or close it to abort. {@code delivery} tells which generation of the group delivered it.
     */
    public StageTransactions.Transaction transaction(ConsumerRecord<?, ?> cause, IncomingKafkaRecordMetadata<?, ?> delivery) {
        return transactions.orElseThrow(() -> new IllegalStateException(TRANSACTIONAL_ID_PREFIX + " is not set"))
                .begin(cause.topic(), cause.partition(), cause.offset(),
                        receiver(new TopicPartition(cause.topic(), cause.partition()), delivery.getConsumerGroupGenerationId()));
    }

    /**
     * The group member that was given the record, as the broker knows it: this process's owner of the partition if
     * it still owns it in the generation that delivered the record; otherwise that generation with no member, which
     * the broker refuses, because the record's new owner reads it again.
     */
    private ConsumerGroupMetadata receiver(TopicPartition partition, int generation) {
        return assignment.owner(partition).filter(owner -> owner.generationId() == generation)
                .orElseGet(() -> new ConsumerGroupMetadata(group.orElseThrow(), generation,
                        NO_MEMBER, Optional.empty()));
    }

    /** Sends a run event in {@code tx}, keyed by its run id, with its trace context and ids as headers. */
    public void send(StageTransactions.Transaction tx, RunEvent event) {
        tx.send(Topics.RUN_EVENTS.name(), event.getEnvelope().getRunId(), codecs.runEvents().encode(event),
                KafkaRecords.headers(event.getEnvelope()));
    }

    /**
     * Ends a stage's transaction with its completion or failure and commits it with the cause's offset. A failure
     * discards what the stage sent before it: a failed stage's partial output is never seen.
     *
     * @return false when nothing was committed because the cause's partition has moved on to a newer owner, which
     * handles the cause again
     */
    public boolean complete(StageTransactions.Transaction tx, RunEvent finished) {
        return complete(tx, finished, null);
    }

    /**
     * As {@link #complete(StageTransactions.Transaction, RunEvent)}, for a stage that wrote the next stage's records
     * to {@code output} in {@code tx}: the completion's handoff says where they start, so the next stage reads from
     * there instead of searching the partition by time.
     */
    public boolean complete(StageTransactions.Transaction tx, RunEvent finished, Topic<?, ?> output) {
        if (finished.getPayload() instanceof StageFailed) {
            tx.discard();
        } else if (output != null && finished.getPayload() instanceof StageCompleted completed) {
            tx.firstOffset(output.name()).ifPresent(offset -> Handoffs.recordsStartAt(completed, output.name(), offset));
        }
        send(tx, finished);
        try {
            tx.commit();
            return true;
        } catch (StageTransactions.Superseded e) {
            LOG.infof("run %s: %s", finished.getEnvelope().getRunId(), e.getMessage());
            return false;
        }
    }

    /**
     * The common start of a stage that follows {@code previous}: if {@code event} is that stage's completion in a
     * plan that includes {@code stage}, checks the grant and gives the run's input records in {@code topic}
     * ({@code expectedCountKey} in the completion's counts says how many) as a stream read from the log on each pass.
     * A refused grant reports the stage failed and throws, so the event is dead-lettered. Input that cannot be read
     * fails the pass reading it (the agent reports the stage failed with the reason).
     *
     * @return the input records, or empty when there is nothing (more) for this stage to do
     */
    public <V extends SpecificRecord> Optional<Replayable<V>> begin(RunEvent event, String previous, String stage,
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
        OptionalLong from = Handoffs.recordsStart(completion.get()).filter(at -> at.topic().equals(topic.name()))
                .map(at -> OptionalLong.of(at.offset())).orElse(OptionalLong.empty());
        return Optional.of(input.of(topic, codec, runId, since, from, expected, identity, INPUT_TIMEOUT));
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

    public Message<byte[]> message(String key, byte[] value, RecordHeaders headers) {
        return outgoing.message(key, value, headers);
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

    /** Sends one run's records in bounded batches, waiting for the broker's acknowledgement of each batch. */
    public Batch batch(MutinyEmitter<byte[]> emitter, String key) {
        return new Batch(emitter, key);
    }

    public final class Batch implements Consumer<byte[]> {
        private final MutinyEmitter<byte[]> emitter;
        private final String key;
        private final List<Uni<Void>> pending = new ArrayList<>();

        private Batch(MutinyEmitter<byte[]> emitter, String key) {
            this.emitter = emitter;
            this.key = key;
        }

        @Override
        public void accept(byte[] value) {
            pending.add(emitter.sendMessage(message(key, value, null)));
            if (pending.size() >= BATCH) {
                await(pending);
            }
        }

        /** Waits until everything sent so far is acknowledged. */
        public void flush() {
            await(pending);
        }
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
