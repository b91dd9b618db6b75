package dev.agentmesh.sweeporchestrator;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.fanout.SweepDecider;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.run.DatasetPublished;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.sweep.CellCompleted;
import dev.agentmesh.sweep.CellStarted;
import dev.agentmesh.sweep.CellTask;
import dev.agentmesh.sweep.SweepFinished;
import dev.agentmesh.sweep.SweepOutcome;
import dev.agentmesh.sweep.SweepPlanned;
import dev.agentmesh.testing.EmbeddedKafkaResource;
import dev.agentmesh.testing.TestGrants;
import dev.agentmesh.testing.TopicProbe;
import dev.agentmesh.topics.Topics;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The orchestrator on a real broker; the test plays the trainer pool and answers the tasks it dispatches. */
@QuarkusTest
@QuarkusTestResource(EmbeddedKafkaResource.class)
class SweepOrchestratorServiceTest {

    static String bootstrap() {
        return EmbeddedKafkaResource.bootstrapServers();
    }

    static MeshCodec<RunEvent> events() {
        return new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap()));
    }

    static void publish(RunEvent event) {
        TopicProbe.send(bootstrap(), Topics.RUN_EVENTS.name(), event.getEnvelope().getRunId().getBytes(), events().encode(event));
    }

    static List<CellTask> tasks(String runId, int atLeast) {
        MeshCodec<CellTask> codec = new MeshCodec<>(Topics.SWEEP_TASKS, SerdeSettings.kafkaTopicStore(bootstrap()));
        return TopicProbe.readUntil(bootstrap(), Topics.SWEEP_TASKS.name(), Duration.ofSeconds(30),
                        seen -> seen.stream().map(r -> codec.decode(r.value())).filter(t -> t.getEnvelope().getRunId().equals(runId)).count() >= atLeast)
                .stream().map(r -> codec.decode(r.value())).filter(t -> t.getEnvelope().getRunId().equals(runId)).toList();
    }

    static List<RunEvent> runEvents(String runId, java.util.function.Predicate<List<RunEvent>> until) {
        MeshCodec<RunEvent> codec = events();
        java.util.function.Function<List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>>, List<RunEvent>> decode =
                seen -> seen.stream().filter(r -> runId.equals(new String(r.key()))).map(r -> codec.decode(r.value())).toList();
        return decode.apply(TopicProbe.readUntil(bootstrap(), Topics.RUN_EVENTS.name(), Duration.ofSeconds(30),
                seen -> until.test(decode.apply(seen))));
    }

    @Test
    void aPlannedSweepIsDispatchedWithinItsConcurrencyAndFansInToAWinner() throws Exception {
        String runId = "run-orchestrated";
        String grant = TestGrants.publishRoot(bootstrap(), EmbeddedKafkaResource.principal(),
                List.of(Actions.SPEND_COMPUTE, Actions.WRITE_CHECKPOINTS), null);
        Path grid = Files.createDirectories(Path.of("target/test-sources")).resolve("two-cells.yaml");
        Files.writeString(grid, "name: two\narchitectures: [{name: logistic, kind: logistic}]\nlearning_rates: [0.01, 0.1]\n"
                + "batch_sizes: [16]\nepochs: 2\nseed: 1\npolicy: {max_concurrency: 1, cell_timeout: PT30S, max_attempts: 1,"
                + " min_successes: 2, on_partial: fail, mode: gather, cell_cost_estimate_ms: 10}\n");
        Envelope trigger = new Envelopes("meshctl", "test").origin(runId, grant);
        publish(RunEvents.triggered(trigger, "nightly", "test", SourceKind.CSV, "x.csv", "credit-g", List.of(Stages.SWEEP),
                Map.of(SweepDecider.PARAM_GRANT, grant, SweepDecider.PARAM_GRID, grid.toAbsolutePath().toString())));
        publish(new RunEvent(new Envelopes("publisher", "test").causedBy(trigger, "published", 0), new DatasetPublished(
                "file:/d/", "sha256:ab", Map.of("train", "file:/d/train.avro", "validation", "file:/d/validation.avro",
                "test", "file:/d/test.avro"), Map.of(), List.of("f"), "class", "good")));

        List<CellTask> first = tasks(runId, 1);
        assertEquals(1, first.size(), "max_concurrency 1");
        SweepPlanned plan = (SweepPlanned) runEvents(runId, e -> e.stream().anyMatch(x -> x.getPayload() instanceof SweepPlanned))
                .stream().map(RunEvent::getPayload).filter(SweepPlanned.class::isInstance).findFirst().orElseThrow();
        assertEquals(2, plan.getCells().size());
        assertNull(plan.getTrainerGrantId(), "without an agent key the pool acts under the sweep grant");
        assertEquals(grant, first.get(0).getEnvelope().getGrantId());

        Envelopes trainer = new Envelopes("trainer", "test");
        answer(trainer, first.get(0), 0.6);
        List<CellTask> both = tasks(runId, 2);
        answer(trainer, both.get(1), 0.5);
        SweepFinished finished = (SweepFinished) runEvents(runId, e -> e.stream().anyMatch(x -> x.getPayload() instanceof SweepFinished))
                .stream().map(RunEvent::getPayload).filter(SweepFinished.class::isInstance).findFirst().orElseThrow();
        assertEquals(SweepOutcome.SUCCEEDED, finished.getOutcome());
        assertEquals(both.get(1).getConfig().getCellId(), finished.getWinnerCellId());
        assertEquals(2, finished.getCellsSucceeded());
    }

    static void answer(Envelopes trainer, CellTask task, double loss) {
        publish(new RunEvent(trainer.causedBy(task.getEnvelope(), "started", 0), new CellStarted(task.getConfig().getCellId())));
        publish(new RunEvent(trainer.causedBy(task.getEnvelope(), "completed", 5), new CellCompleted(task.getConfig().getCellId(),
                task.getConfig(), loss, 0.7, 2.0, 5L, "file:/m/" + task.getConfig().getCellId(), "sha256:00", List.of())));
    }

    @Test
    void aRunWithoutASweepGrantFailsTheSweepStageVisibly() {
        String runId = "run-no-grant";
        Envelope trigger = new Envelopes("meshctl", "test").origin(runId, "g");
        publish(RunEvents.triggered(trigger, "nightly", "test", SourceKind.CSV, "x.csv", "credit-g", List.of(Stages.SWEEP), Map.of()));
        publish(new RunEvent(new Envelopes("publisher", "test").causedBy(trigger, "published", 0), new DatasetPublished(
                "file:/d/", "sha256:ab", Map.of("train", "t", "validation", "v", "test", "x"), Map.of(), List.of("f"), "class", "good")));
        var failed = runEvents(runId, e -> e.stream().anyMatch(x -> x.getPayload() instanceof dev.agentmesh.run.StageFailed))
                .stream().map(RunEvent::getPayload).filter(dev.agentmesh.run.StageFailed.class::isInstance)
                .map(dev.agentmesh.run.StageFailed.class::cast).findFirst().orElseThrow();
        assertEquals(Stages.SWEEP, failed.getStage());
        assertTrue(failed.getReason().contains("names no sweep grant"), failed.getReason());
    }
}
