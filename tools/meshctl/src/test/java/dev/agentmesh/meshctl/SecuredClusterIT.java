package dev.agentmesh.meshctl;

import dev.agentmesh.kafka.client.KafkaClientSettings;
import dev.agentmesh.kafka.RunLog;
import dev.agentmesh.embedded.EmbeddedKafka;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topics;
import org.junit.jupiter.api.Test;

import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The mesh on a secured cluster: the broker authenticates every client (SASL PLAIN); a service configured with
 * {@code kafka.security.protocol}/{@code kafka.sasl.*}, as deploy/k8s configures it, and meshctl with
 * {@code --command-config} do a run's row validation through it. The mesh's own clients (grant ledger, log reads,
 * schema store) authenticate too, or the run could not complete.
 */
class SecuredClusterIT {

    static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"mesh\" password=\"%s\";";

    static Map<String, String> client(String password) {
        return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN", "sasl.jaas.config", JAAS.formatted(password));
    }

    static Path clientFile(Path dir, String name, Map<String, String> settings) throws Exception {
        Properties properties = new Properties();
        properties.putAll(settings);
        Path file = dir.resolve(name);
        try (Writer out = Files.newBufferedWriter(file)) {
            properties.store(out, "Kafka client settings for a secured cluster");
        }
        return file;
    }

    @Test
    void aServiceAndMeshctlCompleteARunThroughSaslAndAWrongPasswordIsRefused() throws Exception {
        Path work = MeshFlowIT.ROOT.resolve("tools/meshctl/target/secured-it-" + ProcessHandle.current().pid());
        Files.createDirectories(work);
        try (EmbeddedKafka kafka = EmbeddedKafka.startWithSaslListener(Map.of("mesh", "mesh-secret"));
             MeshServices services = new MeshServices(MeshFlowIT.ROOT, work)) {
            String sasl = kafka.saslBootstrapServers();
            KafkaClientSettings.use(client("mesh-secret"));
            Path keys = work.resolve("keys");
            Map<String, String> serviceConfig = new HashMap<>(PrincipalTools.serviceConfig(keys));
            client("mesh-secret").forEach((k, v) -> serviceConfig.put("kafka." + k, v));
            services.start("row-validator", sasl, serviceConfig, Duration.ofMinutes(2));
            GrantIssued grant = PrincipalTools.issueNightlyGrant(sasl, keys);

            String out = MeshFlowIT.meshctl("trigger", "--bootstrap", sasl, "--command-config",
                    clientFile(work, "client.properties", client("mesh-secret")).toString(), "--source", MeshFlowIT.CREDIT_G.toString(),
                    "--run-id", "secured-1", "--stage", "row-validation", "--grant", grant.getGrantId());
            assertTrue(out.contains("secured-1"), out);

            MeshCodec<RunEvent> events = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(sasl));
            StageCompleted done = null;
            long deadline = System.nanoTime() + MeshFlowIT.WAIT.toNanos();
            while (done == null && System.nanoTime() < deadline) {
                done = RunLog.read(sasl, events, "secured-1", Duration.ofSeconds(30)).stream().map(RunEvent::getPayload)
                        .filter(StageCompleted.class::isInstance).map(StageCompleted.class::cast).findFirst().orElse(null);
                Thread.sleep(200);
            }
            assertNotNull(done, "the row-validator completed the run's stage through the SASL listener");
            assertEquals(1000L, done.getCounts().get("rows.out"));

            // The same command with a wrong password fails, saying why.
            Process refused = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar", MeshFlowIT.ROOT.resolve("tools/meshctl/target/meshctl.jar").toString(), "trigger", "--bootstrap", sasl,
                    "--command-config", clientFile(work, "wrong.properties", client("guess")).toString(),
                    "--source", MeshFlowIT.CREDIT_G.toString(), "--run-id", "secured-2", "--stage", "row-validation",
                    "--grant", grant.getGrantId())).redirectErrorStream(true).start();
            String refusal = new String(refused.getInputStream().readAllBytes());
            assertTrue(refused.waitFor(90, TimeUnit.SECONDS), "meshctl did not give up");
            assertNotEquals(0, refused.exitValue(), refusal);
            assertTrue(refusal.contains("Authentication failed") || refusal.contains("SaslAuthenticationException"), refusal);
        } finally {
            KafkaClientSettings.use(Map.of());
        }
    }
}
