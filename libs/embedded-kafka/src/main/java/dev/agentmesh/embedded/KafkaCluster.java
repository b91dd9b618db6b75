package dev.agentmesh.embedded;

import dev.agentmesh.kafka.TopicAdmin;
import dev.agentmesh.serde.KafkaTopicSchemaStore;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A KRaft cluster of several nodes (each a combined broker and controller) as separate JVM processes on loopback,
 * with replication factor {@code nodes} and {@code min.insync.replicas} {@code nodes - 1}: a broker can be killed or
 * restarted under a running mesh, as in production. Each node keeps its log directory across restarts.
 */
public final class KafkaCluster implements AutoCloseable {

    private record Node(int id, int brokerPort, int controllerPort, Path dir) {
        Path properties() {
            return dir.resolve("server.properties");
        }
    }

    private static final Path NICE = Path.of("/usr/bin/nice");

    private final List<Node> nodes;
    private final Process[] processes;
    private final String clusterId = Uuid.randomUuid().toString();

    private KafkaCluster(List<Node> nodes) {
        this.nodes = nodes;
        this.processes = new Process[nodes.size()];
    }

    /** Starts {@code count} nodes under {@code dir}, waits until all are in the cluster, and creates the mesh's topics. */
    public static KafkaCluster start(int count, Path dir) {
        int[] ports = EmbeddedKafka.freePorts(2 * count);
        List<Node> nodes = IntStream.rangeClosed(1, count)
                .mapToObj(i -> new Node(i, ports[2 * i - 2], ports[2 * i - 1], dir.resolve("node-" + i))).toList();
        KafkaCluster cluster = new KafkaCluster(nodes);
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::close));
        for (Node node : nodes) {
            cluster.configure(node);
        }
        for (Node node : nodes) {
            cluster.launch(node);
        }
        cluster.awaitNodes(count, Duration.ofMinutes(2));
        TopicAdmin.ensureAll(cluster.bootstrapServers());
        return cluster;
    }

    public String bootstrapServers() {
        return nodes.stream().map(n -> "localhost:" + n.brokerPort()).collect(Collectors.joining(","));
    }

    public int size() {
        return nodes.size();
    }

    /** Kills node {@code id} (1-based) the hard way, as a crash would. */
    public void kill(int id) {
        Process p = processes[id - 1];
        if (p != null) {
            p.destroyForcibly();
            waitFor(p);
        }
    }

    /** Stops node {@code id} cleanly (it moves its leaderships away first). */
    public void stop(int id) {
        Process p = processes[id - 1];
        if (p != null) {
            p.destroy();
            waitFor(p);
        }
    }

    /** Starts node {@code id} again on its ports and log directory, and waits until the cluster has every node. */
    public void start(int id, Duration within) {
        launch(nodes.get(id - 1));
        awaitNode(nodes.get(id - 1), within);
        awaitNodes(nodes.size(), within);
    }

    /** Until the node answers on its own listener (the others may still list a killed node until its session ends). */
    private void awaitNode(Node node, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:" + node.brokerPort(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000))) {
            while (System.nanoTime() < deadline) {
                try {
                    if (admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).stream().anyMatch(n -> n.id() == node.id())) {
                        return;
                    }
                } catch (Exception e) {
                    // not up yet
                }
                sleep(250);
            }
        }
        throw new IllegalStateException("node " + node.id() + " did not come back within " + within + "; see "
                + node.dir().resolve("broker.log"));
    }

    /** Node {@code id}'s current process (a new one after each {@link #start}). */
    public Process process(int id) {
        return processes[id - 1];
    }

    public int brokerPort(int id) {
        return nodes.get(id - 1).brokerPort();
    }

    public Path log(int id) {
        return nodes.get(id - 1).dir().resolve("broker.log");
    }

    public boolean running(int id) {
        return processes[id - 1] != null && processes[id - 1].isAlive();
    }

    private void configure(Node node) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(node.id()));
        p.put("controller.quorum.voters", nodes.stream().map(n -> n.id() + "@localhost:" + n.controllerPort())
                .collect(Collectors.joining(",")));
        p.put("listeners", "PLAINTEXT://localhost:" + node.brokerPort() + ",CONTROLLER://localhost:" + node.controllerPort());
        p.put("advertised.listeners", "PLAINTEXT://localhost:" + node.brokerPort());
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", node.dir().resolve("data").toString());
        String replicas = Integer.toString(nodes.size());
        String minIsr = Integer.toString(Math.max(1, nodes.size() - 1));
        p.put("default.replication.factor", replicas);
        p.put("min.insync.replicas", minIsr);
        p.put("offsets.topic.replication.factor", replicas);
        p.put("transaction.state.log.replication.factor", replicas);
        p.put("transaction.state.log.min.isr", minIsr);
        p.put("num.partitions", "3");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");
        p.put("log.cleaner.backoff.ms", "1000");
        p.put("controlled.shutdown.enable", "true");
        // A killed node leads its partitions and group coordinators until the controller fences it: after 9 s by
        // default, during which a service restarted meanwhile waits (seen in the storm's slowest starts). On loopback
        // a node that missed eight heartbeats is gone.
        p.put("broker.heartbeat.interval.ms", "500");
        p.put("broker.session.timeout.ms", "4000");
        try {
            Files.createDirectories(node.dir());
            try (Writer out = Files.newBufferedWriter(node.properties())) {
                p.store(out, "node " + node.id() + " of a local KRaft cluster");
            }
            run(node, List.of("kafka.tools.StorageTool", "format", "-t", clusterId, "-c", node.properties().toString(),
                    "--ignore-formatted"), "format.log");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot configure node " + node.id(), e);
        }
    }

    private void run(Node node, List<String> mainAndArgs, String log) {
        try {
            Process p = command(node, mainAndArgs, log).start();
            if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException(mainAndArgs.get(0) + " failed for node " + node.id() + "; see "
                        + node.dir().resolve(log));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private ProcessBuilder command(Node node, List<String> mainAndArgs, String log) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path")));
        command.addAll(mainAndArgs);
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(node.dir().resolve(log).toFile()));
    }

    private void launch(Node node) {
        try {
            ProcessBuilder broker = command(node, List.of("kafka.Kafka", node.properties().toString()), "broker.log");
            if (Files.isExecutable(NICE)) {
                // the brokers stand in for machines of their own: beside the services, they run at a steady service's
                // priority, so a service starting again after a crash is not one of seventeen equal shares of two cores
                broker.command().addAll(0, List.of(NICE.toString(), "-n", "5"));
            }
            processes[node.id() - 1] = broker.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start node " + node.id(), e);
        }
    }

    private void awaitNodes(int count, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000))) {
            while (System.nanoTime() < deadline) {
                try {
                    if (admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() >= count) {
                        return;
                    }
                } catch (Exception e) {
                    // not up yet
                }
                sleep(250);
            }
        }
        throw new IllegalStateException("the cluster did not reach " + count + " nodes within " + within + "; see "
                + nodes.get(0).dir().getParent());
    }

    private static void waitFor(Process p) {
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public synchronized void close() {
        KafkaTopicSchemaStore.closeFor(bootstrapServers());
        for (Process p : processes) {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
        }
        for (Process p : processes) {
            if (p != null) {
                waitFor(p);
            }
        }
    }
}
