package dev.agentmesh.trainer;

import dev.agentmesh.fanout.SweepControls;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.kafka.client.TopicTail;
import dev.agentmesh.service.GrantGate;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.sweep.SweepControl;
import dev.agentmesh.topics.Topics;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every cancellation the orchestrator has sent, read by this trainer instance from the control topic through a
 * {@link TopicTail} (every trainer sees every cancellation), so a cell can be stopped between two minibatches.
 */
@ApplicationScoped
public class Cancellations {

    /** Per run: the reason the whole run was cancelled, and per cell the highest attempt cancelled with its reason. */
    record RunCancels(String allReason, Map<String, Map.Entry<Integer, String>> cells) {
    }

    private static final Logger LOG = Logger.getLogger(Cancellations.class);

    private final MeshCodecs codecs;
    private final GrantGate grants;
    private final String bootstrapServers;
    private final Map<String, RunCancels> cancels = new ConcurrentHashMap<>();
    private TopicTail tail;

    public Cancellations(MeshCodecs codecs, GrantGate grants,
                         @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.codecs = codecs;
        this.grants = grants;
        this.bootstrapServers = bootstrapServers;
    }

    void start(@Observes StartupEvent started) {
        tail = TopicTail.start("sweep-control", bootstrapServers, List.of(Topics.SWEEP_CONTROL.name()),
                record -> {
                    SweepControl control = codecs.sweepControl().decode(record.value());
                    Decision decision = authorize(control);
                    if (decision.allowed()) {
                        apply(control);
                    } else {
                        LOG.warnf("ignoring cancellation %s-%d@%d of run %s: %s", record.topic(), record.partition(),
                                record.offset(), control.getEnvelope().getRunId(), decision.reason());
                    }
                });
    }

    void stop(@Observes ShutdownEvent stopping) {
        if (tail != null) {
            tail.close();
        }
    }

    /** A cancellation must name a grant that may stop work on its run (the review service dead-letters the rest). */
    Decision authorize(SweepControl control) {
        return grants.authorizeStop(SweepControls.requiredAuthority(control, Instant.now()));
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
