package dev.agentmesh.meshctl.deploy;

import dev.agentmesh.topics.Topic;
import dev.agentmesh.topics.Topics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * docker-compose.yml: a KRaft Kafka, the mesh's topics (from the registry), Apicurio Registry 3, Kafka UI decoding
 * Avro through the registry's Confluent-compatible API, and every service, all configured by environment.
 */
final class DockerCompose {

    static final String KAFKA_IMAGE = "apache/kafka:4.1.0";
    static final String REGISTRY_IMAGE = "apicurio/apicurio-registry:3.0.6";
    static final String KAFKA_UI_IMAGE = "provectuslabs/kafka-ui:v0.7.2";
    static final String DOCKERFILE = "deploy/docker/Dockerfile.jvm";

    private DockerCompose() {
    }

    static String render(List<ServiceAccess> services) {
        Map<String, Object> all = new LinkedHashMap<>();
        Map<String, Object> kafka = new LinkedHashMap<>();
        kafka.put("image", KAFKA_IMAGE);
        kafka.put("ports", List.of("9092:9092"));
        Map<String, String> kafkaEnv = new LinkedHashMap<>();
        kafkaEnv.put("KAFKA_NODE_ID", "1");
        kafkaEnv.put("KAFKA_PROCESS_ROLES", "broker,controller");
        kafkaEnv.put("KAFKA_LISTENERS", "INTERNAL://:29092,EXTERNAL://:9092,CONTROLLER://:9093");
        kafkaEnv.put("KAFKA_ADVERTISED_LISTENERS", "INTERNAL://kafka:29092,EXTERNAL://localhost:9092");
        kafkaEnv.put("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT");
        kafkaEnv.put("KAFKA_INTER_BROKER_LISTENER_NAME", "INTERNAL");
        kafkaEnv.put("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER");
        kafkaEnv.put("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@kafka:9093");
        kafkaEnv.put("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1");
        kafkaEnv.put("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1");
        kafkaEnv.put("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1");
        kafkaEnv.put("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false");
        kafka.put("environment", kafkaEnv);
        kafka.put("healthcheck", Map.of("test", List.of("CMD-SHELL", "/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092 >/dev/null"),
                "interval", "5s", "retries", 30));
        all.put("kafka", kafka);

        StringBuilder create = new StringBuilder();
        for (Topic<?, ?> t : Topics.ALL) {
            create.append(String.format("/opt/kafka/bin/kafka-topics.sh --bootstrap-server kafka:29092 --create --if-not-exists"
                    + " --topic %s --partitions %d --replication-factor 1 --config cleanup.policy=%s --config retention.ms=%d && ",
                    t.name(), t.partitions(), t.cleanup() == Topic.Cleanup.COMPACT ? "compact" : "delete", t.retentionMs()));
        }
        create.append("echo topics created");
        Map<String, Object> topics = new LinkedHashMap<>();
        topics.put("image", KAFKA_IMAGE);
        topics.put("depends_on", Map.of("kafka", Map.of("condition", "service_healthy")));
        topics.put("entrypoint", List.of("/bin/sh", "-c"));
        topics.put("command", List.of(create.toString()));
        all.put("mesh-topics", topics);

        Map<String, Object> registry = new LinkedHashMap<>();
        registry.put("image", REGISTRY_IMAGE);
        registry.put("ports", List.of("8081:8080"));
        registry.put("environment", Map.of("APICURIO_STORAGE_KIND", "sql", "APICURIO_STORAGE_SQL_KIND", "h2"));
        all.put(DeployManifests.REGISTRY, registry);

        Map<String, Object> ui = new LinkedHashMap<>();
        ui.put("image", KAFKA_UI_IMAGE);
        ui.put("ports", List.of("8090:8080"));
        Map<String, String> uiEnv = new LinkedHashMap<>();
        uiEnv.put("KAFKA_CLUSTERS_0_NAME", "mesh");
        uiEnv.put("KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS", "kafka:29092");
        uiEnv.put("KAFKA_CLUSTERS_0_SCHEMAREGISTRY", "http://" + DeployManifests.REGISTRY + ":8080/apis/ccompat/v7");
        ui.put("environment", uiEnv);
        ui.put("depends_on", List.of("kafka", DeployManifests.REGISTRY));
        all.put("kafka-ui", ui);

        int port = 8100;
        for (ServiceAccess s : services) {
            Map<String, Object> svc = new LinkedHashMap<>();
            svc.put("image", DeployManifests.IMAGE_PREFIX + s.service() + ":latest");
            svc.put("build", Map.of("context", ".", "dockerfile", DOCKERFILE, "args", Map.of("SERVICE", s.service())));
            svc.put("ports", List.of((port++) + ":" + DeployManifests.HTTP_PORT));
            Map<String, String> env = new LinkedHashMap<>();
            env.put("KAFKA_BOOTSTRAP_SERVERS", "kafka:29092");
            env.put("MESH_REGISTRY_URL", "http://" + DeployManifests.REGISTRY + ":8080/apis/registry/v3");
            env.put("MESH_GRANTS_PRINCIPAL_PUBLIC_KEY", "${MESH_PRINCIPAL_PUBLIC_KEY:?set it to the content of .mesh/keys/principal.pub}");
            env.put("MESH_AGENT_INSTANCE", s.service() + "-compose");
            if (s.usesArtifacts()) {
                env.put("MESH_ARTIFACTS_DIR", "/artifacts");
                svc.put("volumes", List.of("artifacts:/artifacts"));
            }
            if (s.service().equals("sweep-orchestrator")) {
                env.put("MESH_GRANTS_AGENT_KEYS_DIR", "/keys");
                List<String> volumes = new ArrayList<>();
                volumes.add("./.mesh/keys/agents:/keys:ro");
                svc.put("volumes", volumes);
            }
            svc.put("environment", env);
            svc.put("depends_on", Map.of("mesh-topics", Map.of("condition", "service_completed_successfully"),
                    DeployManifests.REGISTRY, Map.of("condition", "service_started")));
            all.put(s.service(), svc);
        }
        Map<String, Object> compose = new LinkedHashMap<>();
        compose.put("name", "agent-mesh");
        compose.put("services", all);
        compose.put("volumes", Map.of("artifacts", Map.of()));
        try {
            return "# Generated by `./meshctl deploy render` from the Topics registry and services/*; do not edit.\n"
                    + "# mvn -B -DskipTests package, then: MESH_PRINCIPAL_PUBLIC_KEY=$(cat .mesh/keys/principal.pub) docker compose up --build\n"
                    + DeployManifests.YAML.writeValueAsString(compose);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
