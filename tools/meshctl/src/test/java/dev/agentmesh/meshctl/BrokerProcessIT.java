package dev.agentmesh.meshctl;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.testing.TopicProbe;
import dev.agentmesh.topics.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker as its own process under a running mesh ({@code meshctl up --broker-process}): people restart it with
 * {@code meshctl services restart broker}, the supervisor starts it again, and the services carry on without a restart
 * of their own.
 */
class BrokerProcessIT {

    static final Path ROOT = MeshServices.repoRoot();
    static final Path WORK = ROOT.resolve("tools/meshctl/target/broker-process-it-" + ProcessHandle.current().pid());
    static final Path KEYS = WORK.resolve("keys");
    static final Path CREDIT_G = ROOT.resolveSibling("shared").resolve("data").resolve("credit-g.csv");
    static final List<String> SERVICES = List.of("run-state", "row-validator");

    static DemoCommand.Broker broker;
    static MeshServices services;

    @BeforeAll
    static void startMesh() throws Exception {
        Files.createDirectories(WORK);
        broker = DemoCommand.Broker.start(true, WORK.resolve("broker"));
        services = new MeshServices(ROOT, WORK);
        broker.superviseWith(services);
        Map<String, Map<String, String>> config = new HashMap<>();
        SERVICES.forEach(s -> config.put(s, PrincipalTools.serviceConfig(KEYS)));
        services.startAll(SERVICES, broker.bootstrapServers(), config, Duration.ofMinutes(3));
        services.supervise(System.out::println);
    }

    @AfterAll
    static void stopMesh() {
        if (services != null) {
            services.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void peopleRestartTheBrokerUnderARunningMeshAndItCarriesOn() {
        String bootstrap = broker.bootstrapServers();
        GrantIssued grant = PrincipalTools.issueNightlyGrant(bootstrap, KEYS);
        RunStateClient runState = new RunStateClient(services.get("run-state").url());
        assertEquals(RunStatus.COMPLETED, run(bootstrap, grant, runState, "before-broker-restart").status());
        long brokerPid = services.get(DemoCommand.Broker.NAME).process().pid();

        int exit = new CommandLine(new ServicesCommand()).execute("restart", "--work-dir", WORK.toString(),
                DemoCommand.Broker.NAME);
        assertEquals(0, exit, "services restart broker");
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (services.restarts().stream().noneMatch(r -> r.name().equals(DemoCommand.Broker.NAME))) {
            assertTrue(System.nanoTime() < deadline, "the supervisor never started the broker again");
            MeshServices.sleep(250);
        }
        assertTrue(services.get(DemoCommand.Broker.NAME).process().pid() != brokerPid, "a new broker process");

        RunState after = run(bootstrap, grant, runState, "after-broker-restart");
        assertEquals(RunStatus.COMPLETED, after.status(), after.stages().toString());
        assertEquals(List.of(DemoCommand.Broker.NAME), services.restarts().stream().map(MeshServices.Restart::name).toList(),
                "no service had to be restarted");
    }

    static RunState run(String bootstrap, GrantIssued grant, RunStateClient runState, String runId) {
        MeshCodec<RunEvent> events = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
        RunEvent trigger = RunEvents.triggered(new Envelopes("meshctl", "it").origin(runId, grant.getGrantId()),
                "nightly", "it", SourceKind.CSV, CREDIT_G.toString(), "credit-g", List.of(Stages.ROW_VALIDATION), Map.of());
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), runId.getBytes(StandardCharsets.UTF_8), events.encode(trigger));
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        Optional<RunState> state = Optional.empty();
        while (System.nanoTime() < deadline && !state.map(s -> s.status().terminal()).orElse(false)) {
            MeshServices.sleep(500);
            state = runState.poll(runId);
        }
        return state.orElseThrow(() -> new AssertionError("run-state never saw " + runId));
    }
}
