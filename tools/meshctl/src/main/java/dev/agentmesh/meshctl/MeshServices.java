package dev.agentmesh.meshctl;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.management.HotSpotDiagnosticMXBean;
import org.apache.kafka.clients.admin.Admin;

import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.HashMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Starts the packaged mesh services as separate JVM processes against one broker, and stops them. */
public final class MeshServices implements AutoCloseable {

    /** Services the demo runs today, in start order. */
    public static final List<String> SERVICES = List.of("run-state", "row-validator", "feature-extractor", "schema-checker",
            "publisher", "sweep-orchestrator", "trainer", "coordinator", "model-quality", "risk-fairness", "cost",
            "deployment-engineer", "triage", "review");

    static final String RUN_STATE = "run-state";

    /** Where a service finds run-state's API: set for every service started after run-state. */
    static final String RUN_STATE_URL = "mesh.run-state.url";

    /** What stage 1 (ingest and featurize) needs, with run-state to watch it. */
    public static final List<String> INGEST_SERVICES = SERVICES.subList(0, 5);

    /** Fires scheduled runs: started by {@code meshctl up}, not by the demo, which triggers its run itself. */
    public static final String SCHEDULER = "scheduler";

    public record Running(String name, Process process, int httpPort, Path log) {
        public String url() {
            return "http://localhost:" + httpPort;
        }
    }

    private final Path repoRoot;
    private final List<Path> sourceDirs = new ArrayList<>();
    private final Path workDir;
    private final Map<String, Running> running = Collections.synchronizedMap(new LinkedHashMap<>());
    private final Map<String, Launch> launches = new ConcurrentHashMap<>();
    private final Map<String, Supplier<Running>> adopted = new ConcurrentHashMap<>();
    private final Map<String, Integer> restarts = new ConcurrentHashMap<>();
    private final List<Restart> restartLog = new CopyOnWriteArrayList<>();
    private volatile Thread supervisor;
    private volatile boolean closing;
    private volatile Duration stopGrace = Duration.ofSeconds(10);
    /** Where the supervisor says what it did; set by {@link #supervise}. */
    private volatile Consumer<String> say = message -> { };

    /** Where a running mesh lists its processes (see {@link #writeState}). */
    public static final String STATE_FILE = "services.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Admin clients for handing a dead process's partitions on, one per cluster. */
    private final Map<String, Admin> admins = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public MeshServices(Path repoRoot, Path workDir) {
        this.repoRoot = repoRoot;
        // file sources: the shared data beside the repository and this mesh's own work directory, nothing else
        this.sourceDirs.add(repoRoot.resolveSibling("shared").resolve("data"));
        this.sourceDirs.add(workDir);
        this.workDir = workDir;
        Runtime.getRuntime().addShutdownHook(new Thread(this::close));
    }

    public static Path repoRoot() {
        String configured = System.getProperty("mesh.home", System.getProperty("mesh.repo.root"));
        Path dir = Path.of(configured != null ? configured : ".").toAbsolutePath().normalize();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("services")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the mesh repository above " + dir + "; set -Dmesh.home");
    }

    public Path jarOf(String service) {
        return repoRoot.resolve("services").resolve(service).resolve("target/quarkus-app/quarkus-run.jar");
    }

    /** Lets services started from now on read file sources under {@code dir} too. */
    public void allowSourcesFrom(Path dir) {
        sourceDirs.add(dir.toAbsolutePath());
    }

    /** Starts a service and waits until its readiness probe answers 200. */
    public Running start(String service, String bootstrap, Map<String, String> extraConfig, Duration readyWithin) {
        return start(service, service, bootstrap, extraConfig, readyWithin);
    }

    /** Starts one more instance of {@code service} under {@code name} (its log, its agent instance). */
    public Running start(String service, String name, String bootstrap, Map<String, String> extraConfig, Duration readyWithin) {
        return awaitReady(launch(service, name, bootstrap, extraConfig), readyWithin);
    }

    /** Starts the processes of several services at once, then waits for each to be ready. */
    public List<Running> startAll(List<String> services, String bootstrap, Map<String, Map<String, String>> configByService,
                                  Duration readyWithin) {
        return startAll(services, "", bootstrap, configByService, readyWithin);
    }

    /** Starts one more instance of each of several services, named {@code <service><suffix>}, and waits for them. */
    public List<Running> startAll(List<String> services, String suffix, String bootstrap,
                                  Map<String, Map<String, String>> configByService, Duration readyWithin) {
        List<Running> ready = new ArrayList<>();
        launchAll(services, suffix, bootstrap, configByService).forEach(r -> ready.add(awaitReady(r, readyWithin)));
        return ready;
    }

    /** Starts the processes of several services without waiting for them (see {@link #awaitReady(Running, Duration)}). */
    public List<Running> launchAll(List<String> services, String suffix, String bootstrap,
                                   Map<String, Map<String, String>> configByService) {
        List<Running> started = new ArrayList<>();
        for (String service : services) {
            started.add(launch(service, service + suffix, bootstrap, configByService.getOrDefault(service, Map.of())));
        }
        return started;
    }

    /** Starts the process of one instance of {@code service} under {@code name} without waiting for it. */
    public Running launch(String service, String name, String bootstrap, Map<String, String> extraConfig) {
        return launch(new Launch(service, name, bootstrap, Map.copyOf(extraConfig), freePort()));
    }

    /**
     * Waits until {@code r} answers its readiness probe and returns it; if it exited because another process took its
     * port between {@link #freePort()} and its start, starts it again on another port (a few times) and returns that.
     */
    public Running awaitReady(Running r, Duration within) {
        for (int attempt = 1; ; attempt++) {
            try {
                awaitProbe(r, within);
                yieldToStarting(r);
                return r;
            } catch (IllegalStateException e) {
                if (attempt >= 3 || r.process().isAlive() || !portTaken(r)) {
                    throw e;
                }
                Launch how = launches.get(r.name());
                r = launch(new Launch(how.service(), how.name(), how.bootstrap(), how.config(), freePort()));
            }
        }
    }

    private static boolean portTaken(Running r) {
        try {
            return Files.readString(r.log()).contains(PORT_TAKEN);
        } catch (IOException e) {
            return false;
        }
    }

    /** What Quarkus logs when its HTTP port is taken. */
    static final String PORT_TAKEN = "seems to be in use by another process";

    /** How a service process was started, so the supervisor can start it again the same way (same port). */
    record Launch(String service, String name, String bootstrap, Map<String, String> config, int port) {
    }

    static final String AGENT_INSTANCE = "mesh.agent.instance";

    /** The agent instance a launch runs as: its events' instance and the prefix of its static group memberships. */
    static String agentInstance(Launch how) {
        return how.config().getOrDefault(AGENT_INSTANCE, how.name() + "-" + ProcessHandle.current().pid());
    }

    /**
     * Once a launched process is dead, hands its partitions to the other members of its groups at once instead of
     * after the session timeout ({@link StaticMembers}); on a thread of its own, and best effort.
     */
    private void releaseGroupsOnceDead(Running r, Launch how) {
        if (how == null) {
            return;
        }
        r.process().onExit().thenRunAsync(() -> {
            if (closing) {
                return; // the whole mesh stops: nobody is left to take the partitions
            }
            try {
                // the supervisor may meanwhile have started the service again, under the same memberships
                long t0 = System.nanoTime();
                Admin admin = admins.computeIfAbsent(how.bootstrap(), StaticMembers::admin);
                Map<String, List<String>> removed = StaticMembers.evict(admin, agentInstance(how), Duration.ofSeconds(10),
                        () -> {
                            Running now = running.get(r.name());
                            return now == null || now == r || !now.process().isAlive();
                        });
                if (!removed.isEmpty()) {
                    say.accept("supervisor: " + r.name() + "'s partitions handed to the other members of " + removed.keySet()
                            + " in " + Duration.ofNanos(System.nanoTime() - t0).toMillis() + " ms");
                }
            } catch (Exception e) {
                say.accept("supervisor: " + r.name() + "'s group memberships stay until their session times out: " + e.getMessage());
            }
        });
    }

    private Running launch(Launch how) {
        String service = how.service();
        String name = how.name();
        Map<String, String> extraConfig = how.config();
        Path jar = jarOf(service);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build first (mvn -DskipTests package)");
        }
        int port = how.port();
        String bootstrap = how.bootstrap();
        Path log = workDir.resolve("logs").resolve(name + ".log");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx512m");
        // fourteen small JVMs on two cores: one GC thread each and a heap that starts small, not 1/64 of the machine
        command.add("-XX:+UseSerialGC");
        command.add("-Xms32m");
        command.add("-XX:MaxHeapFreeRatio=30"); // and gives back what a large run made it take
        command.add("-XX:MinHeapFreeRatio=10");
        if (!OPTIMISING_COMPILER.contains(service)) {
            command.add("-XX:TieredStopAtLevel=1"); // faster start for services that handle a few events a run
        }
        command.addAll(NATIVE_HEAP_TRIM);
        command.add("-Dkafka.bootstrap.servers=" + bootstrap);
        command.add("-Dquarkus.http.port=" + port);
        command.add("-Dkafka-streams.state.dir=" + workDir.resolve("state").resolve(name));
        command.add("-Dmesh.agent.instance=" + agentInstance(how));
        command.add("-Dmesh.artifacts.dir=" + workDir.resolve("artifacts"));
        command.add("-Dmesh.sources.allowed-dirs=" + String.join(",", sourceDirs.stream().map(Path::toString).toList()));
        Running runState = running.get(RUN_STATE);
        if (runState != null && !extraConfig.containsKey(RUN_STATE_URL)) {
            command.add("-D" + RUN_STATE_URL + "=" + runState.url()); // the console's run pages read it
        }
        extraConfig.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.addAll(ClassDataArchive.options(jar));
        command.add("-jar");
        command.add(jar.toString());
        try {
            Files.createDirectories(log.getParent());
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            // glibc gives each thread that allocates natively an arena of its own (up to 8 per core); a few are plenty here
            builder.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
            Process process = builder.start();
            Running r = new Running(name, process, port, log);
            running.put(name, r);
            launches.put(name, how);
            writeState();
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + service, e);
        }
    }

    /**
     * glibc keeps the native memory the JIT's compilers and the Kafka clients freed; the JVM hands it back every two
     * seconds (JDK 17.0.9 and later: the services run on this JVM's own java, so asking this one is enough).
     */
    static final List<String> NATIVE_HEAP_TRIM = supportsVmOption("TrimNativeHeapInterval")
            ? List.of("-XX:TrimNativeHeapInterval=2000") : List.of();

    static boolean supportsVmOption(String name) {
        try {
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Services with a hot loop (training; every row of a run) keep the JIT's optimising compiler, as deployed. */
    static final Set<String> OPTIMISING_COMPILER = Set.of("trainer", "row-validator");

    /** The names of the processes this instance started and has not been told to kill. */
    public List<String> names() {
        synchronized (running) {
            return List.copyOf(running.keySet());
        }
    }

    private List<Running> snapshot() {
        synchronized (running) {
            return List.copyOf(running.values());
        }
    }

    public Running get(String service) {
        return running.get(service);
    }

    private void awaitProbe(Running r, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (!r.process().isAlive()) {
                throw new IllegalStateException(r.name() + " exited with " + r.process().exitValue() + "; see " + r.log());
            }
            try {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(r.url() + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(250);
        }
        throw new IllegalStateException(r.name() + " not ready within " + within + "; see " + r.log());
    }

    /**
     * Supervises a process this instance did not start (the broker, as its own process): listed with the services and
     * started again by {@code relaunch} (which returns once it is ready) when it exits. Its owner stops it.
     */
    public void adopt(Running process, Supplier<Running> relaunch) {
        running.put(process.name(), process);
        adopted.put(process.name(), relaunch);
        writeState();
    }

    /** Stops one service the hard way, as a crash would, and takes it out of supervision. */
    public void kill(String service) {
        Running r = running.remove(service);
        Launch how = launches.remove(service);
        adopted.remove(service);
        if (r != null) {
            r.process().destroyForcibly();
            releaseGroupsOnceDead(r, how);
        }
        writeState();
    }

    /** How long a restarted service must stay ready before its next exit counts as new, not as a crash loop. */
    static final Duration HEALTHY_FOR = Duration.ofSeconds(10);

    /** What the supervisor did: a service exited, and when it was ready again. */
    public record Restart(String name, int exitCode, int count, Duration downFor, Duration startToReady) {
    }

    /**
     * Watches every service started by this instance and starts one that exited again, on the same port, with
     * backoff: 250 ms, doubling to 30 s while it keeps exiting before it has been ready for {@link #HEALTHY_FOR}.
     * A service that dies after that is started again at once. {@code say} hears of every restart.
     */
    public synchronized void supervise(Consumer<String> say) {
        if (supervisor != null) {
            return;
        }
        this.say = say;
        Map<String, Integer> counts = new ConcurrentHashMap<>();
        RestartBackoff backoff = new RestartBackoff(Duration.ofMillis(250), Duration.ofSeconds(30), HEALTHY_FOR,
                System::nanoTime);
        Set<String> restarting = ConcurrentHashMap.newKeySet();
        supervisor = new Thread(() -> {
            while (!closing) {
                for (Running r : snapshot()) {
                    Launch how = launches.get(r.name());
                    Supplier<Running> relaunch = adopted.get(r.name());
                    if (closing || (how == null && relaunch == null) || restarting.contains(r.name())) {
                        continue;
                    }
                    if (r.process().isAlive()) {
                        backoff.running(r.name()); // started (and awaited) before supervision
                        continue;
                    }
                    // each restart on a thread of its own: one slow start never delays another service's
                    restarting.add(r.name());
                    releaseGroupsOnceDead(r, how);
                    long down = System.nanoTime();
                    int exit = r.process().exitValue();
                    long wait = backoff.exited(r.name()).toMillis();
                    int count = counts.merge(r.name(), 1, Integer::sum);
                    say.accept("supervisor: " + r.name() + " exited with " + exit + "; restarting in " + wait
                            + " ms (restart #" + count + ")");
                    Thread restart = new Thread(() -> {
                        try {
                            sleep(wait);
                            if (closing || (launches.get(r.name()) == null && !adopted.containsKey(r.name()))) {
                                return;
                            }
                            long launched = System.nanoTime();
                            if (relaunch != null) {
                                running.put(r.name(), relaunch.get());
                                restarts.merge(r.name(), 1, Integer::sum);
                            } else {
                                Running again = launch(how);
                                restarts.merge(r.name(), 1, Integer::sum);
                                awaitProbe(again, Duration.ofMinutes(2));
                                yieldToStarting(again);
                            }
                            backoff.ready(r.name());
                            Duration downFor = Duration.ofNanos(System.nanoTime() - down);
                            restartLog.add(new Restart(r.name(), exit, count, downFor,
                                    Duration.ofNanos(System.nanoTime() - launched)));
                            say.accept("supervisor: " + r.name() + " is ready again after " + downFor.toMillis() + " ms");
                            writeState();
                        } catch (RuntimeException e) {
                            say.accept("supervisor: " + r.name() + " did not come back: " + e.getMessage());
                        } finally {
                            restarting.remove(r.name());
                        }
                    }, "mesh-supervisor-" + r.name());
                    restart.setDaemon(true);
                    restart.start();
                }
                sleep(250);
            }
        }, "mesh-supervisor");
        supervisor.setDaemon(true);
        supervisor.start();
    }

    /**
     * A ready service runs at this nice value, a starting one at the default 0: on a machine shared by many JVMs, a
     * service starting again after a crash gets the CPU before the steady ones, and its recovery is not a share of
     * two cores among all of them (at nice 15 a thread weighs 1/28 of one at 0; at nice 5, 1/3 was not enough: start-up
     * under the fault storm took 10 s at the median, against 4 s now). Lowering one's own processes' priority needs no
     * privilege.
     */
    static final int STEADY_NICE = 15;

    /** Lowers every thread of a ready service to {@link #STEADY_NICE} (threads it starts later inherit it); best effort. */
    static void yieldToStarting(Running r) {
        Path tasks = Path.of("/proc", String.valueOf(r.process().pid()), "task");
        if (!Files.isDirectory(tasks)) {
            return; // not Linux: every process keeps the default priority
        }
        List<String> command = new ArrayList<>(List.of("renice", "-n", String.valueOf(STEADY_NICE), "-p"));
        try (var threads = Files.list(tasks)) {
            threads.forEach(t -> command.add(t.getFileName().toString()));
            Process renice = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            renice.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // no renice here, or the process ended meanwhile: it keeps its priority
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Every restart the supervisor made, in order. */
    public List<Restart> restarts() {
        return List.copyOf(restartLog);
    }

    /**
     * {@code services.json} in the work directory: this mesh's processes (name, pid, port, log, restarts) and its
     * owner's pid, for {@code meshctl services} in another shell.
     */
    private void writeState() {
        try {
            Files.createDirectories(workDir);
            List<Map<String, Object>> list = new ArrayList<>();
            for (Running r : snapshot()) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("name", r.name());
                entry.put("service", launches.containsKey(r.name()) ? launches.get(r.name()).service() : r.name());
                entry.put("pid", r.process().pid());
                entry.put("url", r.url());
                entry.put("log", r.log().toString());
                entry.put("restarts", restarts.getOrDefault(r.name(), 0));
                list.add(entry);
            }
            Path tmp = Files.createTempFile(workDir, "services", ".tmp");
            Files.writeString(tmp, JSON.writeValueAsString(Map.of("owner", ProcessHandle.current().pid(), "services", list)));
            Files.move(tmp, workDir.resolve(STATE_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // the state file is for people; the mesh runs without it
        }
    }

    /**
     * How long {@link #close} lets the services stop on their own before killing them; the default leaves time for a
     * clean shutdown, a mesh whose work is all committed may take less.
     */
    public void stopWithin(Duration grace) {
        this.stopGrace = grace;
    }

    @Override
    public synchronized void close() {
        closing = true;
        List<Running> own = snapshot().stream().filter(r -> !adopted.containsKey(r.name())).toList();
        for (Running r : own) {
            r.process().destroy();
        }
        long deadline = System.nanoTime() + stopGrace.toNanos();
        for (Running r : own) {
            try {
                if (!r.process().waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    r.process().destroyForcibly();
                }
            } catch (InterruptedException e) {
                r.process().destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        running.clear();
        admins.values().forEach(a -> a.close(Duration.ofSeconds(2)));
        admins.clear();
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
