package dev.agentmesh.rowvalidator;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunTriggered;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.service.GrantGate;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.service.StageSupport;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.concurrent.Future;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import dev.agentmesh.topics.Topics;

/** Thin Kafka shell around {@link RowValidationAgent}. */
@ApplicationScoped
public class RowValidatorService {

    private static final Logger LOG = Logger.getLogger(RowValidatorService.class);
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(60);

    private final MeshCodecs codecs;
    private final GrantGate grants;
    private final RowValidationAgent agent;
    private final String role;
    private final MeterRegistry metrics;
    private final MutinyEmitter<byte[]> runEventsOut;
    private final MutinyEmitter<byte[]> rowsValidatedOut;
    private final MutinyEmitter<byte[]> deadLetterOut;
    private final String bootstrapServers;
    private final KafkaClientService kafkaClients;
    private final dev.agentmesh.serde.MeshCodec<dev.agentmesh.data.RawRow> rawRows;

    public RowValidatorService(MeshCodecs codecs, GrantGate grants, MeterRegistry metrics, KafkaClientService kafkaClients,
                               @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                               @ConfigProperty(name = "mesh.agent.role") String role,
                               @ConfigProperty(name = "mesh.agent.instance") String instance,
                               @Channel("run-events-out") MutinyEmitter<byte[]> runEventsOut,
                               @Channel("rows-validated-out") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 2048)
                               MutinyEmitter<byte[]> rowsOut,
                               @Channel("dead-letter-out") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 2048)
                               MutinyEmitter<byte[]> deadLetterOut) {
        this.codecs = codecs;
        this.bootstrapServers = bootstrapServers;
        this.kafkaClients = kafkaClients;
        this.rawRows = new dev.agentmesh.serde.MeshCodec<>(dev.agentmesh.topics.Topics.ROWS_RAW, codecs.settings());
        this.grants = grants;
        this.metrics = metrics;
        this.role = role;
        this.agent = new RowValidationAgent(new Envelopes(role, instance));
        this.runEventsOut = runEventsOut;
        // rowsOut and deadLetterOut declare the channels whose Kafka producers carry the rows (see onRunEvent).
        this.rowsValidatedOut = rowsOut;
        this.deadLetterOut = deadLetterOut;
    }

    /**
     * A dead-lettered row a person fixed and re-drove from review: validated again against the run's contract (named
     * in the {@code mesh-contract} header), sent on if it is valid now, dead-lettered again with its reasons if not.
     * The row keeps its event id, so a report already in the run's log means it was applied: nothing happens again.
     */
    @Incoming("rows-redriven")
    @dev.agentmesh.service.MeshHandler
    @Blocking
    public void onRedrivenRow(ConsumerRecord<byte[], byte[]> record) {
        dev.agentmesh.data.DataRow row = codecs.rows().decode(record.value());
        String runId = row.getEnvelope().getRunId();
        var contractHeader = record.headers().lastHeader(MeshHeaders.CONTRACT);
        if (contractHeader == null) {
            throw new IllegalArgumentException("re-driven row " + row.getRowIndex() + " of run " + runId
                    + " names no contract (" + MeshHeaders.CONTRACT + " header)");
        }
        var envelope = row.getEnvelope();
        Decision decision = grants.authorize(new dev.agentmesh.grants.ActionRequest(envelope.getGrantId(),
                dev.agentmesh.grants.Actions.SPEND_COMPUTE, dev.agentmesh.grants.Resources.run(runId),
                envelope.getDelegationDepth(), 0, java.time.Instant.now()));
        if (!decision.allowed()) {
            throw new StageSupport.UnauthorisedActionException("re-driven row of run " + runId + " refused: " + decision.reason());
        }
        RowValidationAgent.Redrive redrive = agent.redriven(row,
                dev.agentmesh.contract.DataContract.load(new String(contractHeader.value(), StandardCharsets.UTF_8)));
        String reportId = redrive.reported().getEnvelope().getEventId();
        boolean applied = dev.agentmesh.core.RunLog.read(bootstrapServers, codecs.runEvents(), runId, Duration.ofSeconds(30))
                .stream().anyMatch(e -> e.getEnvelope().getEventId().equals(reportId));
        if (applied) {
            metrics.counter("mesh.rows.redrive.duplicates", "role", role).increment();
            LOG.infof("run %s: row %d was re-driven before (event %s): nothing to do", runId, row.getRowIndex(), envelope.getEventId());
            return;
        }
        if (redrive.valid()) {
            send(rowsValidatedOut, runId, codecs.rows().encode(row), null);
        } else {
            send(deadLetterOut, runId, codecs.rows().encode(row), rejectionHeaders(runId, "redrive:" + record.topic(),
                    new RowValidationAgent.Rejection(row, redrive.violations())));
            metrics.counter(dev.agentmesh.service.MeshHandlerInterceptor.DEAD_LETTER_RECORDS, "topic", record.topic()).increment();
        }
        sendEvent(redrive.reported());
        metrics.counter("mesh.rows.redriven", "role", role, "valid", Boolean.toString(redrive.valid())).increment();
        LOG.infof("run %s: re-driven row %d is %s", runId, row.getRowIndex(), redrive.valid() ? "valid" : "still invalid");
    }

    /** A record that cannot be decoded throws, is nacked, and goes to the dead-letter topic with the reason. */
    @Incoming("run-events")
    @dev.agentmesh.service.MeshHandler
    @Blocking
    public void onRunEvent(ConsumerRecord<byte[], byte[]> record) {
        RunEvent event = codecs.runEvents().decode(record.value());
        if (!RowValidationAgent.concerns(event)) {
            return;
        }
        String runId = event.getEnvelope().getRunId();
        RunTriggered trigger = (RunTriggered) event.getPayload();
        Decision decision = grants.authorize(RowValidationAgent.requiredAuthority(event));
        if (!decision.allowed()) {
            sendEvent(agent.refused(event, decision.reason()));
            throw new StageSupport.UnauthorisedActionException("run " + runId + " refused: " + decision.reason());
        }
        LOG.infof("run %s: validating %s against contract %s", runId, trigger.getSourceLocation(), trigger.getContract());
        long t0 = System.nanoTime();
        long readNanos = 0;
        RowValidationAgent.Outcome outcome;
        List<dev.agentmesh.core.LoggedRecord> undecodable = List.of();
        if (trigger.getSourceKind() == dev.agentmesh.run.SourceKind.TOPIC) {
            dev.agentmesh.core.TopicSource.Read read = dev.agentmesh.core.TopicSource.read(bootstrapServers, rawRows,
                    trigger.getSourceLocation(), java.time.Duration.ofSeconds(60));
            undecodable = read.undecodable();
            readNanos = System.nanoTime() - t0;
            outcome = agent.handle(event, read.table(), undecodable.size());
        } else {
            outcome = agent.handle(event);
        }

        long validatedAt = System.nanoTime();
        sendEvent(outcome.started());
        // Rows in bulk go straight to the channels' own Kafka producers (same configuration as the emitters), then
        // one flush: a Message and a Uni per row through the emitter cost more than validating the row.
        Producer<String, byte[]> rowsProducer = kafkaClients.<String, byte[]>getProducer("rows-validated-out").unwrap();
        Producer<String, byte[]> deadProducer = kafkaClients.<String, byte[]>getProducer("dead-letter-out").unwrap();
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        for (var row : outcome.valid()) {
            sends.add(rowsProducer.send(new ProducerRecord<>(Topics.ROWS_VALIDATED.name(), runId, codecs.rows().encode(row))));
        }
        for (var rejection : outcome.rejected()) {
            sends.add(deadProducer.send(new ProducerRecord<>(Topics.DEAD_LETTER.name(), null, runId,
                    codecs.rows().encode(rejection.row()), rejectionHeaders(runId, trigger.getSourceLocation(), rejection))));
        }
        for (dev.agentmesh.core.LoggedRecord raw : undecodable) {
            sends.add(deadProducer.send(new ProducerRecord<>(Topics.DEAD_LETTER.name(), null, runId, raw.value(),
                    undecodableHeaders(runId, raw))));
        }
        rowsProducer.flush();
        deadProducer.flush();
        awaitAll(sends);
        sendEvent(outcome.finished());

        metrics.counter("mesh.rows.valid", "role", role).increment(outcome.valid().size());
        metrics.counter("mesh.rows.rejected", "role", role).increment(outcome.rejected().size());
        metrics.counter(dev.agentmesh.service.MeshHandlerInterceptor.DEAD_LETTER_RECORDS, "topic", trigger.getSourceKind()
                == dev.agentmesh.run.SourceKind.TOPIC ? Topics.ROWS_RAW.name() : "source").increment(outcome.rejected().size() + undecodable.size());
        LOG.infof("run %s: %d rows valid, %d rejected (read %d ms, validate %d ms, send %d ms)", runId, outcome.valid().size(),
                outcome.rejected().size(), readNanos / 1_000_000, (validatedAt - t0 - readNanos) / 1_000_000,
                (System.nanoTime() - validatedAt) / 1_000_000);
    }

    private RecordHeaders undecodableHeaders(String runId, dev.agentmesh.core.LoggedRecord raw) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(MeshHeaders.DLQ_REASON, utf8("undecodable raw row (not a RawRow in the Confluent wire format)"));
        headers.add(MeshHeaders.DLQ_TOPIC, utf8(raw.topic()));
        headers.add(MeshHeaders.DLQ_PARTITION, utf8(Integer.toString(raw.partition())));
        headers.add(MeshHeaders.DLQ_OFFSET, utf8(Long.toString(raw.offset())));
        headers.add(MeshHeaders.DLQ_SERVICE, utf8(role));
        headers.add(MeshHeaders.RUN_ID, utf8(runId));
        return headers;
    }

    private RecordHeaders rejectionHeaders(String runId, String source, RowValidationAgent.Rejection rejection) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(MeshHeaders.DLQ_REASON, utf8(rejection.reason()));
        headers.add(MeshHeaders.DLQ_TOPIC, utf8("csv:" + source));
        headers.add(MeshHeaders.DLQ_PARTITION, utf8("-1"));
        headers.add(MeshHeaders.DLQ_OFFSET, utf8(Long.toString(rejection.row().getRowIndex())));
        headers.add(MeshHeaders.DLQ_SERVICE, utf8(role));
        headers.add(MeshHeaders.RUN_ID, utf8(runId));
        headers.add(MeshHeaders.ROW_REJECTIONS, utf8(rejection.violations().stream()
                .map(Object::toString).collect(Collectors.joining("; "))));
        return headers;
    }

    private static Message<byte[]> message(String key, byte[] value, RecordHeaders headers) {
        var metadata = OutgoingKafkaRecordMetadata.<String>builder().withKey(key);
        if (headers != null) {
            metadata.withHeaders(headers);
        }
        return Message.of(value).addMetadata(metadata.build());
    }

    private void sendEvent(RunEvent event) {
        send(runEventsOut, event.getEnvelope().getRunId(), codecs.runEvents().encode(event), dev.agentmesh.core.MeshHeaders.forEnvelope(event.getEnvelope()));
    }

    private static void send(MutinyEmitter<byte[]> emitter, String key, byte[] value, RecordHeaders headers) {
        emitter.sendMessage(message(key, value, headers)).await().atMost(SEND_TIMEOUT);
    }

    private static void awaitAll(List<Future<RecordMetadata>> sends) {
        try {
            for (Future<RecordMetadata> send : sends) {
                send.get(SEND_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("rows not acknowledged by the broker: " + e.getMessage(), e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
