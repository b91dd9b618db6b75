package dev.agentmesh.meshctl;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.Stages;
import dev.agentmesh.fanout.SweepDecider;
import dev.agentmesh.kafka.client.KafkaClientSettings;
import dev.agentmesh.kafka.client.TopicTail;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.schedule.CatchUp;
import dev.agentmesh.schedule.Fire;
import dev.agentmesh.schedule.Schedule;
import dev.agentmesh.schedule.ScheduleState;
import dev.agentmesh.scheduling.ScheduleClock;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.team.GateDecider;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

/** Schedules of runs on {@code mesh.schedules}, fired by the scheduler service under the schedule's grant. */
@Command(name = "schedule", mixinStandardHelpOptions = true,
        description = "Schedules of runs: create, list, show (with past fires), pause, resume, delete.",
        subcommands = {ScheduleCommand.Create.class, ScheduleCommand.ListSchedules.class, ScheduleCommand.Show.class,
                ScheduleCommand.Pause.class, ScheduleCommand.Resume.class, ScheduleCommand.Delete.class})
public class ScheduleCommand {

    /** Every schedule on the topic, the latest record of each, deleted ones left out. */
    static Map<String, Schedule> read(Connection connection) {
        Map<String, Schedule> schedules = new TreeMap<>();
        String bootstrap = connection.bootstrap();
        try (MeshCodec<Schedule> codec = codec(connection);
             TopicTail tail = TopicTail.start("schedules", bootstrap, List.of(Topics.SCHEDULES.name()), record -> {
                 String id = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
                 if (id == null) {
                     return;
                 }
                 try {
                     Schedule s = record.value() == null ? null : codec.decode(record.value());
                     synchronized (schedules) {
                         if (s == null || s.getState() == ScheduleState.DELETED) {
                             schedules.remove(id);
                         } else {
                             schedules.put(id, s);
                         }
                     }
                 } catch (RuntimeException unusable) {
                     // the scheduler dead-letters what is no schedule; a listing skips it
                 }
             })) {
            tail.awaitCaughtUp(Duration.ofSeconds(30));
        }
        synchronized (schedules) {
            return new TreeMap<>(schedules);
        }
    }

    static MeshCodec<Schedule> codec(Connection connection) {
        return new MeshCodec<>(Topics.SCHEDULES, SerdeSettings.forDeployment(connection.registryUrlOrNull(), connection.bootstrap()));
    }

    static void write(Connection connection, Schedule schedule) {
        try (MeshCodec<Schedule> codec = codec(connection);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(KafkaClientSettings.with(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, connection.bootstrap(),
                     ProducerConfig.ACKS_CONFIG, "all",
                     ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                     ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                     ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class)))) {
            producer.send(new ProducerRecord<>(Topics.SCHEDULES.name(), schedule.getScheduleId(), codec.encode(schedule))).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not publish to " + Topics.SCHEDULES.name() + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** The same schedule in another state, written by this person. */
    static Schedule withState(Schedule schedule, ScheduleState state) {
        return Schedule.newBuilder(schedule).setState(state)
                .setEnvelope(new Envelopes("meshctl", TriggerCommand.hostName()).origin(schedule.getScheduleId(), schedule.getGrantId()))
                .build();
    }

    static String nextFire(Schedule s) {
        if (s.getState() != ScheduleState.ACTIVE) {
            return "-";
        }
        try {
            return ScheduleClock.of(s.getCron(), s.getTimeZone()).next(Instant.now()).map(Instant::toString).orElse("never");
        } catch (IllegalArgumentException e) {
            return "unusable: " + e.getMessage();
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create (or with --replace, change) a schedule; the scheduler fires it under --grant.")
    static class Create implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Parameters(index = "0", description = "Schedule id; runs it fires are named <id>-<fire time>.")
        String id;

        @Option(names = "--cron", required = true, description = "Unix (0 2 * * *) or Quartz (seconds first) cron expression.")
        String cron;

        @Option(names = "--time-zone", defaultValue = "UTC", description = "IANA zone the expression is read in (default: ${DEFAULT-VALUE}).")
        String timeZone;

        @Option(names = "--grant", required = true, description = "The pipeline operator's grant with schedule-runs on the pipeline.")
        String grant;

        @Option(names = "--pipeline", defaultValue = "nightly", description = "Pipeline name (default: ${DEFAULT-VALUE}).")
        String pipeline;

        @Option(names = "--source", required = true, description = "The runs' input, as trigger --source takes it.")
        String source;

        @Option(names = "--source-kind", defaultValue = "CSV", description = "CSV, TOPIC or GENERATOR (default: ${DEFAULT-VALUE}).")
        SourceKind sourceKind;

        @Option(names = "--contract", defaultValue = "credit-g", description = "Data contract name or YAML path (default: ${DEFAULT-VALUE}).")
        String contract;

        @Option(names = "--stage", split = ",", description = "Stages each run must complete (default: the nightly plan).")
        List<String> stages;

        @Option(names = "--sweep-grant", description = "Grant the sweep runs under.")
        String sweepGrant;

        @Option(names = "--gate-grant", description = "Grant the coordinator deploys under.")
        String gateGrant;

        @Option(names = "--catch-up", defaultValue = "SKIP", description = "SKIP or RUN_ONCE: fires missed while no scheduler ran (default: ${DEFAULT-VALUE}).")
        CatchUp catchUp;

        @Option(names = "--paused", description = "Create it paused.")
        boolean paused;

        @Option(names = "--replace", description = "Change an existing schedule (its past fires are kept).")
        boolean replace;

        @Override
        public Integer call() {
            ScheduleClock clock;
            try {
                clock = ScheduleClock.of(cron, timeZone);
            } catch (IllegalArgumentException e) {
                return DoorChecks.refuse("schedule " + id + " not created", List.of(e.getMessage()));
            }
            if (!replace && read(connection).containsKey(id)) {
                return DoorChecks.refuse("schedule " + id + " not created", List.of("a schedule " + id
                        + " exists: --replace changes it, meshctl schedule delete removes it"));
            }
            Map<String, String> parameters = new TreeMap<>();
            Optional.ofNullable(sweepGrant).ifPresent(g -> parameters.put(SweepDecider.PARAM_GRANT, g));
            Optional.ofNullable(gateGrant).ifPresent(g -> parameters.put(GateDecider.PARAM_GRANT, g));
            Schedule schedule = Schedule.newBuilder()
                    .setEnvelope(new Envelopes("meshctl", TriggerCommand.hostName()).origin(id, grant))
                    .setScheduleId(id).setCron(cron).setTimeZone(timeZone)
                    .setState(paused ? ScheduleState.PAUSED : ScheduleState.ACTIVE).setCatchUp(catchUp)
                    .setPipeline(pipeline).setSourceKind(sourceKind).setSource(source).setContract(contract)
                    .setStages(stages == null || stages.isEmpty() ? Stages.NIGHTLY : stages).setParameters(parameters)
                    .setGrantId(grant).setCreatedAt(Instant.now()).setFiredUpTo(Instant.EPOCH).setFires(List.of())
                    .build();
            write(connection, schedule);
            System.out.println("schedule " + id + (paused ? " created, paused" : " created; next fire "
                    + clock.next(Instant.now()).map(Instant::toString).orElse("never")) + " (" + cron + ", " + timeZone + ")");
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List schedules.")
    static class ListSchedules implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Override
        public Integer call() {
            System.out.printf("%-24s %-8s %-22s %-16s %-26s %s%n", "SCHEDULE", "STATE", "CRON", "ZONE", "NEXT FIRE", "LAST FIRE");
            for (Schedule s : read(connection).values()) {
                String last = s.getFires().isEmpty() ? "-" : s.getFires().get(s.getFires().size() - 1).getOutcome().name();
                System.out.printf("%-24s %-8s %-22s %-16s %-26s %s%n", s.getScheduleId(), s.getState(), s.getCron(),
                        s.getTimeZone(), nextFire(s), last);
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "A schedule, and its recent fires with their runs.")
    static class Show implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Parameters(index = "0", description = "Schedule id.")
        String id;

        @Override
        public Integer call() {
            Schedule s = read(connection).get(id);
            if (s == null) {
                return DoorChecks.refuse("nothing to show", List.of("no schedule " + id + " (meshctl schedule list)"));
            }
            System.out.printf("schedule   %s (%s)%ncron       %s in %s, catch-up %s%nnext fire  %s%nruns       %s of %s "
                            + "(%s), contract %s, stages %s%ngrant      %s%n", s.getScheduleId(), s.getState(), s.getCron(),
                    s.getTimeZone(), s.getCatchUp(), nextFire(s), s.getPipeline(), s.getSource(), s.getSourceKind(),
                    s.getContract(), String.join(",", s.getStages()), s.getGrantId());
            System.out.printf("%nFIRE TIME                  OUTCOME    RUN                                 REASON%n");
            for (Fire f : s.getFires()) {
                System.out.printf("%-26s %-10s %-35s %s%n", f.getFireTime(), f.getOutcome(), f.getRunId(),
                        f.getReason() == null ? "" : f.getReason());
            }
            return 0;
        }
    }

    abstract static class StateChange implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Parameters(index = "0", description = "Schedule id.")
        String id;

        abstract ScheduleState state();

        @Override
        public Integer call() {
            Schedule s = read(connection).get(id);
            if (s == null) {
                return DoorChecks.refuse("schedule " + id + " unchanged", List.of("no schedule " + id + " (meshctl schedule list)"));
            }
            write(connection, withState(s, state()));
            System.out.println("schedule " + id + " " + state().name().toLowerCase());
            return 0;
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, description = "Stop firing until resumed.")
    static class Pause extends StateChange {
        @Override
        ScheduleState state() {
            return ScheduleState.PAUSED;
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Fire again, from now on (a pause is not a miss).")
    static class Resume extends StateChange {
        @Override
        ScheduleState state() {
            return ScheduleState.ACTIVE;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Remove a schedule.")
    static class Delete extends StateChange {
        @Override
        ScheduleState state() {
            return ScheduleState.DELETED;
        }
    }
}
