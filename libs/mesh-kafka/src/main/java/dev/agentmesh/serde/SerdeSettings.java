package dev.agentmesh.serde;

import io.apicurio.registry.resolver.config.SchemaResolverConfig;
import io.apicurio.registry.serde.avro.AvroSerdeConfig;
import io.apicurio.registry.serde.config.SerdeConfig;

import java.util.HashMap;
import java.util.Map;

/**
 * The Apicurio serde configuration for each mode. Production names a registry
 * ({@code apicurio.registry.url}); the embedded default keeps schemas in a Kafka topic.
 */
public final class SerdeSettings {

    /** {@code kafka} (default) or {@code memory}. */
    public static final String STORE = "mesh.schemas.store";
    public static final String STORE_BOOTSTRAP = "mesh.schemas.bootstrap.servers";

    private SerdeSettings() {
    }

    /** Embedded default: schemas in the {@code mesh.schemas} topic of the given broker. */
    public static Map<String, Object> kafkaTopicStore(String bootstrapServers) {
        Map<String, Object> config = common();
        config.put(SerdeConfig.SCHEMA_RESOLVER, MeshSchemaResolver.class);
        config.put(STORE, "kafka");
        config.put(STORE_BOOTSTRAP, bootstrapServers);
        return config;
    }

    /** Topology unit tests: schemas in this JVM only. */
    public static Map<String, Object> inMemoryStore() {
        Map<String, Object> config = common();
        config.put(SerdeConfig.SCHEMA_RESOLVER, MeshSchemaResolver.class);
        config.put(STORE, "memory");
        return config;
    }

    /** No broker and no registry: schemas from a replay bundle, in this JVM only. */
    public static Map<String, Object> inMemoryStore(Map<Long, String> schemas) {
        schemas.values().forEach(InMemorySchemaStore.SHARED::register);
        return inMemoryStore();
    }

    /** Production: Apicurio Registry 3 (or any registry Apicurio's client speaks to). */
    public static Map<String, Object> registry(String registryUrl) {
        Map<String, Object> config = common();
        config.put(SchemaResolverConfig.REGISTRY_URL, registryUrl);
        config.put(SchemaResolverConfig.AUTO_REGISTER_ARTIFACT, true);
        return config;
    }

    /** A registry url when one is configured, else the topic-backed store on the broker. */
    public static Map<String, Object> forDeployment(String registryUrlOrNull, String bootstrapServers) {
        return registryUrlOrNull == null || registryUrlOrNull.isBlank()
                ? kafkaTopicStore(bootstrapServers)
                : registry(registryUrlOrNull);
    }

    private static Map<String, Object> common() {
        Map<String, Object> config = new HashMap<>();
        config.put(AvroSerdeConfig.USE_SPECIFIC_AVRO_READER, true);
        config.put(SerdeConfig.USE_ID, "contentId");
        return config;
    }

    static SchemaStore storeFor(Map<String, ?> configs) {
        Object kind = configs.get(STORE);
        if ("memory".equals(kind)) {
            return InMemorySchemaStore.SHARED;
        }
        Object bootstrap = configs.get(STORE_BOOTSTRAP);
        if (bootstrap == null) {
            throw new IllegalArgumentException(STORE_BOOTSTRAP + " is required for the Kafka topic schema store");
        }
        return KafkaTopicSchemaStore.forBootstrap(bootstrap.toString());
    }
}
