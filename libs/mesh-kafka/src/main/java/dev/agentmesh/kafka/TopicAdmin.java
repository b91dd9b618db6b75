package dev.agentmesh.kafka;

import dev.agentmesh.kafka.client.KafkaClientSettings;
import org.apache.kafka.common.errors.TopicExistsException;
import dev.agentmesh.topics.Topic;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;

/** Creates the registry's topics that do not exist yet, as the registry describes them. */
public final class TopicAdmin {

    private TopicAdmin() {
    }

    public static void ensureAll(String bootstrapServers) {
        ensure(bootstrapServers, Topics.ALL);
    }

    public static void ensure(String bootstrapServers, Collection<Topic<?, ?>> topics) {
        try (Admin admin = Admin.create(KafkaClientSettings.with(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers)))) {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = topics.stream()
                    .filter(t -> !existing.contains(t.name()))
                    .map(TopicAdmin::newTopic)
                    .toList();
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get();
            }
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("could not create mesh topics: " + e.getCause().getMessage(), e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static NewTopic newTopic(Topic<?, ?> topic) {
        return new NewTopic(topic.name(), topic.partitions(), (short) -1).configs(topic.configs());
    }
}
