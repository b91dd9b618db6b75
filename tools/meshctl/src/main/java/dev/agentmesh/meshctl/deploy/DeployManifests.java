package dev.agentmesh.meshctl.deploy;

import java.util.Optional;
import dev.agentmesh.fanout.TrainerPools;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.agentmesh.topics.Topic;
import dev.agentmesh.topics.Topics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Renders {@code deploy/k8s/base} and {@code docker-compose.yml} from the {@link Topics} registry and the services'
 * own configuration, so topic names, partitions, ACLs and the service list are never copied by hand.
 * {@code DeployManifestsTest} fails when the committed files differ from a fresh rendering.
 */
public final class DeployManifests {

    public static final String CLUSTER = "mesh";
    public static final String PRINCIPAL_TOOLS = "meshctl-principal";
    public static final String REGISTRY = "apicurio-registry";
    public static final String IMAGE_PREFIX = "agentmesh/";
    public static final String ARTIFACTS_CLAIM = "mesh-artifacts";
    public static final int HTTP_PORT = 8080;
    static final String RUN_STATE = "run-state";
    /** The run API's password (key {@code password}), for run-state and its readers; without it the embedded default holds. */
    public static final String RUN_STATE_API_SECRET = "run-state-api";
    static final int REPLICAS = 2;
    static final String PART_OF = "agent-mesh";

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS))
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    /** The prod overlay's patch putting the accelerated roles on accelerator nodes (listed in its kustomization). */
    public static final String TRAINER_POOLS = "deploy/k8s/overlays/prod/trainer-pools.yaml";

    private DeployManifests() {
    }

    /** Every service module under {@code services/}, in name order. */
    public static List<ServiceAccess> services(Path repoRoot) {
        try (Stream<Path> dirs = Files.list(repoRoot.resolve("services"))) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve("pom.xml"))).sorted().map(ServiceAccess::of).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** File name (relative to the repository root) to content. */
    public static SortedMap<String, String> render(Path repoRoot) {
        List<ServiceAccess> services = services(repoRoot);
        SortedMap<String, String> files = new TreeMap<>();
        String base = "deploy/k8s/base/";
        List<String> resources = new ArrayList<>(List.of("config.yaml", "topics.yaml", "users.yaml", "registry.yaml",
                "artifacts.yaml", "monitoring.yaml"));
        files.put(base + "config.yaml", docs(List.of(configMap())));
        files.put(base + "topics.yaml", docs(Topics.ALL.stream().map(DeployManifests::kafkaTopic).toList()));
        List<Map<String, Object>> users = new ArrayList<>(services.stream().map(DeployManifests::kafkaUser).toList());
        users.add(principalToolsUser());
        users.add(registryUser());
        files.put(base + "users.yaml", docs(users));
        files.put(base + "registry.yaml", docs(registry()));
        files.put(base + "artifacts.yaml", docs(List.of(artifactsClaim())));
        files.put(base + "monitoring.yaml", docs(List.of(podMonitor(services))));
        for (ServiceAccess s : services) {
            files.put(base + "services/" + s.service() + ".yaml", docs(serviceResources(s)));
            resources.add("services/" + s.service() + ".yaml");
        }
        Map<String, Object> kustomization = new LinkedHashMap<>();
        kustomization.put("apiVersion", "kustomize.config.k8s.io/v1beta1");
        kustomization.put("kind", "Kustomization");
        kustomization.put("labels", List.of(Map.of("includeSelectors", false,
                "pairs", Map.of("app.kubernetes.io/part-of", PART_OF))));
        kustomization.put("resources", resources);
        files.put(base + "kustomization.yaml", docs(List.of(kustomization)));
        ServiceAccess trainer = services.stream().filter(t -> t.service().equals(TRAINER)).findFirst().orElseThrow();
        List<Map<String, Object>> pools = new ArrayList<>();
        new TreeMap<>(ResourceProfile.TRAINER_POOLS).forEach((c, profile) -> pools.addAll(trainerPool(trainer, c, profile)));
        files.put(TRAINER_POOLS, docs(pools));
        files.put("docker-compose.yml", DockerCompose.render(services));
        for (ServiceAccess s : services) {
            files.put("services/" + s.service() + "/" + DockerCompose.DOCKERFILE, DockerCompose.dockerfile(s.service()));
        }
        return files;
    }

    /**
     * Writes the files whose content differs from what is on disk, and only those (an untouched file keeps its
     * modification time, so nothing that depends on it is rebuilt).
     *
     * @return the names of the files written
     */
    public static List<String> write(Path repoRoot, SortedMap<String, String> files) {
        List<String> written = new ArrayList<>();
        files.forEach((name, content) -> {
            try {
                Path file = repoRoot.resolve(name);
                if (Files.isRegularFile(file) && Files.readString(file).equals(content)) {
                    return;
                }
                Files.createDirectories(file.getParent());
                Files.writeString(file, content);
                written.add(name);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return written;
    }

    static String docs(List<Map<String, Object>> documents) {
        StringBuilder out = new StringBuilder("# Generated by `./meshctl deploy render` from the Topics registry and services/*;"
                + " do not edit.\n");
        for (int i = 0; i < documents.size(); i++) {
            if (i > 0) {
                out.append("---\n");
            }
            try {
                out.append(YAML.writeValueAsString(documents.get(i)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out.toString();
    }

    /** The Prometheus Operator scrapes every replica of every service on its {@code http} port. */
    static Map<String, Object> podMonitor(List<ServiceAccess> services) {
        Map<String, Object> monitor = resource("monitoring.coreos.com/v1", "PodMonitor", PART_OF, Map.of());
        Map<String, Object> selector = Map.of("matchExpressions", List.of(Map.of("key", "app.kubernetes.io/name",
                "operator", "In", "values", services.stream().map(ServiceAccess::service).toList())));
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("selector", selector);
        spec.put("podMetricsEndpoints", List.of(Map.of("port", "http", "path", "/q/metrics", "interval", "30s")));
        monitor.put("spec", spec);
        return monitor;
    }

    static Map<String, Object> resource(String apiVersion, String kind, String name, Map<String, String> labels) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("apiVersion", apiVersion);
        r.put("kind", kind);
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", name);
        if (!labels.isEmpty()) {
            metadata.put("labels", labels);
        }
        r.put("metadata", metadata);
        return r;
    }

    static Map<String, Object> configMap() {
        Map<String, Object> cm = resource("v1", "ConfigMap", "mesh-config", Map.of());
        Map<String, String> data = new LinkedHashMap<>();
        data.put("KAFKA_BOOTSTRAP_SERVERS", CLUSTER + "-kafka-bootstrap.kafka.svc:9092");
        data.put("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT");
        data.put("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");
        data.put("MESH_REGISTRY_URL", "http://" + REGISTRY + ":8080/apis/registry/v3");
        data.put("MESH_GRANTS_PRINCIPAL_PUBLIC_KEY", "set-me: the principal's Ed25519 public key, base64 X.509");
        data.put("MESH_ARTIFACTS_DIR", "/artifacts");
        data.put("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "false");
        data.put("QUARKUS_OTEL_SDK_DISABLED", "false");
        data.put("QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector.observability.svc:4317");
        cm.put("data", data);
        return cm;
    }

    /** Partitions from the registry; retention and compaction as the registry says (null retention: kept forever). */
    static Map<String, Object> kafkaTopic(Topic<?, ?> topic) {
        Map<String, Object> t = resource("kafka.strimzi.io/v1", "KafkaTopic", topic.name(), Map.of("strimzi.io/cluster", CLUSTER));
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("topicName", topic.name());
        spec.put("partitions", topic.partitions());
        spec.put("replicas", 3);
        Map<String, Object> config = new LinkedHashMap<>();
        topic.configs().forEach((key, value) -> config.put(key, key.equals("retention.ms") ? Long.valueOf(value) : value));
        config.put("min.insync.replicas", 2);
        config.put("max.message.bytes", 1048588);
        spec.put("config", config);
        t.put("spec", spec);
        return t;
    }

    static Map<String, Object> acl(String type, String name, String patternType, List<String> operations) {
        Map<String, Object> resource = new LinkedHashMap<>();
        resource.put("type", type);
        resource.put("name", name);
        resource.put("patternType", patternType);
        Map<String, Object> acl = new LinkedHashMap<>();
        acl.put("resource", resource);
        acl.put("operations", operations);
        return acl;
    }

    /** ACLs for exactly what the service's configuration says it consumes and produces. */
    static Map<String, Object> kafkaUser(ServiceAccess s) {
        List<Map<String, Object>> acls = new ArrayList<>();
        for (String topic : s.reads()) {
            acls.add(acl("topic", topic, "literal", List.of("Read", "Describe")));
        }
        for (String topic : s.writes()) {
            acls.add(acl("topic", topic, "literal", List.of("Write", "Describe")));
        }
        for (String group : s.groups()) {
            acls.add(acl("group", group, "literal", List.of("Read")));
        }
        if (s.service().equals(TRAINER)) { // its pools by resource class, in the overlays that run them
            new TreeMap<>(ResourceProfile.TRAINER_POOLS).keySet().forEach(c ->
                    acls.add(acl("group", TrainerPools.group(Optional.of(c)), "literal", List.of("Read"))));
        }
        if (s.streamsApplicationId() != null) {
            acls.add(acl("group", s.streamsApplicationId(), "literal", List.of("Read")));
            acls.add(acl("topic", s.streamsApplicationId() + "-", "prefix", List.of("Read", "Write", "Create", "Delete", "Describe")));
            acls.add(acl("transactionalId", s.streamsApplicationId() + "-", "prefix", List.of("Write", "Describe")));
        }
        if (s.transactionalIdPrefix() != null) {
            acls.add(acl("transactionalId", s.transactionalIdPrefix() + "-", "prefix", List.of("Write", "Describe")));
        }
        return user(s.service(), acls);
    }

    static Map<String, Object> user(String name, List<Map<String, Object>> acls) {
        Map<String, Object> u = resource("kafka.strimzi.io/v1", "KafkaUser", name, Map.of("strimzi.io/cluster", CLUSTER));
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("authentication", Map.of("type", "scram-sha-512"));
        spec.put("authorization", Map.of("type", "simple", "acls", acls));
        u.put("spec", spec);
        return u;
    }

    /** The principal's tools (meshctl): the only writer of grants besides the orchestrator's delegations, and triggers. */
    static Map<String, Object> principalToolsUser() {
        return user(PRINCIPAL_TOOLS, List.of(
                acl("topic", Topics.GRANTS.name(), "literal", List.of("Read", "Write", "Describe")),
                acl("topic", Topics.RUN_EVENTS.name(), "literal", List.of("Read", "Write", "Describe")),
                acl("topic", Topics.SCHEMAS.name(), "literal", List.of("Read", "Write", "Describe")),
                acl("topic", Topics.SCHEDULES.name(), "literal", List.of("Read", "Write", "Describe")),
                acl("topic", Topics.DEAD_LETTER.name(), "literal", List.of("Read", "Describe"))));
    }

    static Map<String, Object> registryUser() {
        return user(REGISTRY, List.of(
                acl("topic", "kafkasql-journal", "prefix", List.of("Read", "Write", "Create", "Describe")),
                acl("group", REGISTRY, "prefix", List.of("Read"))));
    }

    static List<Map<String, Object>> registry() {
        Map<String, String> labels = Map.of("app.kubernetes.io/name", REGISTRY);
        Map<String, Object> deployment = resource("apps/v1", "Deployment", REGISTRY, labels);
        Map<String, Object> container = new LinkedHashMap<>();
        container.put("name", REGISTRY);
        container.put("image", "apicurio/apicurio-registry:3.0.6");
        container.put("ports", List.of(Map.of("containerPort", 8080, "name", "http")));
        container.put("env", List.of(
                Map.of("name", "APICURIO_STORAGE_KIND", "value", "kafkasql"),
                envFrom("APICURIO_KAFKASQL_BOOTSTRAP_SERVERS", "mesh-config", "KAFKA_BOOTSTRAP_SERVERS"),
                Map.of("name", "APICURIO_KAFKASQL_SECURITY_PROTOCOL", "value", "SASL_PLAINTEXT"),
                Map.of("name", "APICURIO_KAFKASQL_SECURITY_SASL_ENABLED", "value", "true"),
                Map.of("name", "APICURIO_KAFKASQL_SECURITY_SASL_MECHANISM", "value", "SCRAM-SHA-512"),
                secretEnv("APICURIO_KAFKASQL_SECURITY_SASL_JAAS_CONFIG", REGISTRY, "sasl.jaas.config")));
        container.put("resources", ResourceProfile.REGISTRY.resources());
        container.put("readinessProbe", probe("/health/ready", 10));
        container.put("livenessProbe", probe("/health/live", 20));
        container.put("startupProbe", startupProbe("/health/started"));
        deployment.put("spec", deploymentSpec(REGISTRY, 1, null, List.of(container), List.of()));
        return List.of(deployment, service(REGISTRY));
    }

    static Map<String, Object> artifactsClaim() {
        Map<String, Object> pvc = resource("v1", "PersistentVolumeClaim", ARTIFACTS_CLAIM, Map.of());
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("accessModes", List.of("ReadWriteMany"));
        spec.put("resources", Map.of("requests", Map.of("storage", "20Gi")));
        pvc.put("spec", spec);
        return pvc;
    }

    static List<Map<String, Object>> serviceResources(ServiceAccess s) {
        String name = s.service();
        List<Map<String, Object>> out = new ArrayList<>();
        out.add(resource("v1", "ServiceAccount", name, Map.of("app.kubernetes.io/name", name)));

        boolean trainer = name.equals(TRAINER);
        Map<String, Object> container = new LinkedHashMap<>();
        container.put("name", name);
        container.put("image", IMAGE_PREFIX + name + ":latest");
        container.put("ports", List.of(Map.of("containerPort", HTTP_PORT, "name", "http")));
        container.put("envFrom", List.of(Map.of("configMapRef", Map.of("name", "mesh-config"))));
        List<Map<String, Object>> env = new ArrayList<>();
        env.add(Map.of("name", "MESH_AGENT_INSTANCE", "valueFrom", Map.of("fieldRef", Map.of("fieldPath", "metadata.name"))));
        env.add(secretEnv("KAFKA_SASL_JAAS_CONFIG", name, "sasl.jaas.config"));
        if (name.equals("sweep-orchestrator")) {
            env.add(Map.of("name", "MESH_GRANTS_AGENT_KEYS_DIR", "value", "/keys"));
        }
        if (s.advertisesItself()) {
            env.add(Map.of("name", "MESH_ADVERTISED_HOST", "valueFrom", Map.of("fieldRef", Map.of("fieldPath", "status.podIP"))));
        }
        if (name.equals(RUN_STATE) || s.readsRunState()) {
            env.add(Map.of("name", "MESH_RUN_STATE_PASSWORD", "valueFrom", Map.of("secretKeyRef",
                    Map.of("name", RUN_STATE_API_SECRET, "key", "password", "optional", true))));
        }
        if (s.readsRunState()) {
            env.add(Map.of("name", "MESH_RUN_STATE_URL", "value", "http://" + RUN_STATE + ":" + HTTP_PORT));
        }
        container.put("env", env);
        container.put("resources", ResourceProfile.forService(name).resources());
        container.put("readinessProbe", probe("/q/health/ready", 5));
        container.put("livenessProbe", probe("/q/health/live", 10));
        container.put("startupProbe", startupProbe("/q/health/started"));
        List<Map<String, Object>> mounts = new ArrayList<>();
        List<Map<String, Object>> volumes = new ArrayList<>();
        if (s.usesArtifacts()) {
            mounts.add(Map.of("name", "artifacts", "mountPath", "/artifacts"));
            volumes.add(Map.of("name", "artifacts", "persistentVolumeClaim", Map.of("claimName", ARTIFACTS_CLAIM)));
        }
        if (s.streamsApplicationId() != null) {
            mounts.add(Map.of("name", "streams-state", "mountPath", "/tmp/kafka-streams"));
            volumes.add(Map.of("name", "streams-state", "emptyDir", Map.of()));
        }
        if (name.equals("sweep-orchestrator")) {
            mounts.add(Map.of("name", "agent-key", "mountPath", "/keys", "readOnly", true));
            volumes.add(Map.of("name", "agent-key", "secret", Map.of("secretName", "sweep-orchestrator-agent-key")));
        }
        if (!mounts.isEmpty()) {
            container.put("volumeMounts", mounts);
        }
        Map<String, Object> deployment = resource("apps/v1", "Deployment", name, Map.of("app.kubernetes.io/name", name));
        // Every role runs as two instances (ScaleOutIT shows two of each share the work and survive losing one).
        deployment.put("spec", deploymentSpec(name, REPLICAS, name, List.of(container), volumes));
        out.add(deployment);
        out.add(service(name));
        out.add(networkPolicy(name, s.advertisesItself(), s.readsRunState()));
        Map<String, Object> pdb = resource("policy/v1", "PodDisruptionBudget", name, Map.of());
        pdb.put("spec", Map.of("minAvailable", 1, "selector", Map.of("matchLabels", Map.of("app.kubernetes.io/name", name))));
        out.add(pdb);
        if (trainer) {
            out.addAll(trainerScaling(s));
        }
        return out;
    }

    static final String TRAINER = "trainer";

    /**
     * The trainer pool of {@code resourceClass}: the trainer's own container, image and account, in the pool's consumer
     * group with its class set (it trains only that class's cells), on {@code profile}'s nodes, scaled by KEDA on its
     * group's lag.
     */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> trainerPool(ServiceAccess trainer, String resourceClass, ResourceProfile profile) {
        String name = TrainerPools.group(Optional.of(resourceClass));
        Map<String, Object> base = serviceResources(trainer).stream().filter(r -> "Deployment".equals(r.get("kind")))
                .findFirst().orElseThrow();
        Map<String, Object> basePod = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) base.get("spec"))
                .get("template")).get("spec");
        Map<String, Object> container = new LinkedHashMap<>(((List<Map<String, Object>>) basePod.get("containers")).get(0));
        List<Map<String, Object>> env = new ArrayList<>((List<Map<String, Object>>) container.get("env"));
        env.add(Map.of("name", "MESH_TRAINER_RESOURCE_CLASS", "value", resourceClass));
        env.add(Map.of("name", "MP_MESSAGING_INCOMING_CELL_TASKS_GROUP_ID", "value", name));
        container.put("env", env);
        container.put("resources", profile.resources());
        List<Map<String, Object>> volumes = (List<Map<String, Object>>) basePod.getOrDefault("volumes", List.of());
        Map<String, Object> deployment = resource("apps/v1", "Deployment", name, Map.of("app.kubernetes.io/name", name));
        Map<String, Object> spec = deploymentSpec(name, 1, TRAINER, List.of(container), volumes);
        profile.schedule((Map<String, Object>) ((Map<String, Object>) spec.get("template")).get("spec"));
        deployment.put("spec", spec);
        Map<String, Object> pdb = resource("policy/v1", "PodDisruptionBudget", name, Map.of());
        pdb.put("spec", Map.of("minAvailable", 1, "selector", Map.of("matchLabels", Map.of("app.kubernetes.io/name", name))));
        return List.of(deployment, networkPolicy(name, false, false), pdb, scaledObject(name, name));
    }

    /** KEDA scales the trainer pool on its consumer group's lag, up to one trainer per task partition. */
    static List<Map<String, Object>> trainerScaling(ServiceAccess s) {
        Map<String, Object> kedaSecret = resource("v1", "Secret", "trainer-keda", Map.of());
        kedaSecret.put("stringData", Map.of("sasl", "scram_sha512", "username", "trainer"));
        Map<String, Object> auth = resource("keda.sh/v1alpha1", "TriggerAuthentication", "trainer-kafka", Map.of());
        auth.put("spec", Map.of("secretTargetRef", List.of(
                Map.of("parameter", "sasl", "name", "trainer-keda", "key", "sasl"),
                Map.of("parameter", "username", "name", "trainer-keda", "key", "username"),
                Map.of("parameter", "password", "name", "trainer", "key", "password"))));
        return List.of(kedaSecret, auth, scaledObject(TRAINER, s.groups().first()));
    }

    /** A KEDA ScaledObject for the trainer deployment {@code deployment}, on the lag of consumer group {@code group}. */
    static Map<String, Object> scaledObject(String deployment, String group) {
        Map<String, Object> scaled = resource("keda.sh/v1alpha1", "ScaledObject", deployment, Map.of());
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("scaleTargetRef", Map.of("name", deployment));
        spec.put("minReplicaCount", 1);
        spec.put("maxReplicaCount", Topics.SWEEP_TASKS.partitions());
        spec.put("cooldownPeriod", 300);
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("bootstrapServers", CLUSTER + "-kafka-bootstrap.kafka.svc:9092");
        metadata.put("consumerGroup", group);
        metadata.put("topic", Topics.SWEEP_TASKS.name());
        metadata.put("lagThreshold", "2");
        metadata.put("offsetResetPolicy", "earliest");
        spec.put("triggers", List.of(Map.of("type", "kafka", "metadata", metadata,
                "authenticationRef", Map.of("name", "trainer-kafka"))));
        scaled.put("spec", spec);
        return scaled;
    }

    static Map<String, Object> deploymentSpec(String name, int replicas, String serviceAccount, List<Map<String, Object>> containers,
                                              List<Map<String, Object>> volumes) {
        Map<String, Object> podSpec = new LinkedHashMap<>();
        if (serviceAccount != null) {
            podSpec.put("serviceAccountName", serviceAccount);
        }
        podSpec.put("securityContext", Map.of("runAsNonRoot", true, "seccompProfile", Map.of("type", "RuntimeDefault")));
        podSpec.put("containers", containers);
        if (!volumes.isEmpty()) {
            podSpec.put("volumes", volumes);
        }
        Map<String, Object> template = new LinkedHashMap<>();
        template.put("metadata", Map.of("labels", Map.of("app.kubernetes.io/name", name),
                "annotations", Map.of("prometheus.io/scrape", "true", "prometheus.io/path", "/q/metrics",
                        "prometheus.io/port", String.valueOf(HTTP_PORT))));
        template.put("spec", podSpec);
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("replicas", replicas);
        spec.put("selector", Map.of("matchLabels", Map.of("app.kubernetes.io/name", name)));
        spec.put("template", template);
        return spec;
    }

    static Map<String, Object> service(String name) {
        Map<String, Object> svc = resource("v1", "Service", name, Map.of("app.kubernetes.io/name", name));
        svc.put("spec", Map.of("selector", Map.of("app.kubernetes.io/name", name),
                "ports", List.of(Map.of("name", "http", "port", HTTP_PORT, "targetPort", "http"))));
        return svc;
    }

    /** In: HTTP from pods of the mesh (and Prometheus). Out: Kafka, the registry, DNS, and its peers' HTTP if it asks them. */
    static Map<String, Object> networkPolicy(String name, boolean asksPeers, boolean asksRunState) {
        Map<String, Object> np = resource("networking.k8s.io/v1", "NetworkPolicy", name, Map.of());
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("podSelector", Map.of("matchLabels", Map.of("app.kubernetes.io/name", name)));
        spec.put("policyTypes", List.of("Ingress", "Egress"));
        spec.put("ingress", List.of(Map.of(
                "from", List.of(Map.of("podSelector", Map.of("matchLabels", Map.of("app.kubernetes.io/part-of", PART_OF))),
                        Map.of("namespaceSelector", Map.of("matchLabels", Map.of("kubernetes.io/metadata.name", "monitoring")))),
                "ports", List.of(Map.of("port", HTTP_PORT, "protocol", "TCP")))));
        List<Map<String, Object>> egress = new ArrayList<>(List.of(
                Map.of("to", List.of(Map.of("namespaceSelector", Map.of("matchLabels", Map.of("kubernetes.io/metadata.name", "kafka")))),
                        "ports", List.of(Map.of("port", 9092, "protocol", "TCP"), Map.of("port", 9093, "protocol", "TCP"))),
                Map.of("to", List.of(Map.of("podSelector", Map.of("matchLabels", Map.of("app.kubernetes.io/name", REGISTRY))))),
                Map.of("to", List.of(Map.of("namespaceSelector", Map.of("matchLabels", Map.of("kubernetes.io/metadata.name", "observability")))),
                        "ports", List.of(Map.of("port", 4317, "protocol", "TCP"))),
                Map.of("ports", List.of(Map.of("port", 53, "protocol", "UDP"), Map.of("port", 53, "protocol", "TCP")))));
        if (asksPeers) {
            egress.add(Map.of("to", List.of(Map.of("podSelector", Map.of("matchLabels", Map.of("app.kubernetes.io/name", name)))),
                    "ports", List.of(Map.of("port", HTTP_PORT, "protocol", "TCP"))));
        }
        if (asksRunState) {
            egress.add(Map.of("to", List.of(Map.of("podSelector", Map.of("matchLabels", Map.of("app.kubernetes.io/name", RUN_STATE)))),
                    "ports", List.of(Map.of("port", HTTP_PORT, "protocol", "TCP"))));
        }
        spec.put("egress", egress);
        np.put("spec", spec);
        return np;
    }

    static Map<String, Object> probe(String path, int periodSeconds) {
        return Map.of("httpGet", Map.of("path", path, "port", "http"), "periodSeconds", periodSeconds, "failureThreshold", 3);
    }

    static Map<String, Object> startupProbe(String path) {
        return Map.of("httpGet", Map.of("path", path, "port", "http"), "periodSeconds", 2, "failureThreshold", 60);
    }

    static Map<String, Object> envFrom(String name, String configMap, String key) {
        return Map.of("name", name, "valueFrom", Map.of("configMapKeyRef", Map.of("name", configMap, "key", key)));
    }

    static Map<String, Object> secretEnv(String name, String secret, String key) {
        return Map.of("name", name, "valueFrom", Map.of("secretKeyRef", Map.of("name", secret, "key", key)));
    }
}
