package dev.agentmesh.trainer;

import dev.agentmesh.kafka.client.KafkaClientSettings;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.sweep.SweepControl;
import dev.agentmesh.topics.Topics;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every cancellation the orchestrator has sent, read by this trainer instance from the control topic (no consumer
 * group: every trainer sees every cancellation), so a cell can be stopped between two minibatches.
 */
@ApplicationScoped
public class Cancellations {

    private static final Logger LOG = Logger.getLogger(Cancellations.class);

    /** Per run: the reason the whole run was cancelled, and per cell the highest attempt cancelled with its reason. */
    record RunCancels(String allReason, Map<String, Map.Entry<Integer, String>> cells) {
    }

    private final MeshCodecs codecs;
    private final String bootstrapServers;
    private final Map<String, RunCancels> cancels = new ConcurrentHashMap<>();
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread reader;

    public Cancellations(MeshCodecs codecs, @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.codecs = codecs;
        this.bootstrapServers = bootstrapServers;
    }

    void start(@Observes StartupEvent started) {
        consumer = new KafkaConsumer<>(KafkaClientSettings.with(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class)));
        reader = new Thread(this::read, "sweep-cancellations");
        reader.setDaemon(true);
        reader.start();
    }

    void stop(@Observes ShutdownEvent stopping) {
        if (consumer != null) {
            consumer.wakeup();
        }
    }

    private void read() {
        TopicPartition partition = new TopicPartition(Topics.SWEEP_CONTROL.name(), 0);
        try (KafkaConsumer<String, byte[]> c = consumer) {
            c.assign(List.of(partition));
            c.seekToBeginning(List.of(partition));
            while (!Thread.currentThread().isInterrupted()) {
                for (ConsumerRecord<String, byte[]> record : c.poll(Duration.ofMillis(100))) {
                    try {
                        apply(codecs.sweepControl().decode(record.value()));
                    } catch (RuntimeException e) {
                        LOG.errorf("unreadable control record at offset %d ignored: %s", record.offset(), e.getMessage());
                    }
                }
            }
        } catch (WakeupException stopping) {
            // shutting down
        }
    }

    void apply(SweepControl control) {
        String runId = control.getEnvelope().getRunId();
        cancels.compute(runId, (id, known) -> {
            String all = known == null ? null : known.allReason();
            Map<String, Map.Entry<Integer, String>> cells = new ConcurrentHashMap<>(known == null ? Map.of() : known.cells());
            if (control.getAllCells() && all == null) {
                all = control.getReason();
            }
            control.getCells().forEach((cell, attempt) -> cells.merge(cell, Map.entry(attempt, control.getReason()),
                    (a, b) -> a.getKey() >= b.getKey() ? a : b));
            return new RunCancels(all, cells);
        });
    }

    /** Why this attempt of this cell must stop, if it must. */
    public Optional<String> reason(String runId, String cellId, int attempt) {
        RunCancels run = cancels.get(runId);
        if (run == null) {
            return Optional.empty();
        }
        if (run.allReason() != null) {
            return Optional.of("cancelled: " + run.allReason());
        }
        Map.Entry<Integer, String> cell = run.cells().get(cellId);
        return cell != null && attempt <= cell.getKey() ? Optional.of("cancelled: " + cell.getValue()) : Optional.empty();
    }
}
