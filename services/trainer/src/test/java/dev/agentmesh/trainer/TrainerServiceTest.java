package dev.agentmesh.trainer;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.dataset.LocalDataset;
import dev.agentmesh.fanout.SweepGrid;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.sweep.CellCompleted;
import dev.agentmesh.sweep.CellConfig;
import dev.agentmesh.sweep.CellFailed;
import dev.agentmesh.sweep.CellStarted;
import dev.agentmesh.sweep.CellTask;
import dev.agentmesh.testing.EmbeddedKafkaResource;
import dev.agentmesh.testing.TestGrants;
import dev.agentmesh.testing.TopicProbe;
import dev.agentmesh.topics.Topics;
import dev.agentmesh.training.ModelRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The trainer service on a real broker, fed cell tasks written straight to the tasks topic. */
@QuarkusTest
@QuarkusTestResource(EmbeddedKafkaResource.class)
class TrainerServiceTest {

    static final Path CREDIT_G = Path.of(System.getProperty("mesh.data.dir", "../../../shared/data"), "credit-g.csv");

    static CellTask task(String runId, String grantId) {
        LocalDataset.Published dataset = LocalDataset.publish(CREDIT_G, DataContract.load("credit-g"),
                Path.of("target/datasets").resolve(runId), runId);
        Envelope envelope = new Envelopes("sweep-orchestrator", "test").origin(runId, grantId);
        return new CellTask(envelope, new CellConfig("fm4-lr0.03-b16", "fm4", SweepGrid.FACTORIZATION_MACHINE, 4, 0.03, 16, 3, 42L, List.of(), null),
                dataset.announcement().getSplits().get("train"), dataset.announcement().getSplits().get("validation"),
                dataset.announcement().getChecksum(), dataset.schema().names(), 60_000L);
    }

    static List<Object> trainerEvents(String runId, int atLeast) {
        String bootstrap = EmbeddedKafkaResource.bootstrapServers();
        MeshCodec<RunEvent> events = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
        return TopicProbe.readUntil(bootstrap, Topics.RUN_EVENTS.name(), Duration.ofSeconds(60),
                        seen -> seen.stream().filter(r -> runId.equals(new String(r.key()))).count() >= atLeast)
                .stream().filter(r -> runId.equals(new String(r.key()))).map(r -> events.decode(r.value()))
                .filter(e -> e.getEnvelope().getAgentRole().equals("trainer")).map(RunEvent::getPayload).toList();
    }

    static void send(CellTask task) {
        String bootstrap = EmbeddedKafkaResource.bootstrapServers();
        MeshCodec<CellTask> codec = new MeshCodec<>(Topics.SWEEP_TASKS, SerdeSettings.kafkaTopicStore(bootstrap));
        TopicProbe.send(bootstrap, Topics.SWEEP_TASKS.name(), task.getConfig().getCellId().getBytes(), codec.encode(task));
    }

    @Test
    void aCellTaskUnderAValidGrantIsTrainedAndItsCheckpointRegistered() {
        String grant = TestGrants.publishRoot(EmbeddedKafkaResource.bootstrapServers(), EmbeddedKafkaResource.principal(),
                List.of(Actions.SPEND_COMPUTE, Actions.WRITE_CHECKPOINTS), null);
        send(task("run-train", grant));
        List<Object> events = trainerEvents("run-train", 2);
        assertInstanceOf(CellStarted.class, events.get(0));
        CellCompleted done = assertInstanceOf(CellCompleted.class, events.get(1));
        assertEquals(0.03, done.getConfig().getLearningRate());
        assertEquals(16, done.getConfig().getBatchSize());
        assertTrue(done.getValidationLoss() > 0.3 && done.getValidationLoss() < 0.9, "log loss " + done.getValidationLoss());
        assertEquals(done.getCheckpointChecksum(), ModelRegistry.sha256(Path.of(URI.create(done.getCheckpoint()))));
    }

    @Test
    void aTaskWhoseGrantDoesNotAllowCheckpointsIsRefusedAndDeadLettered() {
        String bootstrap = EmbeddedKafkaResource.bootstrapServers();
        String grant = TestGrants.publishRoot(bootstrap, EmbeddedKafkaResource.principal(), List.of(Actions.SPEND_COMPUTE), null);
        send(task("run-refused", grant));
        CellFailed failed = assertInstanceOf(CellFailed.class, trainerEvents("run-refused", 1).get(0));
        assertTrue(failed.getReason().startsWith("unauthorised: action 'write-checkpoints' is not in grant"), failed.getReason());
        assertFalse(failed.getRetryable());
        List<ConsumerRecord<byte[], byte[]>> dead = TopicProbe.readUntil(bootstrap, Topics.DEAD_LETTER.name(), Duration.ofSeconds(30),
                seen -> seen.stream().anyMatch(r -> Topics.SWEEP_TASKS.name().equals(TopicProbe.header(r, MeshHeaders.DLQ_TOPIC))
                        && "fm4-lr0.03-b16".equals(new String(r.key()))));
        assertTrue(dead.stream().anyMatch(r -> TopicProbe.header(r, MeshHeaders.DLQ_REASON).contains("refused")));
    }

    @Test
    void malformedBytesOnTheTasksTopicAreDeadLetteredAndTheNextTaskIsTrained() {
        String bootstrap = EmbeddedKafkaResource.bootstrapServers();
        byte[] garbage = "\u0000not a task".getBytes();
        TopicProbe.send(bootstrap, Topics.SWEEP_TASKS.name(), "garbage".getBytes(), garbage);
        String grant = TestGrants.publishRoot(bootstrap, EmbeddedKafkaResource.principal(),
                List.of(Actions.SPEND_COMPUTE, Actions.WRITE_CHECKPOINTS), null);
        send(task("run-after-garbage", grant));
        assertInstanceOf(CellCompleted.class, trainerEvents("run-after-garbage", 2).get(1));
        assertTrue(TopicProbe.readUntil(bootstrap, Topics.DEAD_LETTER.name(), Duration.ofSeconds(30),
                seen -> seen.stream().anyMatch(r -> Arrays.equals(garbage, r.value()))).stream()
                .anyMatch(r -> Arrays.equals(garbage, r.value()) && TopicProbe.header(r, MeshHeaders.DLQ_REASON) != null));
    }
}
