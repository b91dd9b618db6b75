package dev.agentmesh.meshctl;

import dev.agentmesh.core.ShippedYaml;
import dev.agentmesh.kafka.client.KafkaClientSettings;
import java.time.Duration;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import dev.agentmesh.kafka.KafkaRecords;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.diagnosis.TriageDecider;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.fanout.SweepDecider;
import dev.agentmesh.team.GateDecider;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;

@Command(name = "trigger", mixinStandardHelpOptions = true, description = "Publish a run-triggered event and print the run id.")
public class TriggerCommand implements Callable<Integer> {

    @Mixin
    Connection connection;

    @Option(names = "--pipeline", defaultValue = "nightly", description = "Pipeline name (default: ${DEFAULT-VALUE}).")
    String pipeline;

    @Option(names = "--source", required = true, description = "Input: a CSV file path, or a generator spec such as rows=10000,seed=42,bad=0.01,drift=0.2 with --source-kind GENERATOR.")
    Path source;

    @Option(names = "--source-kind", defaultValue = "CSV", description = "CSV, TOPIC or GENERATOR (default: ${DEFAULT-VALUE}).")
    SourceKind sourceKind;

    @Option(names = "--contract", defaultValue = "credit-g", description = "Data contract name or YAML path (default: ${DEFAULT-VALUE}).")
    String contract;

    @Option(names = "--run-id", description = "Run id (default: <pipeline>-<date>-<random>).")
    String runId;

    @Option(names = "--stage", split = ",", description = "Stages the run must complete (default: the nightly plan).")
    List<String> stages;

    @Option(names = "--requested-by", description = "Who asks for the run (default: $USER).")
    String requestedBy;

    @Option(names = "--grant", description = "Grant the run is scheduled under (default: the running demo's grant).")
    String grantId;

    @Option(names = "--sweep-grant", description = "Grant the sweep orchestrator acts under (default: the running demo's sweep grant).")
    String sweepGrantId;

    @Option(names = "--sweep-grid", description = "Sweep grid: a shipped name (default) or a YAML file path.")
    String sweepGrid;

    @Option(names = "--sweep-seed", description = "Seed for every cell of the sweep (default: the grid's).")
    Long sweepSeed;

    @Option(names = "--gate-grant", description = "Grant the coordinator deploys under (default: the running demo's gate grant).")
    String gateGrantId;

    @Option(names = "--triage-grant", description = "Grant a failed or stalled run is triaged under (default: the running"
            + " demo's triage grant).")
    String triageGrantId;

    @Option(names = "--gate-policy", description = "Gate policy: a shipped name (default) or a YAML file path.")
    String gatePolicy;

    @Option(names = "--gate-timeout", description = "How long the coordinator waits for assessments, ISO-8601 (default: the policy's).")
    Duration gateTimeout;

    @Option(names = "--skip-source-check", description = "Do not read the CSV source here before publishing (it lives where the"
            + " services run, not on this machine, or arrives later).")
    boolean skipSourceCheck;

    @Override
    public Integer call() {
        List<String> problems = problems();
        if (!problems.isEmpty()) {
            return DoorChecks.refuse("run not triggered", problems);
        }
        String id = trigger();
        System.out.println(id);
        return 0;
    }

    /** What the run would fail on at once, checked before anything is published. */
    List<String> problems() {
        return DoorChecks.run(sourceKind, source.toString(), !skipSourceCheck, contract,
                stages == null ? List.of() : stages, sweepGrid, gatePolicy);
    }

    String trigger() {
        String id = runId != null ? runId
                : pipeline + "-" + LocalDate.now(ZoneOffset.UTC) + "-" + UUID.randomUUID().toString().substring(0, 8);
        String who = requestedBy != null ? requestedBy : System.getProperty("user.name", "unknown");
        String location = sourceKind == SourceKind.CSV ? source.toAbsolutePath().normalize().toString() : source.toString();
        String grant = grantId != null ? grantId : Connection.fromContext("grant");
        Map<String, String> parameters = new TreeMap<>();
        String sweepGrant = sweepGrantId != null ? sweepGrantId : Connection.fromContext("sweep-grant");
        if (sweepGrant != null) {
            parameters.put(SweepDecider.PARAM_GRANT, sweepGrant);
        }
        if (sweepGrid != null) {
            parameters.put(SweepDecider.PARAM_GRID, absoluteIfPath(sweepGrid));
        }
        if (sweepSeed != null) {
            parameters.put(SweepDecider.PARAM_SEED, Long.toString(sweepSeed));
        }
        String gateGrant = gateGrantId != null ? gateGrantId : Connection.fromContext("gate-grant");
        if (gateGrant != null) {
            parameters.put(GateDecider.PARAM_GRANT, gateGrant);
        }
        String triageGrant = triageGrantId != null ? triageGrantId : Connection.fromContext("triage-grant");
        if (triageGrant != null) {
            parameters.put(TriageDecider.PARAM_GRANT, triageGrant);
        }
        if (gatePolicy != null) {
            parameters.put(GateDecider.PARAM_POLICY, absoluteIfPath(gatePolicy));
        }
        if (gateTimeout != null) {
            parameters.put(GateDecider.PARAM_TIMEOUT, gateTimeout.toString());
        }
        RunEvent event = RunEvents.triggered(new Envelopes("meshctl", hostName()).origin(id, grant), pipeline, who,
                sourceKind, location, absoluteIfPath(contract), stages == null || stages.isEmpty() ? Stages.NIGHTLY : stages, parameters);
        publish(connection, event);
        return id;
    }

    /** A file named by path travels as an absolute path: the services resolve it, not this shell. */
    private static String absoluteIfPath(String nameOrPath) {
        return ShippedYaml.isPath(nameOrPath) ? Path.of(nameOrPath).toAbsolutePath().normalize().toString() : nameOrPath;
    }

    /** Writes one run event to the run-events topic, keyed by its run id, and waits for the broker. */
    static void publish(Connection connection, RunEvent event) {
        String bootstrap = connection.bootstrap();
        try (MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS,
                SerdeSettings.forDeployment(connection.registryUrlOrNull(), bootstrap));
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(KafkaClientSettings.with(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                     ProducerConfig.ACKS_CONFIG, "all",
                     ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                     ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class)))) {
            producer.send(new ProducerRecord<>(Topics.RUN_EVENTS.name(), null, event.getEnvelope().getRunId(),
                    codec.encode(event), KafkaRecords.headers(event.getEnvelope()))).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not publish to " + Topics.RUN_EVENTS.name() + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    static String hostName() {
        String host = System.getenv("HOSTNAME");
        return host == null ? "meshctl" : host;
    }
}
