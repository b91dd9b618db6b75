package dev.agentmesh.service;

import dev.agentmesh.topics.Topic;
import dev.agentmesh.topics.Topics;
import org.eclipse.microprofile.config.spi.ConfigSource;

import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Publishes every topic name of the {@link Topics} registry as config ({@code mesh.topics.run-events} and so on),
 * so that channel configuration refers to {@code ${mesh.topics.run-events}} instead of repeating the name.
 */
public class TopicsConfigSource implements ConfigSource {

    private static final Map<String, String> NAMES = Topics.ALL.stream()
            .collect(Collectors.toUnmodifiableMap(Topic::configKey, Topic::name));

    @Override
    public Set<String> getPropertyNames() {
        return NAMES.keySet();
    }

    @Override
    public String getValue(String propertyName) {
        return NAMES.get(propertyName);
    }

    @Override
    public String getName() {
        return "mesh-topics-registry";
    }

    @Override
    public int getOrdinal() {
        return 50;
    }
}
