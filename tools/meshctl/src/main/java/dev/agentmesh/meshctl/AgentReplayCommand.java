package dev.agentmesh.meshctl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.Comparator;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.Handoffs;
import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.kafka.RunLog;
import dev.agentmesh.data.DataRow;
import dev.agentmesh.gate.AssessmentRequested;
import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.gate.DebateArgued;
import dev.agentmesh.gate.DebateJudged;
import dev.agentmesh.gate.DebateOpened;
import dev.agentmesh.judgment.Judged;
import dev.agentmesh.judgment.Judgment;
import dev.agentmesh.judgment.ModelCalled;
import dev.agentmesh.judgment.ModelJudgment;
import dev.agentmesh.judgment.ModelSettings;
import dev.agentmesh.judgment.RecordedModelPort;
import dev.agentmesh.judgment.ReplayMismatchException;
import dev.agentmesh.judgment.SpendLimit;
import dev.agentmesh.team.GateDebate;
import dev.agentmesh.team.SpecialistJudgment;
import dev.agentmesh.team.Specialists;
import dev.agentmesh.data.DatasetRow;
import dev.agentmesh.dataset.DatasetReader;
import dev.agentmesh.contract.RowValidationAgent;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunTriggered;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.sweep.CellCompleted;
import dev.agentmesh.sweep.CellStarted;
import dev.agentmesh.sweep.CellTask;
import dev.agentmesh.topics.Topics;
import dev.agentmesh.training.CellTrainer;
import dev.agentmesh.training.ModelRegistry;
import dev.agentmesh.training.StopSignal;
import dev.agentmesh.training.TrainingAgent;
import org.tribuo.Model;
import org.tribuo.classification.Label;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * Re-runs one agent's handler on the inputs the log recorded for it and diffs what it produces against what it
 * produced then. What the handler does not compute itself (the time, the instance, measured latencies and the
 * checkpoint's location) is taken from the recorded events; the replay spends nothing on the cluster.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = "Re-run one agent (row-validator, trainer, coordinator: its gate debates, a specialist: its model judgment) on a run's recorded inputs and diff its outputs with the recorded ones. Exit 1 on any difference.")
public class AgentReplayCommand implements Callable<Integer> {

    @Mixin
    Connection connection;

    @Parameters(index = "0", description = "Agent role: row-validator, trainer, coordinator, or a gate specialist.")
    String role;

    @Option(names = "--run", required = true)
    String runId;

    @Option(names = "--event", description = "The input event: for a trainer, the cell task's event id.")
    String eventId;

    @Option(names = "--cell", description = "For a trainer: the cell id (its first recorded attempt unless --attempt).")
    String cellId;

    @Option(names = "--attempt", description = "For a trainer with --cell: the attempt.")
    Integer attempt;

    @Option(names = "--bundle", description = "Read the run from an exported bundle instead of the cluster.")
    Path bundle;

    private final List<String> differences = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        ReplaySource source = bundle != null ? ReplaySource.bundle(bundle, runId) : ReplaySource.live(connection, runId, false);
        List<RunEvent> events = new ArrayList<>();
        for (LoggedRecord r : source.runEvents) {
            try {
                events.add(source.events.decode(r.value()));
            } catch (RuntimeException undecodable) {
                // not an input of any agent
            }
        }
        switch (role) {
            case "row-validator" -> rowValidator(events);
            case "trainer" -> trainer(source, events);
            case "coordinator" -> coordinator(events);
            default -> {
                if (Specialists.ALL.contains(role)) {
                    specialist(events);
                    break;
                }
                System.err.println("replay agent knows row-validator, trainer, coordinator and the specialists "
                        + Specialists.ALL + ", not '" + role + "'");
                return 2;
            }
        }
        if (differences.isEmpty()) {
            System.out.println("identical: the " + role + " reproduced every recorded output");
            return 0;
        }
        System.out.println("DIFFERENT (" + differences.size() + "):");
        differences.forEach(d -> System.out.println("  " + d));
        return 1;
    }

    private void rowValidator(List<RunEvent> events) {
        RunEvent trigger = events.stream().filter(RowValidationAgent::concerns).findFirst()
                .orElseThrow(() -> new IllegalStateException("run " + runId + " has no trigger for the row-validator"));
        List<RunEvent> recorded = events.stream().filter(e -> e.getEnvelope().getAgentRole().equals("row-validator")
                && trigger.getEnvelope().getEventId().equals(e.getEnvelope().getCausationId())).toList();
        if (recorded.isEmpty()) {
            throw new IllegalStateException("the row-validator recorded nothing for run " + runId);
        }
        Envelope last = recorded.get(recorded.size() - 1).getEnvelope();
        RowValidationAgent agent = new RowValidationAgent(new Envelopes("row-validator", last.getAgentInstance(),
                Clock.fixed(last.getOccurredAt(), ZoneOffset.UTC)));
        RowValidationAgent.Outcome outcome = agent.handle(trigger);
        System.out.printf("row-validator on trigger %s (%s): %d valid, %d rejected%n", trigger.getEnvelope().getEventId(),
                ((RunTriggered) trigger.getPayload()).getSourceLocation(), outcome.valid().size(), outcome.rejected().size());
        for (RunEvent replayed : List.of(outcome.started(), outcome.finished())) {
            RunEvent original = recorded.stream().filter(e -> e.getEnvelope().getEventId().equals(replayed.getEnvelope().getEventId()))
                    .findFirst().orElse(null);
            if (original != null && original.getPayload() instanceof StageCompleted was
                    && replayed.getPayload() instanceof StageCompleted now) {
                // where the service's transaction put the rows in the log is the shell's to say, not the agent's
                Handoffs.recordsStart(was).ifPresent(at -> Handoffs.recordsStartAt(now, at.topic(), at.offset()));
            }
            if (original == null) {
                differences.add("event " + replayed.getEnvelope().getEventId() + " (" + ReplayCommand.describe(replayed) + ") was not recorded");
            } else if (!original.getPayload().equals(replayed.getPayload())) {
                differences.add("event " + original.getEnvelope().getEventId() + ": recorded " + original.getPayload()
                        + ", replayed " + replayed.getPayload());
            }
        }
        if (bundle == null) {
            String bootstrap = connection.bootstrap();
            MeshCodec<DataRow> rows = new MeshCodec<>(Topics.ROWS_VALIDATED, SerdeSettings.forDeployment(connection.registryUrlOrNull(), bootstrap));
            Map<Long, DataRow> recordedRows = new TreeMap<>();
            for (LoggedRecord r : RunLog.scan(bootstrap, Topics.ROWS_VALIDATED.name(), runId, x -> runId.equals(x.key()), Duration.ofSeconds(60))) {
                DataRow row = rows.decode(r.value());
                recordedRows.putIfAbsent(row.getRowIndex(), row);
            }
            compareRows("valid row", recordedRows, outcome.valid());
            Map<Long, String> recordedRejections = new TreeMap<>();
            for (LoggedRecord r : RunLog.scan(bootstrap, Topics.DEAD_LETTER.name(), null,
                    x -> runId.equals(x.headers().get(MeshHeaders.RUN_ID)) && "row-validator".equals(x.headers().get(MeshHeaders.DLQ_SERVICE)),
                    Duration.ofSeconds(60))) {
                recordedRejections.putIfAbsent(rows.decode(r.value()).getRowIndex(), r.headers().get(MeshHeaders.DLQ_REASON));
            }
            Map<Long, String> replayedRejections = new TreeMap<>();
            outcome.rejected().forEach(x -> replayedRejections.put(x.row().getRowIndex(), x.reason()));
            if (!recordedRejections.equals(replayedRejections)) {
                differences.add("rejected rows: recorded " + recordedRejections.keySet() + ", replayed " + replayedRejections.keySet());
            }
            System.out.printf("compared %d valid rows and %d rejections with the recorded ones%n", recordedRows.size(), recordedRejections.size());
        }
    }

    private void compareRows(String what, Map<Long, DataRow> recorded, List<DataRow> replayed) {
        if (recorded.size() != replayed.size()) {
            differences.add(what + "s: recorded " + recorded.size() + ", replayed " + replayed.size());
        }
        for (DataRow row : replayed) {
            DataRow original = recorded.get(row.getRowIndex());
            if (original == null || !original.getValues().equals(row.getValues())
                    || !original.getEnvelope().getEventId().equals(row.getEnvelope().getEventId())) {
                differences.add(what + " " + row.getRowIndex() + ": recorded " + (original == null ? "nothing" : original.getValues())
                        + ", replayed " + row.getValues());
            }
        }
    }

    private void trainer(ReplaySource source, List<RunEvent> events) throws Exception {
        List<CellTask> tasks = new ArrayList<>();
        for (LoggedRecord r : source.cellTasks) {
            tasks.add(source.tasks.decode(r.value()));
        }
        CellTask task = tasks.stream().filter(t -> eventId != null ? t.getEnvelope().getEventId().equals(eventId)
                        : t.getConfig().getCellId().equals(cellId) && (attempt == null || t.getEnvelope().getAttempt() == attempt))
                .min(Comparator.comparingInt(t -> t.getEnvelope().getAttempt()))
                .orElseThrow(() -> new IllegalStateException("no recorded cell task of run " + runId + " matches "
                        + (eventId != null ? "event " + eventId : "cell " + cellId)));
        RunEvent original = events.stream().filter(e -> task.getEnvelope().getEventId().equals(e.getEnvelope().getCausationId())
                        && e.getEnvelope().getAgentRole().equals("trainer") && !(e.getPayload() instanceof CellStarted))
                .findFirst().orElseThrow(() -> new IllegalStateException("no recorded outcome for task " + task.getEnvelope().getEventId()));
        Path scratch = Files.createTempDirectory("replay-trainer");
        TrainingAgent agent = new TrainingAgent(new Envelopes("trainer", original.getEnvelope().getAgentInstance(),
                Clock.fixed(original.getEnvelope().getOccurredAt(), ZoneOffset.UTC)), new ModelRegistry(scratch));
        RunEvent replayed = agent.train(task, StopSignal.NEVER);
        System.out.printf("trainer on task %s: cell %s attempt %d -> %s%n", task.getEnvelope().getEventId(),
                task.getConfig().getCellId(), task.getEnvelope().getAttempt(), ReplayCommand.describe(replayed));
        if (!original.getEnvelope().getEventId().equals(replayed.getEnvelope().getEventId())) {
            differences.add("event id: recorded " + original.getEnvelope().getEventId() + ", replayed " + replayed.getEnvelope().getEventId());
        }
        if (original.getPayload() instanceof CellCompleted was && replayed.getPayload() instanceof CellCompleted now) {
            // Measured on the machine or placed by the registry: taken from the record, not recomputed.
            now.setInferenceLatencyMicros(was.getInferenceLatencyMicros());
            now.setTrainMs(was.getTrainMs());
            for (int i = 0; i < Math.min(was.getSteps().size(), now.getSteps().size()); i++) {
                now.getSteps().get(i).setDurationMs(was.getSteps().get(i).getDurationMs());
            }
            now.setCheckpoint(was.getCheckpoint());
            String replayedChecksum = now.getCheckpointChecksum();
            now.setCheckpointChecksum(was.getCheckpointChecksum());
            if (!was.equals(now)) {
                differences.add("outcome: recorded " + was + ", replayed " + now);
            }
            comparePredictions(task, was, scratch, replayedChecksum);
        } else if (!Objects.equals(original.getPayload(), replayed.getPayload())) {
            differences.add("outcome: recorded " + original.getPayload() + ", replayed " + replayed.getPayload());
        }
    }

    /** When the recorded checkpoint is still in the registry, the replayed model must score every validation row the same. */
    private void comparePredictions(CellTask task, CellCompleted recorded, Path scratch, String replayedChecksum) {
        Path file = Path.of(URI.create(recorded.getCheckpoint()));
        if (!Files.isRegularFile(file)) {
            System.out.println("recorded checkpoint " + file + " is not here; compared the reported metrics only");
            return;
        }
        Model<Label> original = ModelRegistry.load(recorded.getCheckpoint(), recorded.getCheckpointChecksum());
        Path replayedFile = scratch.resolve("models");
        Model<Label> replayed;
        try (var files = Files.walk(replayedFile)) {
            Path model = files.filter(p -> p.getFileName().toString().endsWith(".ser")).findFirst().orElseThrow();
            replayed = ModelRegistry.load(model.toUri().toString(), replayedChecksum);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<DatasetRow> rows = DatasetReader.read(task.getValidationSplit());
        String[] names = task.getFeatureNames().toArray(String[]::new);
        int differing = 0;
        for (DatasetRow row : rows) {
            var example = CellTrainer.example(row, names);
            if (!original.predict(example).getOutputScores().toString().equals(replayed.predict(example).getOutputScores().toString())) {
                differing++;
            }
        }
        if (differing > 0) {
            differences.add(differing + " of " + rows.size() + " validation rows score differently under the replayed model");
        }
        System.out.printf("scored %d validation rows with the recorded checkpoint and the replayed model: %d differ%n", rows.size(), differing);
    }

    /**
     * The coordinator's debates: each opening argued again, advocates and judge as they were (rules, or the model
     * named in the trail), every model call answered from the recorded {@link ModelCalled} events. Nothing is sent to
     * a model; a prompt rendered differently from the recorded one is a difference, named by its call.
     */
    private void coordinator(List<RunEvent> events) {
        List<RunEvent> openings = events.stream().filter(e -> e.getPayload() instanceof DebateOpened).toList();
        if (openings.isEmpty()) {
            throw new IllegalStateException("run " + runId + " held no debate at the gate; `meshctl replay " + runId
                    + " --verify` re-derives the coordinator's state");
        }
        int answered = 0;
        for (RunEvent opened : openings) {
            String id = opened.getEnvelope().getEventId();
            List<RunEvent> recorded = events.stream().filter(e -> id.equals(e.getEnvelope().getCausationId())
                    && "coordinator".equals(e.getEnvelope().getAgentRole())).toList();
            List<ModelCalled> calls = recorded.stream().map(RunEvent::getPayload).filter(p -> p instanceof ModelCalled)
                    .map(p -> (ModelCalled) p).toList();
            RecordedModelPort port = new RecordedModelPort(calls);
            String advocates = recorded.stream().map(RunEvent::getPayload).filter(p -> p instanceof DebateArgued)
                    .map(p -> ((DebateArgued) p).getAdvocate()).findFirst()
                    .orElse(calls.stream().anyMatch(c -> !c.getPurpose().equals("debate:judge")) ? "model:" : "rules");
            String judge = recorded.stream().map(RunEvent::getPayload).filter(p -> p instanceof DebateJudged)
                    .map(p -> ((DebateJudged) p).getJudge()).findFirst().orElse("rules");
            Envelope last = recorded.isEmpty() ? opened.getEnvelope() : recorded.get(recorded.size() - 1).getEnvelope();
            GateDebate debate = new GateDebate(judgment(advocates, calls, port), judgment(judge, calls, port));
            List<RunEvent> replayed;
            try {
                replayed = debate.run(opened, new Envelopes("coordinator", last.getAgentInstance(),
                        Clock.fixed(last.getOccurredAt(), ZoneOffset.UTC)), SpendLimit.NONE);
            } catch (ReplayMismatchException e) {
                differences.add("debate " + id + ": " + e.getMessage());
                continue;
            }
            answered += port.answered();
            System.out.printf("coordinator's debate %s: %d events replayed (advocates %s, judge %s)%n", id, replayed.size(),
                    advocates, judge);
            for (RunEvent again : replayed) {
                RunEvent original = recorded.stream().filter(e -> e.getEnvelope().getEventId().equals(again.getEnvelope().getEventId()))
                        .findFirst().orElse(null);
                if (original == null) {
                    differences.add("event " + again.getEnvelope().getEventId() + " (" + ReplayCommand.describe(again) + ") was not recorded");
                } else if (!original.getPayload().equals(again.getPayload())) {
                    differences.add("event " + original.getEnvelope().getEventId() + ": recorded " + ReplayCommand.describe(original)
                            + ", replayed " + ReplayCommand.describe(again));
                }
            }
        }
        System.out.printf("model calls answered from the recording: %d; calls made to a model: 0%n", answered);
    }

    /**
     * A specialist's model judgment, for each request it answered: the question rendered again from the recorded
     * request and the rules' measurements its answer carries, every call answered from the recorded ones. A specialist
     * judged by its rules computed its verdict from artifacts and thresholds its evidence names; nothing of it is a
     * model call to replay, and it is reported as such.
     */
    private void specialist(List<RunEvent> events) {
        int answered = 0;
        for (RunEvent request : events) {
            if (!(request.getPayload() instanceof AssessmentRequested asked) || !asked.getSpecialist().equals(role)) {
                continue;
            }
            String id = request.getEnvelope().getEventId();
            List<RunEvent> recorded = events.stream().filter(e -> id.equals(e.getEnvelope().getCausationId())
                    && role.equals(e.getEnvelope().getAgentRole())).toList();
            List<ModelCalled> calls = recorded.stream().map(RunEvent::getPayload).filter(p -> p instanceof ModelCalled)
                    .map(p -> (ModelCalled) p).toList();
            AssessmentReturned answer = recorded.stream().map(RunEvent::getPayload).filter(p -> p instanceof AssessmentReturned)
                    .map(p -> (AssessmentReturned) p).findFirst().orElse(null);
            if (calls.isEmpty()) {
                System.out.printf("%s on request %s: judged by its rules (%s), no model call to replay%n", role, id,
                        answer == null ? "no answer recorded" : answer.getVerdict());
                continue;
            }
            if (answer == null) {
                ModelCalled last = calls.get(calls.size() - 1);
                System.out.printf("%s on request %s: no assessment recorded; the judgment failed (%s: %s)%n", role, id,
                        last.getOutcome(), last.getReason());
                continue;
            }
            RecordedModelPort port = new RecordedModelPort(calls);
            Judgment judgment = judgment(answer.getEvidence().get(SpecialistJudgment.JUDGMENT), calls, port);
            AssessmentReturned rules = SpecialistJudgment.rulesOf(answer);
            Judged judged;
            try {
                judged = judgment.judge(SpecialistJudgment.question(role, asked.getCandidate(), rules),
                        SpecialistJudgment.rulesAnswer(rules), SpendLimit.NONE);
            } catch (ReplayMismatchException e) {
                differences.add(role + " on request " + id + ": " + e.getMessage());
                continue;
            }
            answered += port.answered();
            if (!judged.calls().equals(calls)) {
                differences.add(role + " on request " + id + ": the calls differ from the recorded ones");
            }
            AssessmentReturned again = judged.usable() ? SpecialistJudgment.assessed(role, rules, judged, judgment) : null;
            if (!answer.equals(again)) {
                differences.add(role + " on request " + id + ": recorded " + answer.getVerdict() + " (" + answer.getSummary()
                        + "), replayed " + (again == null ? "no answer: " + judged.failure() : again.getVerdict() + " ("
                        + again.getSummary() + ")"));
            }
            System.out.printf("%s on request %s: %s by %s, %d call(s) replayed%n", role, id, answer.getVerdict(), judgment.name(),
                    calls.size());
        }
        System.out.printf("model calls answered from the recording: %d; calls made to a model: 0%n", answered);
    }

    /** The judgment named in the trail: the rules, or the recorded model with the parameters its calls carried. */
    private static Judgment judgment(String name, List<ModelCalled> calls, RecordedModelPort port) {
        if (!name.startsWith("model:")) {
            return Judgment.rules();
        }
        String model = name.substring("model:".length());
        ModelCalled made = calls.stream().filter(c -> model.isEmpty() || c.getModel().equals(model)).findFirst()
                .orElseThrow(() -> new IllegalStateException("the trail names " + name + " but no call of it is recorded"));
        int attempts = calls.stream().mapToInt(ModelCalled::getCallIndex).max().orElse(1);
        return new ModelJudgment(port, ModelSettings.recorded(made.getModel(), made.getParameters(), attempts));
    }

}
