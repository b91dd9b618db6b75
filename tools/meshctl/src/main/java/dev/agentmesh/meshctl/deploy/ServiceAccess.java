package dev.agentmesh.meshctl.deploy;

import dev.agentmesh.topics.Topic;
import dev.agentmesh.topics.Topics;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What one service does with Kafka, read from its own {@code application.properties}: the topics its channels
 * consume and produce, its consumer groups, a Kafka Streams application id, and the topics it reads with plain
 * consumers ({@code mesh.kafka.direct-reads}) or writes with plain producers ({@code mesh.kafka.direct-writes}). Every service also reads {@code mesh.grants} and uses
 * {@code mesh.schemas} (the grant ledger and the embedded schema store). ACLs are derived from this, nothing else.
 * A service that advertises itself to its peers ({@code kafka-streams.application.server}: interactive queries) is
 * given its pod's address; one that reads run-state's API ({@code mesh.run-state.url}) is given its address and login. A service that writes in its own Kafka transactions ({@code mesh.kafka.transactional-id-prefix})
 * may use transactional ids under that prefix.
 */
public record ServiceAccess(String service, SortedSet<String> reads, SortedSet<String> writes, SortedSet<String> groups,
                            String streamsApplicationId, String transactionalIdPrefix, boolean usesArtifacts,
                            boolean advertisesItself, boolean readsRunState) {

    /** A service that reads run-state's API names it here ({@code mesh.run-state.url}). */
    public static final String RUN_STATE_URL = "mesh.run-state.url";

    private static final Pattern PROPERTY_REF = Pattern.compile("\\$\\{([^}:]+)}");

    private static final Pattern TOPIC_REF = Pattern.compile("\\$\\{(mesh\\.topics\\.[^}]+)}");
    private static final Map<String, String> BY_CONFIG_KEY = Topics.ALL.stream()
            .collect(Collectors.toMap(Topic::configKey, Topic::name));

    public static ServiceAccess of(Path serviceDir) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(serviceDir.resolve("src/main/resources/application.properties"))) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TreeSet<String> reads = new TreeSet<>();
        TreeSet<String> writes = new TreeSet<>();
        TreeSet<String> groups = new TreeSet<>();
        reads.add(Topics.GRANTS.name());
        reads.add(Topics.SCHEMAS.name());
        String streams = null;
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("%")) {
                continue;
            }
            String value = p.getProperty(key);
            if (key.startsWith("mp.messaging.incoming.") && key.endsWith(".dead-letter-queue.topic")) {
                writes.addAll(resolve(value));
            } else if (key.startsWith("mp.messaging.incoming.") && (key.endsWith(".topic") || key.endsWith(".topics"))) {
                reads.addAll(resolve(value));
                // every channel's failure strategy (mesh-service's shared channel defaults) writes the dead-letter topic
                writes.add(Topics.DEAD_LETTER.name());
            } else if (key.startsWith("mp.messaging.incoming.") && key.endsWith(".group.id")) {
                groups.add(value);
            } else if (key.startsWith("mp.messaging.outgoing.") && key.endsWith(".topic")) {
                writes.addAll(resolve(value));
            } else if (key.equals("quarkus.kafka-streams.topics")) {
                reads.addAll(resolve(value));
            } else if (key.equals("quarkus.kafka-streams.application-id")) {
                streams = value;
            } else if (key.equals("mesh.kafka.direct-reads")) {
                reads.addAll(resolve(value));
            } else if (key.equals("mesh.kafka.direct-writes")) {
                writes.addAll(resolve(value));
            }
        }
        if (!writes.isEmpty()) {
            writes.add(Topics.SCHEMAS.name()); // a producer registers the schemas it writes with
        }
        String transactional = p.getProperty("mesh.kafka.transactional-id-prefix");
        if (transactional != null) {
            Matcher ref = PROPERTY_REF.matcher(transactional);
            transactional = ref.matches() ? p.getProperty(ref.group(1)) : transactional;
        }
        return new ServiceAccess(serviceDir.getFileName().toString(), reads, writes, groups, streams, transactional,
                p.containsKey("mesh.artifacts.dir"), p.containsKey("kafka-streams.application.server"),
                p.containsKey(RUN_STATE_URL));
    }

    static SortedSet<String> resolve(String value) {
        TreeSet<String> topics = new TreeSet<>();
        for (String part : Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList()) {
            Matcher m = TOPIC_REF.matcher(part);
            if (m.matches()) {
                String name = BY_CONFIG_KEY.get(m.group(1));
                if (name == null) {
                    throw new IllegalArgumentException("unknown topic reference " + part + ": not in the Topics registry");
                }
                topics.add(name);
            } else if (Topics.byName(part).isPresent()) {
                topics.add(part);
            } else {
                throw new IllegalArgumentException("topic '" + part + "' is not in the Topics registry");
            }
        }
        return topics;
    }
}
