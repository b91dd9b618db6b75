package dev.agentmesh.meshctl.deploy;

import java.util.Optional;
import dev.agentmesh.fanout.TrainerPools;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.agentmesh.meshctl.MeshServices;
import dev.agentmesh.topics.Topic;
import dev.agentmesh.topics.Topics;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The deployment files agree with the Topics registry and the services/ modules: the committed files are a fresh
 * rendering, and each overlay, rendered by {@code kubectl kustomize}, gives every service probes, limits and a
 * KafkaUser whose ACLs are exactly what its configuration consumes and produces.
 */
class DeployManifestsTest {

    static final Path ROOT = MeshServices.repoRoot();
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static Set<String> serviceModules() throws IOException {
        try (Stream<Path> dirs = Files.list(ROOT.resolve("services"))) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve("pom.xml"))).map(d -> d.getFileName().toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void writingLeavesFilesWhoseContentIsUnchangedUntouched(@TempDir Path dir) throws IOException {
        SortedMap<String, String> rendered = DeployManifests.render(ROOT);
        assertEquals(rendered.size(), DeployManifests.write(dir, rendered).size(), "a first rendering writes every file");
        Path one = dir.resolve(rendered.firstKey());
        FileTime before = FileTime.fromMillis(1_000_000L);
        Files.setLastModifiedTime(one, before);

        assertEquals(List.of(), DeployManifests.write(dir, rendered), "nothing changed, nothing written");
        assertEquals(before, Files.getLastModifiedTime(one), "an unchanged file keeps its modification time");

        SortedMap<String, String> changed = new TreeMap<>(rendered);
        changed.put(rendered.firstKey(), rendered.get(rendered.firstKey()) + "# changed\n");
        assertEquals(List.of(rendered.firstKey()), DeployManifests.write(dir, changed), "only the changed file is written");
    }

    @Test
    void theCommittedFilesAreAFreshRenderingOfTheRegistryAndTheServices() throws IOException {
        Map<String, String> rendered = DeployManifests.render(ROOT);
        for (Map.Entry<String, String> file : rendered.entrySet()) {
            Path path = ROOT.resolve(file.getKey());
            assertTrue(Files.isRegularFile(path), file.getKey() + " is missing: run ./meshctl deploy render");
            assertEquals(file.getValue(), Files.readString(path), file.getKey() + " differs from a fresh rendering: "
                    + "run ./meshctl deploy render (never edit generated files by hand)");
        }
        try (Stream<Path> committed = Files.walk(ROOT.resolve("deploy/k8s/base"))) {
            Set<String> stale = committed.filter(Files::isRegularFile).map(p -> ROOT.relativize(p).toString())
                    .filter(p -> !rendered.containsKey(p)).collect(Collectors.toSet());
            assertEquals(Set.of(), stale, "files in the base that no rendering produces (a removed service?)");
        }
    }

    @Test
    void theProdOverlayRunsAGpuTrainerPoolOnAcceleratorNodesAndEveryOtherRoleKeepsItsProfile() throws Exception {
        List<JsonNode> rendered = kustomize("prod");
        Map<String, JsonNode> prod = byName(rendered, "Deployment");
        JsonNode pod = prod.get("trainer-gpu").path("spec").path("template").path("spec");
        JsonNode trainer = pod.path("containers").get(0);
        assertEquals("1", trainer.path("resources").path("limits").path("nvidia.com/gpu").asText(), pod.toString());
        assertEquals(ResourceProfile.ACCELERATOR.memoryLimit(), trainer.path("resources").path("limits").path("memory").asText());
        assertEquals("true", pod.path("nodeSelector").path("nvidia.com/gpu.present").asText());
        assertEquals("nvidia.com/gpu", pod.path("tolerations").get(0).path("key").asText());
        assertEquals("NoSchedule", pod.path("tolerations").get(0).path("effect").asText());
        assertEquals("/q/health/ready", trainer.path("readinessProbe").path("httpGet").path("path").asText(),
                "the pool runs the trainer's own container: its probes and environment stay");
        assertEquals("agentmesh/trainer:0.1.0", trainer.path("image").asText(), "the trainer's image, pinned like it");
        assertEquals("trainer", pod.path("serviceAccountName").asText());
        Map<String, String> env = new TreeMap<>();
        trainer.path("env").forEach(e -> env.put(e.path("name").asText(), e.path("value").asText()));
        assertEquals("gpu", env.get("MESH_TRAINER_RESOURCE_CLASS"));
        assertEquals(TrainerPools.group(Optional.of("gpu")), env.get("MP_MESSAGING_INCOMING_CELL_TASKS_GROUP_ID"));
        JsonNode scaled = byName(rendered, "ScaledObject").get("trainer-gpu");
        assertEquals("trainer-gpu", scaled.path("spec").path("triggers").get(0).path("metadata").path("consumerGroup").asText());
        JsonNode user = byName(rendered, "KafkaUser").get("trainer");
        assertTrue(user.toString().contains("\"name\":\"trainer-gpu\""), "the trainer's account may read as the gpu pool: " + user);

        JsonNode cpu = prod.get("trainer").path("spec").path("template").path("spec");
        assertTrue(cpu.path("containers").get(0).path("resources").path("limits").path("nvidia.com/gpu").isMissingNode(),
                "the default pool trains every cell without a class, on CPU nodes");
        assertTrue(cpu.path("nodeSelector").isMissingNode());

        JsonNode dev = byName(kustomize("dev"), "Deployment").get("trainer").path("spec").path("template").path("spec");
        assertTrue(dev.path("containers").get(0).path("resources").path("limits").path("nvidia.com/gpu").isMissingNode());
        assertTrue(dev.path("nodeSelector").isMissingNode(), "dev runs trainers on CPU nodes");
        assertEquals(ResourceProfile.COMPUTE.cpuLimit(), dev.path("containers").get(0).path("resources").path("limits").path("cpu").asText());
        assertFalse(byName(kustomize("dev"), "Deployment").containsKey("trainer-gpu"), "dev runs no gpu pool");

        for (String service : serviceModules()) {
            JsonNode limits = prod.get(service).path("spec").path("template").path("spec").path("containers").get(0)
                    .path("resources").path("limits");
            assertEquals(ResourceProfile.forService(service).memoryLimit(), limits.path("memory").asText(), service);
            assertTrue(limits.path("nvidia.com/gpu").isMissingNode(), service + " needs no GPU");
        }
    }

    static List<JsonNode> kustomize(String overlay) throws Exception {
        Path kubectl = Stream.of(System.getenv("PATH").split(":")).map(d -> Path.of(d, "kubectl"))
                .filter(Files::isExecutable).findFirst().orElse(null);
        assertNotNull(kubectl, "kubectl (with Kustomize) is needed to render overlay " + overlay
                + " and is not on PATH: .ci/run installs it; elsewhere install it (Debian: apt-get install kubectl)");
        Process process = new ProcessBuilder(kubectl.toString(), "kustomize", ROOT.resolve("deploy/k8s/overlays").resolve(overlay).toString())
                .redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), out);
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = YAML.getFactory().createParser(out)) {
            YAML.readValues(parser, JsonNode.class).forEachRemaining(docs::add);
        }
        return docs;
    }

    static Map<String, JsonNode> byName(List<JsonNode> docs, String kind) {
        Map<String, JsonNode> out = new HashMap<>();
        docs.stream().filter(d -> kind.equals(d.path("kind").asText())).forEach(d -> out.put(d.path("metadata").path("name").asText(), d));
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyOverlayGivesEveryServiceProbesLimitsAndExactlyTheAclsItNeeds(String overlay) throws Exception {
        List<JsonNode> docs = kustomize(overlay);
        Map<String, JsonNode> deployments = byName(docs, "Deployment");
        Map<String, JsonNode> users = byName(docs, "KafkaUser");
        Map<String, JsonNode> topics = byName(docs, "KafkaTopic");
        for (String service : serviceModules()) {
            JsonNode deployment = deployments.get(service);
            assertNotNull(deployment, overlay + ": no Deployment for " + service);
            for (JsonNode c : deployment.path("spec").path("template").path("spec").path("containers")) {
                for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
                    assertTrue(c.path(probe).path("httpGet").path("path").asText().startsWith("/q/health/"),
                            overlay + ": " + service + " has no " + probe + " on /q/health/*");
                }
                assertFalse(c.path("resources").path("limits").path("cpu").isMissingNode(), service + " has no CPU limit");
                assertFalse(c.path("resources").path("limits").path("memory").isMissingNode(), service + " has no memory limit");
                assertFalse(c.path("resources").path("requests").path("memory").isMissingNode(), service + " has no memory request");
            }
            assertTrue(byName(docs, "ServiceAccount").containsKey(service), service + " has no ServiceAccount");
            assertTrue(byName(docs, "NetworkPolicy").containsKey(service), service + " has no NetworkPolicy");

            ServiceAccess access = ServiceAccess.of(ROOT.resolve("services").resolve(service));
            JsonNode user = users.get(service);
            assertNotNull(user, overlay + ": no KafkaUser for " + service);
            assertEquals(access.reads(), aclTopics(user, "Read"), service + ": Read ACLs are not what it consumes");
            assertEquals(access.writes(), aclTopics(user, "Write"), service + ": Write ACLs are not what it produces");
            assertTrue(access.reads().stream().allMatch(t -> Topics.byName(t).isPresent()));
        }
        for (Topic<?, ?> t : Topics.ALL) {
            JsonNode topic = topics.get(t.name());
            assertNotNull(topic, overlay + ": no KafkaTopic for " + t.name());
            assertEquals(t.name(), topic.path("spec").path("topicName").asText());
            assertEquals(t.partitions(), topic.path("spec").path("partitions").asInt(), t.name() + " partitions");
            assertEquals(t.retentionMs(), topic.path("spec").path("config").path("retention.ms").asLong(), t.name() + " retention");
            assertEquals(t.timestamps() == Topic.Timestamps.LOG_APPEND_TIME ? "LogAppendTime" : "",
                    topic.path("spec").path("config").path("message.timestamp.type").asText(), t.name() + " timestamps");
        }
        assertEquals(Topic.Timestamps.LOG_APPEND_TIME, Topics.REVIEW_ACTIONS.timestamps(),
                "review actions are judged at the broker's time, not their sender's");
        assertEquals(Topics.ALL.size(), topics.size(), "a KafkaTopic that the registry does not know");
        Set<String> grantWriters = users.entrySet().stream().filter(e -> aclTopics(e.getValue(), "Write").contains(Topics.GRANTS.name()))
                .map(Map.Entry::getKey).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(Set.of(DeployManifests.PRINCIPAL_TOOLS, "sweep-orchestrator"), grantWriters,
                "only the principal's tools (and the orchestrator's signed delegations) may write grants");
        JsonNode scaled = byName(docs, "ScaledObject").get("trainer");
        assertNotNull(scaled, "the trainer pool scales on consumer lag");
        assertEquals(Topics.SWEEP_TASKS.name(), scaled.path("spec").path("triggers").get(0).path("metadata").path("topic").asText());
        if (overlay.equals("prod")) {
            for (String service : serviceModules()) {
                String image = deployments.get(service).path("spec").path("template").path("spec").path("containers").get(0)
                        .path("image").asText();
                assertEquals(DeployManifests.IMAGE_PREFIX + service + ":0.1.0", image, "prod pins every service's image");
            }
            assertTrue(byName(docs, "ConfigMap").get("mesh-config").path("data").path("QUARKUS_LOG_CONSOLE_JSON_ENABLED").asText().equals("true"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void thePodMonitorScrapesEveryServicesMetricsPort(String overlay) throws Exception {
        List<JsonNode> docs = kustomize(overlay);
        JsonNode monitor = byName(docs, "PodMonitor").get(DeployManifests.PART_OF);
        assertNotNull(monitor, overlay + ": no PodMonitor");
        Set<String> selected = new TreeSet<>();
        monitor.path("spec").path("selector").path("matchExpressions").get(0).path("values").forEach(v -> selected.add(v.asText()));
        assertEquals(serviceModules(), selected, "every service, and only services");
        JsonNode endpoint = monitor.path("spec").path("podMetricsEndpoints").get(0);
        assertEquals("/q/metrics", endpoint.path("path").asText());
        for (JsonNode deployment : byName(docs, "Deployment").values()) {
            String name = deployment.path("metadata").path("name").asText();
            if (!selected.contains(name)) {
                continue;
            }
            assertEquals(name, deployment.path("spec").path("template").path("metadata").path("labels").path("app.kubernetes.io/name").asText());
            boolean hasPort = false;
            for (JsonNode port : deployment.path("spec").path("template").path("spec").path("containers").get(0).path("ports")) {
                hasPort |= port.path("name").asText().equals(endpoint.path("port").asText());
            }
            assertTrue(hasPort, name + " has no port named " + endpoint.path("port").asText());
        }
    }

    static Set<String> aclTopics(JsonNode user, String operation) {
        Set<String> topics = new TreeSet<>();
        for (JsonNode acl : user.path("spec").path("authorization").path("acls")) {
            JsonNode r = acl.path("resource");
            boolean has = false;
            for (JsonNode op : acl.path("operations")) {
                has |= op.asText().equals(operation);
            }
            if (has && r.path("type").asText().equals("topic") && r.path("patternType").asText().equals("literal")) {
                topics.add(r.path("name").asText());
            }
        }
        return topics;
    }

    @Test
    void dockerComposeRunsKafkaTheRegistryKafkaUiAndEveryService() throws Exception {
        JsonNode compose = YAML.readTree(ROOT.resolve("docker-compose.yml").toFile());
        JsonNode services = compose.path("services");
        for (String service : serviceModules()) {
            assertTrue(services.has(service), "docker-compose.yml lacks " + service);
            assertEquals("kafka:29092", services.path(service).path("environment").path("KAFKA_BOOTSTRAP_SERVERS").asText());
            Path context = ROOT.resolve(services.path(service).path("build").path("context").asText());
            assertEquals(ROOT.resolve("services").resolve(service), context, "built from its own module");
            assertTrue(Files.isRegularFile(context.resolve(services.path(service).path("build").path("dockerfile").asText())),
                    service + " has no src/main/docker/Dockerfile.jvm");
        }
        for (String infra : List.of("kafka", "mesh-topics", DeployManifests.REGISTRY, "kafka-ui")) {
            assertTrue(services.has(infra), "docker-compose.yml lacks " + infra);
        }
        assertTrue(services.path("kafka-ui").path("environment").path("KAFKA_CLUSTERS_0_SCHEMAREGISTRY").asText()
                .endsWith("/apis/ccompat/v7"), "Kafka UI decodes Avro through the registry's Confluent-compatible API");
        String topicsCommand = services.path("mesh-topics").path("command").get(0).asText();
        for (Topic<?, ?> t : Topics.ALL) {
            assertTrue(topicsCommand.contains("--topic " + t.name() + " --partitions " + t.partitions()), t.name());
        }
    }
}
