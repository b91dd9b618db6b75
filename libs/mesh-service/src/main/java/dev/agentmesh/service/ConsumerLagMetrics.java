package dev.agentmesh.service;

import dev.agentmesh.kafka.client.ConsumerGroupLag;
import dev.agentmesh.kafka.client.KafkaClientSettings;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code mesh.consumer.lag{group}}: for every consumer group this service consumes in (each channel's
 * {@code group.id}, the Kafka Streams application id), the records it can read and has not committed past
 * ({@link ConsumerGroupLag}). Computed when scraped, at most every {@link #FRESH_FOR}, off the scraping thread: a
 * scrape reads the last figure, never waits for the broker.
 */
@ApplicationScoped
public class ConsumerLagMetrics {

    public static final String METRIC = "mesh.consumer.lag";
    static final Duration FRESH_FOR = Duration.ofSeconds(5);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Pattern CHANNEL_GROUP = Pattern.compile("mp\\.messaging\\.incoming\\.([^.]+)\\.group\\.id");
    private static final Logger LOG = Logger.getLogger(ConsumerLagMetrics.class);

    private final MeterRegistry registry;
    private final MeshCodecs codecs;
    private final String bootstrapServers;
    private final Set<String> groups;
    private final Map<String, Long> lag = new ConcurrentHashMap<>();
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private final ExecutorService refresher = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "consumer-lag");
        t.setDaemon(true);
        return t;
    });
    private volatile long refreshedAt = Long.MIN_VALUE;
    private Admin admin;

    public ConsumerLagMetrics(MeterRegistry registry, MeshCodecs codecs, Config config,
                              @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.registry = registry;
        this.codecs = codecs;
        this.bootstrapServers = bootstrapServers;
        this.groups = groups(config.getPropertyNames(), name -> config.getOptionalValue(name, String.class).orElse(""));
    }

    /** The groups named by channel {@code group.id}s and the Kafka Streams application id among {@code names}. */
    static Set<String> groups(Iterable<String> names, Function<String, String> value) {
        Set<String> groups = new TreeSet<>();
        for (String name : names) {
            Matcher m = CHANNEL_GROUP.matcher(name);
            if (m.matches() || name.equals("quarkus.kafka-streams.application-id")) {
                String group = value.apply(name);
                if (!group.isBlank()) {
                    groups.add(group);
                }
            }
        }
        return groups;
    }

    void register(@Observes StartupEvent started) {
        for (String group : groups) {
            Gauge.builder(METRIC, this, m -> m.lag(group))
                    .tag("group", group)
                    .description("records the group can read (read_committed) and has not committed past")
                    .register(registry);
        }
        if (!groups.isEmpty()) {
            refreshLater();
        }
    }

    public Set<String> groups() {
        return groups;
    }

    /** The last figure for {@code group}, NaN until the broker first answered; asks again if it is stale. */
    double lag(String group) {
        if (System.nanoTime() - refreshedAt > FRESH_FOR.toNanos()) {
            refreshLater();
        }
        Long value = lag.get(group);
        return value == null ? Double.NaN : value;
    }

    private void refreshLater() {
        if (refreshing.compareAndSet(false, true)) {
            refresher.execute(() -> {
                try {
                    refresh();
                } finally {
                    refreshing.set(false);
                }
            });
        }
    }

    private void refresh() {
        try {
            if (admin == null) {
                codecs.settings(); // the process's Kafka security settings are set before the client connects
                admin = Admin.create(KafkaClientSettings.with(Map.of(
                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                        AdminClientConfig.CLIENT_ID_CONFIG, "consumer-lag")));
            }
            for (String group : List.copyOf(groups)) {
                lag.put(group, ConsumerGroupLag.total(ConsumerGroupLag.of(admin, group, TIMEOUT)));
            }
            refreshedAt = System.nanoTime();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.debugf("consumer lag not read: %s", e.toString());
        }
    }

    @PreDestroy
    void close() {
        refresher.shutdownNow();
        if (admin != null) {
            admin.close(Duration.ofSeconds(1));
        }
    }
}
