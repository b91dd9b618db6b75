package dev.agentmesh.meshctl.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every document the deployment renders is valid against what the cluster serves (deploy/k8s/schemas): the built-in
 * kinds against the Kubernetes 1.36 OpenAPI document, the Strimzi, KEDA and Prometheus Operator ones against the custom
 * resource definitions the current operators serve (Strimzi 1.2.0, KEDA 2.20.1, Prometheus Operator 0.93.0), in strict
 * mode: an unknown field is an error, as {@code kubectl apply --validate=strict} makes it. An apiVersion with no schema
 * here is an error too, so a {@code kafka.strimzi.io/v1beta2} resource fails here as it would on the cluster.
 */
class ManifestSchemasTest {

    static final Path SCHEMAS = DeployManifestsTest.ROOT.resolve("deploy/k8s/schemas");
    static final ObjectMapper JSON = new ObjectMapper();
    /** API groups whose every kind must have a schema here: Kubernetes' own and the operators the deployment depends on. */
    static final Set<String> KUBERNETES_GROUPS = Set.of("", "apps", "batch", "policy", "autoscaling", "networking.k8s.io",
            "rbac.authorization.k8s.io");
    static final Set<String> CHECKED_GROUPS = Stream.concat(KUBERNETES_GROUPS.stream(),
            Stream.of("kafka.strimzi.io", "keda.sh", "monitoring.coreos.com")).collect(Collectors.toSet());
    static final Set<String> BUILT_IN_KINDS = Set.of("Deployment", "Service", "ServiceAccount", "ConfigMap", "Secret",
            "PersistentVolumeClaim", "NetworkPolicy", "PodDisruptionBudget");

    record Resource(String group, String version, String kind) {
        static Resource of(JsonNode doc) {
            String apiVersion = doc.path("apiVersion").asText();
            int slash = apiVersion.indexOf('/');
            return new Resource(slash < 0 ? "" : apiVersion.substring(0, slash), apiVersion.substring(slash + 1),
                    doc.path("kind").asText());
        }

        String apiVersion() {
            return group + "/" + version;
        }
    }

    /** The served schema of every kind the deployment uses, keyed by group, version and kind. */
    static Map<Resource, Schema> schemas() throws IOException {
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4);
        Map<Resource, Schema> schemas = new TreeMap<>((a, b) -> (a.apiVersion() + a.kind()).compareTo(b.apiVersion() + b.kind()));
        try (Stream<Path> files = Files.list(SCHEMAS)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                JsonNode crd = JSON.readTree(file.toFile());
                Resource resource = new Resource(crd.path("group").asText(), crd.path("version").asText(), crd.path("kind").asText());
                schemas.put(resource, registry.getSchema(strict(crd.path("schema").deepCopy())));
            }
        }
        return schemas;
    }

    /**
     * A CRD's OpenAPI v3 schema as a JSON Schema the validator checks as the API server does: objects with declared
     * properties refuse others (strict field validation) unless the CRD keeps unknown fields, and
     * {@code x-kubernetes-int-or-string} accepts either. CEL rules ({@code x-kubernetes-validations}) are not checked.
     */
    static JsonNode strict(JsonNode node) {
        if (node instanceof ObjectNode object) {
            if (object.path("x-kubernetes-int-or-string").asBoolean(false)) {
                ArrayNode types = JsonNodeFactory.instance.arrayNode().add("integer").add("string");
                object.set("type", types);
            }
            boolean preserve = object.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
            if (object.has("properties") && !object.has("additionalProperties") && !preserve) {
                object.put("additionalProperties", false);
            }
            for (Iterator<JsonNode> children = object.elements(); children.hasNext(); ) {
                strict(children.next());
            }
        } else if (node instanceof ArrayNode array) {
            array.forEach(ManifestSchemasTest::strict);
        }
        return node;
    }

    /** What is wrong with each document, by its kind and name; empty when all are valid. */
    static List<String> problems(List<JsonNode> docs, Map<Resource, Schema> schemas) {
        List<String> problems = new ArrayList<>();
        for (JsonNode doc : docs) {
            Resource resource = Resource.of(doc);
            String name = resource.kind() + "/" + doc.path("metadata").path("name").asText();
            Schema schema = schemas.get(resource);
            if (schema == null) {
                if (CHECKED_GROUPS.contains(resource.group())) {
                    problems.add(name + ": " + resource.apiVersion() + " " + resource.kind() + " is not served (no schema here)");
                }
                continue;
            }
            for (Error error : schema.validate(doc)) {
                problems.add(name + ": " + error.getInstanceLocation() + " " + error.getMessage());
            }
        }
        return problems;
    }

    static List<JsonNode> cluster() throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = DeployManifestsTest.YAML.getFactory().createParser(DeployManifestsTest.ROOT.resolve("deploy/k8s/cluster/kafka.yaml").toFile())) {
            DeployManifestsTest.YAML.readValues(parser, JsonNode.class).forEachRemaining(docs::add);
        }
        return docs;
    }

    static long count(List<JsonNode> docs, String group) {
        return docs.stream().filter(d -> Resource.of(d).group().equals(group)).count();
    }

    static Set<String> builtInKinds(List<JsonNode> docs) {
        return docs.stream().filter(d -> KUBERNETES_GROUPS.contains(Resource.of(d).group())).map(d -> d.path("kind").asText())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyOperatorResourceOfEachOverlayIsValidAgainstTheServedCrds(String overlay) throws Exception {
        List<JsonNode> docs = DeployManifestsTest.kustomize(overlay);
        assertTrue(count(docs, "kafka.strimzi.io") >= 20, "the overlay renders the topics and users");
        assertTrue(count(docs, "keda.sh") >= 2, "the overlay renders the trainer's autoscaling");
        assertEquals(1, count(docs, "monitoring.coreos.com"), "the overlay renders the pod monitor");
        assertEquals(BUILT_IN_KINDS, builtInKinds(docs), "every built-in kind the overlay renders is checked");
        assertEquals(List.of(), problems(docs, schemas()));
    }

    @Test
    void theExampleClusterIsValidAgainstTheServedCrds() throws Exception {
        List<JsonNode> docs = cluster();
        assertEquals(2, count(docs, "kafka.strimzi.io"), "a Kafka and its node pool");
        assertEquals(List.of(), problems(docs, schemas()));
    }

    @Test
    void aMutatedManifestFails() throws Exception {
        Map<Resource, Schema> schemas = schemas();
        List<JsonNode> docs = DeployManifestsTest.kustomize("prod");
        JsonNode topic = first(docs, "KafkaTopic");
        JsonNode user = first(docs, "KafkaUser");

        ObjectNode wrongType = topic.deepCopy();
        ((ObjectNode) wrongType.path("spec")).put("partitions", "six");
        assertProblem(problems(List.of(wrongType), schemas), "partitions");

        ObjectNode unknownField = user.deepCopy();
        ((ObjectNode) unknownField.path("spec")).put("quota", 10);
        assertProblem(problems(List.of(unknownField), schemas), "quota");

        ObjectNode noOperations = user.deepCopy();
        ((ObjectNode) noOperations.path("spec").path("authorization").path("acls").get(0)).remove("operations");
        assertProblem(problems(List.of(noOperations), schemas), "operations");

        ObjectNode oldApi = topic.deepCopy();
        oldApi.put("apiVersion", "kafka.strimzi.io/v1beta2");
        assertProblem(problems(List.of(oldApi), schemas), "not served");

        ObjectNode scaledObject = first(docs, "ScaledObject").deepCopy();
        ((ObjectNode) scaledObject.path("spec")).put("maxReplicaCount", "many");
        assertProblem(problems(List.of(scaledObject), schemas), "maxReplicaCount");
    }

    @Test
    void aMutatedBuiltInManifestFails() throws Exception {
        Map<Resource, Schema> schemas = schemas();
        List<JsonNode> docs = DeployManifestsTest.kustomize("prod");

        ObjectNode portName = first(docs, "Deployment").deepCopy();
        ((ObjectNode) container(portName).path("ports").get(0)).put("containerPort", "http");
        assertProblem(problems(List.of(portName), schemas), "containerPort");

        ObjectNode unknownField = first(docs, "Deployment").deepCopy();
        container(unknownField).put("imagePullSecret", "registry");
        assertProblem(problems(List.of(unknownField), schemas), "imagePullSecret");

        ObjectNode noPort = first(docs, "Service").deepCopy();
        ((ObjectNode) noPort.path("spec").path("ports").get(0)).remove("port");
        assertProblem(problems(List.of(noPort), schemas), "port");

        ObjectNode memoryAsList = first(docs, "Deployment").deepCopy();
        ((ObjectNode) container(memoryAsList).path("resources").path("limits")).putArray("memory").add("512Mi");
        assertProblem(problems(List.of(memoryAsList), schemas), "memory");

        ObjectNode removedApi = first(docs, "PodDisruptionBudget").deepCopy();
        removedApi.put("apiVersion", "policy/v1beta1");
        assertProblem(problems(List.of(removedApi), schemas), "not served");
    }

    private static ObjectNode container(JsonNode deployment) {
        return (ObjectNode) deployment.path("spec").path("template").path("spec").path("containers").get(0);
    }

    static JsonNode first(List<JsonNode> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.path("kind").asText())).findFirst().orElseThrow();
    }

    static void assertProblem(List<String> problems, String mentioning) {
        assertFalse(problems.isEmpty(), "a mutated document passed");
        assertTrue(problems.stream().anyMatch(p -> p.contains(mentioning)), problems.toString());
    }
}
