package dev.agentmesh.meshctl;

import dev.agentmesh.gate.AssessmentRequested;
import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.judgment.ModelCalled;
import dev.agentmesh.gate.DelegationRefused;
import dev.agentmesh.gate.DebateArgued;
import dev.agentmesh.gate.DebateJudged;
import dev.agentmesh.gate.DebateOpened;
import dev.agentmesh.gate.GateDecided;
import dev.agentmesh.gate.ModelDeployed;
import dev.agentmesh.gate.PrincipalDecided;
import java.time.Instant;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.replay.RunReplay;
import dev.agentmesh.run.DatasetPublished;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunTriggered;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.run.StageFailed;
import dev.agentmesh.run.StageStarted;
import dev.agentmesh.runstate.RunStateJson;
import dev.agentmesh.sweep.CellCancelled;
import dev.agentmesh.sweep.CellCompleted;
import dev.agentmesh.sweep.CellDispatched;
import dev.agentmesh.sweep.CellFailed;
import dev.agentmesh.sweep.CellStarted;
import dev.agentmesh.sweep.SweepFinished;
import dev.agentmesh.sweep.SweepPlanned;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Rebuild a run from the log with run-state's own reducer: its timeline, its failures, its state "
                + "at any point, and a byte-for-byte check against the live state.",
        subcommands = {ReplayCommand.Export.class, ReplayCommand.Import.class, AgentReplayCommand.class, CounterfactualCommand.class})
public class ReplayCommand implements Callable<Integer> {

    @Mixin
    Connection connection;

    @Option(names = "--run", description = "Run id (optional with --bundle).")
    String runId;

    @Option(names = "--until", description = "Stop after this offset of the run's partition, this time (ISO-8601), or this event id.")
    String until;

    @Option(names = "--verify", description = "Compare the rebuilt state's SHA-256 with the live state's; exit 1 when they differ.")
    boolean verify;

    @Option(names = "--bundle", description = "Read the run from an exported bundle instead of the cluster.")
    Path bundle;

    @Option(names = "--state", description = "Print the rebuilt state as JSON at the end.")
    boolean printState;

    @Option(names = "--quiet", description = "No timeline; only failures, the hash and the verification.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if (runId == null && bundle == null) {
            System.err.println("--run is required (unless --bundle names a bundle)");
            return 2;
        }
        ReplaySource source = bundle != null ? ReplaySource.bundle(bundle, runId) : ReplaySource.live(connection, runId, verify);
        RunReplay.Result result = RunReplay.replay(source.runEvents, source.events::decode, RunReplay.Until.parse(until));
        if (result.state() == null) {
            System.err.println("no events of run " + source.runId + (until == null ? "" : " up to " + until));
            return 1;
        }
        if (!quiet) {
            System.out.printf("%-7s %-24s %-32s %-9s %s%n", "OFFSET", "TIME", "AGENT", "GRANT", "EVENT");
            for (RunReplay.Step step : result.steps()) {
                System.out.println(line(step));
                step.changes().forEach(c -> System.out.println("            " + c));
            }
        }
        System.out.println();
        System.out.println("failures:");
        RunReplay.failures(result).forEach(f -> System.out.println("  " + f));
        for (LoggedRecord dead : source.deadLetters) {
            System.out.printf("  dead letter %s/%d@%d from %s: %s%n", dead.topic(), dead.partition(), dead.offset(),
                    dead.headers().getOrDefault(MeshHeaders.DLQ_SERVICE, "?"), dead.headers().get(MeshHeaders.DLQ_REASON));
        }
        String hash = RunReplay.sha256(result.state());
        System.out.printf("%nrebuilt run %s: %s after %d events; state %s%n", source.runId, result.state().status(),
                result.state().eventCount(), hash);
        if (printState) {
            System.out.println(RunStateJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(result.state()));
        }
        if (!verify) {
            return 0;
        }
        if (source.liveState == null) {
            System.out.println("verify: no live state to compare with (run-state unreachable, or not in the bundle)");
            return 1;
        }
        String liveHash = RunReplay.sha256(source.liveState.getBytes(StandardCharsets.UTF_8));
        if (liveHash.equals(hash)) {
            System.out.println("verified: identical to the live state " + liveHash);
            return 0;
        }
        System.out.println("MISMATCH: live state " + liveHash + " differs from the rebuilt " + hash + ":");
        JsonNode live = RunStateJson.MAPPER.readTree(source.liveState);
        RunReplay.diff(live, RunStateJson.MAPPER.valueToTree(result.state())).forEach(d -> System.out.println("  live -> rebuilt " + d));
        return 1;
    }

    static String line(RunReplay.Step step) {
        LoggedRecord r = step.record();
        if (step.event() == null) {
            return String.format("%-7d %-24s %-32s %-9s UNDECODABLE: %s", r.offset(), Instant.ofEpochMilli(r.timestamp()),
                    "?", "", step.undecodable());
        }
        var e = step.event().getEnvelope();
        String grant = e.getGrantId() == null ? "-" : e.getGrantId().substring(0, Math.min(8, e.getGrantId().length()));
        return String.format("%-7d %-24s %-32s %-9s %s", r.offset(), e.getOccurredAt(),
                e.getAgentRole() + "/" + e.getAgentInstance(), grant, describe(step.event()));
    }

    static String describe(RunEvent event) {
        Object p = event.getPayload();
        int attempt = event.getEnvelope().getAttempt();
        if (p instanceof RunTriggered t) {
            return "RunTriggered " + t.getPipeline() + " " + t.getSourceKind() + ":" + t.getSourceLocation() + " plan " + t.getPlannedStages();
        } else if (p instanceof StageStarted s) {
            return "StageStarted " + s.getStage() + " (attempt " + attempt + ")";
        } else if (p instanceof StageCompleted c) {
            return "StageCompleted " + c.getStage() + " " + c.getCounts();
        } else if (p instanceof StageFailed f) {
            return "StageFailed " + f.getStage() + ": " + f.getReason();
        } else if (p instanceof DatasetPublished d) {
            return "DatasetPublished " + d.getChecksum() + " " + d.getCounts();
        } else if (p instanceof SweepPlanned s) {
            return "SweepPlanned " + s.getGrid() + ": " + s.getCells().size() + " cells " + s.getPolicy();
        } else if (p instanceof CellDispatched d) {
            return "CellDispatched " + d.getCellId() + " (attempt " + attempt + ")";
        } else if (p instanceof CellStarted s) {
            return "CellStarted " + s.getCellId() + " (attempt " + attempt + ")";
        } else if (p instanceof CellCompleted c) {
            return String.format("CellCompleted %s (attempt %d) validation loss %.5f", c.getCellId(), attempt, c.getValidationLoss());
        } else if (p instanceof CellFailed f) {
            return "CellFailed " + f.getCellId() + " (attempt " + attempt + "): " + f.getReason();
        } else if (p instanceof CellCancelled c) {
            return "CellCancelled " + c.getCellId() + ": " + c.getReason();
        } else if (p instanceof SweepFinished f) {
            return "SweepFinished " + f.getOutcome() + " winner " + f.getWinnerCellId() + ": " + f.getReason();
        } else if (p instanceof AssessmentRequested r) {
            return "AssessmentRequested from " + r.getSpecialist() + " on " + r.getCandidate().getCellId();
        } else if (p instanceof AssessmentReturned a) {
            return "AssessmentReturned " + a.getSpecialist() + " " + a.getVerdict() + ": " + a.getSummary();
        } else if (p instanceof DelegationRefused d) {
            return "DelegationRefused by " + d.getAgentRole() + " at depth " + d.getDelegationDepth() + ": " + d.getReason();
        } else if (p instanceof GateDecided d) {
            return "GateDecided " + d.getDisposition() + ": " + d.getReason();
        } else if (p instanceof PrincipalDecided d) {
            return "PrincipalDecided " + d.getDecision() + " by " + d.getDecidedBy() + ": " + d.getReason();
        } else if (p instanceof ModelDeployed d) {
            return "ModelDeployed " + d.getAlias() + " of " + d.getContract() + " -> " + d.getCheckpoint() + " by " + d.getDecidedBy();
        } else if (p instanceof DebateOpened d) {
            return "DebateOpened over " + String.join("; ", d.getConflicts()) + " (" + d.getRounds() + " rounds, the judge "
                    + (d.getJudgeDecides() ? "decides" : "recommends") + ")";
        } else if (p instanceof DebateArgued a) {
            return "DebateArgued round " + a.getRound() + " for " + a.getSide() + " (" + a.getAdvocate() + "): " + a.getArgument();
        } else if (p instanceof DebateJudged j) {
            return "DebateJudged " + j.getRuling() + (j.getBinding() ? "" : " (recommended)") + " by " + j.getJudge() + ": "
                    + j.getReason();
        } else if (p instanceof ModelCalled c) {
            return "ModelCalled " + c.getPurpose() + " #" + c.getCallIndex() + " " + c.getModel() + " " + c.getOutcome() + ", "
                    + (c.getInputTokens() + c.getOutputTokens()) + " tokens, " + c.getLatencyMs() + " ms"
                    + (c.getReason() == null ? "" : ": " + c.getReason());
        }
        return p.getClass().getSimpleName();
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write a run's records, their schemas and its live state into one bundle file (gzip JSON).")
    static class Export implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Option(names = "--run", required = true)
        String runId;

        @Option(names = {"-o", "--output"}, required = true, description = "Bundle file to write, e.g. incident.bundle.json.gz.")
        Path output;

        @Override
        public Integer call() {
            boolean withLive;
            try {
                connection.runStateUrl();
                withLive = true;
            } catch (IllegalStateException noRunState) {
                withLive = false;
            }
            ReplayBundle bundle = BundleMasking.mask(ReplaySource.live(connection, runId, withLive).toBundle());
            bundle.write(output);
            System.out.printf("wrote %s: run %s, %d run events, %d cell tasks, %d dead letters, %d schemas, live state %s%n",
                    output, runId, bundle.runEvents().size(), bundle.cellTasks().size(), bundle.deadLetters().size(),
                    bundle.schemas().size(), bundle.liveStateSha256() == null ? "not recorded" : bundle.liveStateSha256());
            System.out.println(bundle.maskedColumns().isEmpty() ? "the run's contract names no sensitive column"
                    : "values of " + bundle.maskedColumns() + " masked in its dead letters and their reasons");
            return 0;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Check a bundle on a machine with no cluster: every record decodes with the bundle's schemas. "
                    + "Then: meshctl replay --bundle FILE [--verify] and meshctl replay agent ... --bundle FILE.")
    static class Import implements Callable<Integer> {
        @Parameters(index = "0", description = "Bundle file.")
        Path file;

        @Override
        public Integer call() {
            ReplaySource source = ReplaySource.bundle(file, null);
            int undecodable = 0;
            for (LoggedRecord r : source.runEvents) {
                try {
                    source.events.decode(r.value());
                } catch (RuntimeException e) {
                    undecodable++;
                }
            }
            RunReplay.Result result = RunReplay.replay(source.runEvents, source.events::decode, null);
            System.out.printf("bundle %s: run %s, %d run events (%d undecodable, as in the log), %d cell tasks, %d dead letters%n",
                    file, source.runId, source.runEvents.size(), undecodable, source.cellTasks.size(), source.deadLetters.size());
            System.out.printf("rebuilt: %s %s; live state at export: %s%n", result.state().status(), RunReplay.sha256(result.state()),
                    source.liveState == null ? "not recorded" : RunReplay.sha256(source.liveState.getBytes(StandardCharsets.UTF_8)));
            return 0;
        }
    }
}
