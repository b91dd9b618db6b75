package dev.agentmesh.rowvalidator;

import dev.agentmesh.contract.CsvRows;
import dev.agentmesh.contract.TransactionGenerator;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.contract.RowViolation;
import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.data.DataRow;
import dev.agentmesh.data.RawRow;
import dev.agentmesh.grants.ActionRequest;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.Resources;
import dev.agentmesh.kafka.RunLog;
import dev.agentmesh.kafka.TopicSource;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.service.MeshHandler;
import dev.agentmesh.service.MeshHandlerInterceptor;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import dev.agentmesh.contract.RowValidationAgent;
import dev.agentmesh.contract.SourcePolicy;
import dev.agentmesh.kafka.DeadLetter;
import dev.agentmesh.kafka.KafkaRecords;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunTriggered;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.service.GrantGate;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.service.StageSupport;
import dev.agentmesh.kafka.StageTransactions;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import dev.agentmesh.topics.Topics;
import dev.agentmesh.serde.DataRowWriter;

/** Thin Kafka shell around {@link RowValidationAgent}. */
@ApplicationScoped
public class RowValidatorService {

    private static final Logger LOG = Logger.getLogger(RowValidatorService.class);
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration SOURCE_TIMEOUT = Duration.ofSeconds(60);

    private final MeshCodecs codecs;
    private final GrantGate grants;
    private final RowValidationAgent agent;
    private final String role;
    private final MeterRegistry metrics;
    private final MutinyEmitter<byte[]> runEventsOut;
    private final MutinyEmitter<byte[]> rowsValidatedOut;
    private final MutinyEmitter<byte[]> deadLetterOut;
    private final String bootstrapServers;
    private final StageSupport stage;
    private final MeshCodec<RawRow> rawRows;

    public RowValidatorService(MeshCodecs codecs, GrantGate grants, MeterRegistry metrics, StageSupport stage,
                               @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                               @ConfigProperty(name = "mesh.agent.role") String role,
                               @ConfigProperty(name = "mesh.agent.instance") String instance,
                               @ConfigProperty(name = "mesh.sources.allowed-dirs") List<Path> allowedSourceDirs,
                               @Channel("run-events-out") MutinyEmitter<byte[]> runEventsOut,
                               @Channel("rows-validated-out") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 2048)
                               MutinyEmitter<byte[]> rowsOut,
                               @Channel("dead-letter-out") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 2048)
                               MutinyEmitter<byte[]> deadLetterOut) {
        this.codecs = codecs;
        this.bootstrapServers = bootstrapServers;
        this.stage = stage;
        this.rawRows = new MeshCodec<>(Topics.ROWS_RAW, codecs.settings());
        this.grants = grants;
        this.metrics = metrics;
        this.role = role;
        this.agent = new RowValidationAgent(new Envelopes(role, instance), SourcePolicy.within(allowedSourceDirs));
        this.runEventsOut = runEventsOut;
        // re-driven rows go out through these; a run's own rows go in its stage transaction (onRunEvent)
        this.rowsValidatedOut = rowsOut;
        this.deadLetterOut = deadLetterOut;
    }

    /**
     * A dead-lettered row a person fixed and re-drove from review: validated again against the run's contract (named
     * in the {@code mesh-contract} header), sent on if it is valid now, dead-lettered again with its reasons if not.
     * The row keeps its event id, so a report already in the run's log means it was applied: nothing happens again.
     */
    @Incoming("rows-redriven")
    @MeshHandler
    @Blocking
    public void onRedrivenRow(ConsumerRecord<byte[], byte[]> record) {
        DataRow row = codecs.rows().decode(record.value());
        String runId = row.getEnvelope().getRunId();
        var contractHeader = record.headers().lastHeader(MeshHeaders.CONTRACT);
        if (contractHeader == null) {
            throw new IllegalArgumentException("re-driven row " + row.getRowIndex() + " of run " + runId
                    + " names no contract (" + MeshHeaders.CONTRACT + " header)");
        }
        var envelope = row.getEnvelope();
        Decision decision = grants.authorize(new ActionRequest(envelope.getGrantId(),
                Actions.SPEND_COMPUTE, Resources.run(runId),
                envelope.getDelegationDepth(), 0, Instant.now()));
        if (!decision.allowed()) {
            throw new StageSupport.UnauthorisedActionException("re-driven row of run " + runId + " refused: " + decision.reason());
        }
        RowValidationAgent.Redrive redrive = agent.redriven(row,
                DataContract.load(new String(contractHeader.value(), StandardCharsets.UTF_8)));
        String reportId = redrive.reported().getEnvelope().getEventId();
        boolean applied = RunLog.read(bootstrapServers, codecs.runEvents(), runId, Duration.ofSeconds(30))
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
                    row.getRowIndex(), new RowValidationAgent.Rejection(row, redrive.violations()).reason(), redrive.violations()));
            metrics.counter(MeshHandlerInterceptor.DEAD_LETTER_RECORDS, "topic", record.topic()).increment();
        }
        sendEvent(redrive.reported());
        metrics.counter("mesh.rows.redriven", "role", role, "valid", Boolean.toString(redrive.valid())).increment();
        LOG.infof("run %s: re-driven row %d is %s", runId, row.getRowIndex(), redrive.valid() ? "valid" : "still invalid");
    }

    /** A record that cannot be decoded throws, is nacked, and goes to the dead-letter topic with the reason. */
    @Incoming("run-events")
    @MeshHandler
    @Blocking
    public void onRunEvent(ConsumerRecord<byte[], byte[]> record, IncomingKafkaRecordMetadata<byte[], byte[]> delivery) {
        RunEvent event = codecs.runEvents().decode(record.value());
        if (!RowValidationAgent.concerns(event)) {
            stage.pass(record, delivery);
            return;
        }
        String runId = event.getEnvelope().getRunId();
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        if (!runId.equals(key)) {
            // run state, the process managers and every stage find a run's events by key: this run could never finish
            throw new IllegalArgumentException("a trigger for run " + runId + " keyed " + (key == null ? "null" : "'" + key + "'")
                    + ": run events are keyed by their run id");
        }
        RunTriggered trigger = (RunTriggered) event.getPayload();
        Decision decision = grants.authorize(RowValidationAgent.requiredAuthority(event));
        if (!decision.allowed()) {
            sendEvent(agent.refused(event, decision.reason()));
            throw new StageSupport.UnauthorisedActionException("run " + runId + " refused: " + decision.reason());
        }
        LOG.infof("run %s: validating %s against contract %s", runId, trigger.getSourceLocation(), trigger.getContract());
        long t0 = System.nanoTime();
        RowValidationAgent.Validation validation = agent.begin(event);
        sendEvent(validation.started());
        // The rows, the rejections and the completion are committed together with the trigger's offset: readers see
        // the stage's output once, whole, or (the stage failed, rows void) only the failure.
        boolean committed;
        try (StageTransactions.Transaction tx = stage.transaction(record, delivery)) {
            if (!validation.failed()) {
                try {
                    validateAndSend(runId, validation, tx);
                } catch (RuntimeException e) {
                    validation.fail(e);
                }
            }
            committed = stage.complete(tx, validation.finished(), Topics.ROWS_VALIDATED);
        }
        if (!committed) {
            return;
        }
        metrics.counter("mesh.rows.valid", "role", role).increment(validation.rowsValid());
        metrics.counter("mesh.rows.rejected", "role", role).increment(validation.rowsRejected());
        metrics.counter(MeshHandlerInterceptor.DEAD_LETTER_RECORDS, "topic", trigger.getSourceKind()
                == SourceKind.TOPIC ? Topics.ROWS_RAW.name() : "source").increment(validation.rowsRejected());
        LOG.infof("run %s: %d rows valid, %d rejected%s in %d ms", runId, validation.rowsValid(), validation.rowsRejected(),
                validation.failed() ? " (stage failed)" : "", (System.nanoTime() - t0) / 1_000_000);
    }

    /** Streams the source through validation into the stage's transaction: each row is checked and sent as it is read. */
    private void validateAndSend(String runId, RowValidationAgent.Validation validation, StageTransactions.Transaction tx) {
        RowSink sink = new RowSink(runId, validation, tx);
        if (validation.sourceKind() == SourceKind.TOPIC) {
            boolean[] headerChecked = {false};
            TopicSource.stream(bootstrapServers, rawRows, validation.sourceLocation(), SOURCE_TIMEOUT,
                    new TopicSource.Rows() {
                        @Override
                        public void row(Map<String, String> values) {
                            if (!headerChecked[0]) {
                                headerChecked[0] = true;
                                if (!validation.acceptsHeader(values.keySet())) {
                                    throw new IllegalStateException("source does not match its contract");
                                }
                            }
                            sink.row(validation.check(values), values);
                        }

                        @Override
                        public void undecodable(LoggedRecord raw, RuntimeException why) {
                            validation.undecodable();
                            sink.undecodable(raw, why);
                        }
                    });
        } else if (validation.sourceKind() == SourceKind.CSV) {
            CsvRows.stream(validation.csvFile(), header -> validation.acceptsHeader(new HashSet<>(header)),
                    values -> sink.row(validation.check(values), values));
        } else if (validation.acceptsHeader(new HashSet<>(TransactionGenerator.HEADER))) {
            TransactionGenerator.stream(TransactionGenerator.Spec.parse(validation.sourceLocation()),
                    values -> sink.row(validation.check(values), values));
        }
        tx.flush();
    }

    /** Where one run's rows go: valid ones on, rejected and undecodable ones to the dead-letter topic with reasons. */
    private final class RowSink {
        private final String runId;
        private final String source;
        private final StageTransactions.Transaction tx;
        private final DataRowWriter writer;
        private final RowValidationAgent.Validation validation;

        RowSink(String runId, RowValidationAgent.Validation validation, StageTransactions.Transaction tx) {
            this.runId = runId;
            this.validation = validation;
            this.source = validation.sourceLocation();
            this.tx = tx;
            this.writer = new DataRowWriter(codecs.rows(), validation.rowEnvelopeTemplate());
        }

        void row(RowValidationAgent.Verdict verdict, Map<String, String> values) {
            byte[] row = writer.encode(verdict.rowIndex(), values);
            if (row.length > MeshCodec.MAX_RECORD_BYTES) {
                // no reader would take it: rejected, and dead-lettered with its reason but without the copy
                RowValidationAgent.Verdict refused = validation.tooLarge(verdict, row.length, MeshCodec.MAX_RECORD_BYTES);
                tx.send(Topics.DEAD_LETTER.name(), runId, null,
                        rejectionHeaders(runId, source, refused.rowIndex(), refused.reason(), refused.violations()));
            } else if (verdict.valid()) {
                tx.send(Topics.ROWS_VALIDATED.name(), runId, row, null);
            } else {
                tx.send(Topics.DEAD_LETTER.name(), runId, row,
                        rejectionHeaders(runId, source, verdict.rowIndex(), verdict.reason(), verdict.violations()));
            }
        }

        void undecodable(LoggedRecord raw, RuntimeException why) {
            // a copy, or a reference when the raw record is too large to copy: one bad record never fails the stage
            DeadLetter letter = DeadLetter.of(raw.topic(), raw.partition(), raw.offset(), null, raw.value(), null,
                    "undecodable raw row (not a RawRow in the Confluent wire format): " + why.getMessage(), role);
            Headers headers = letter.headers();
            headers.add(MeshHeaders.RUN_ID, utf8(runId));
            tx.send(Topics.DEAD_LETTER.name(), runId, letter.value(), headers);
        }
    }

    private RecordHeaders rejectionHeaders(String runId, String source, long rowIndex, String reason,
                                           List<RowViolation> violations) {
        RecordHeaders headers = KafkaRecords.deadLetter(null, reason, "csv:" + source, "-1", Long.toString(rowIndex), role);
        headers.add(MeshHeaders.RUN_ID, utf8(runId));
        headers.add(MeshHeaders.ROW_REJECTIONS, utf8(violations.stream()
                .map(Object::toString).collect(Collectors.joining("; "))));
        return headers;
    }

    private void sendEvent(RunEvent event) {
        send(runEventsOut, event.getEnvelope().getRunId(), codecs.runEvents().encode(event), KafkaRecords.headers(event.getEnvelope()));
    }

    private void send(MutinyEmitter<byte[]> emitter, String key, byte[] value, RecordHeaders headers) {
        emitter.sendMessage(stage.message(key, value, headers)).await().atMost(SEND_TIMEOUT);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
