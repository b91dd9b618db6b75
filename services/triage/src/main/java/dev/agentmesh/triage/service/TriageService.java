package dev.agentmesh.triage.service;

import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.Map;
import dev.agentmesh.service.ModelSpend;
import dev.agentmesh.service.Judgments;
import dev.agentmesh.judgment.ModelCalled;
import dev.agentmesh.judgment.Judgment;
import dev.agentmesh.judgment.Judged;
import dev.agentmesh.diagnosis.TriageJudgment;
import dev.agentmesh.diagnosis.TriageClassifier;
import dev.agentmesh.diagnosis.FailureClass;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.diagnosis.TriageDecider;
import dev.agentmesh.diagnosis.TriagePolicy;
import dev.agentmesh.grants.ActionRequest;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.grants.Resources;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunStalled;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.run.StageFailed;
import dev.agentmesh.runstate.ActiveRuns;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.service.GrantGate;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.service.MeshHandler;
import dev.agentmesh.service.Outbox;
import dev.agentmesh.service.RunWorker;
import dev.agentmesh.topics.Topic;
import dev.agentmesh.topics.Topics;
import dev.agentmesh.triage.InvestigationRequested;
import dev.agentmesh.triage.RunDiagnosed;
import dev.agentmesh.triage.TriageOpened;
import dev.agentmesh.triage.TriageRequested;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Thin shell around {@link TriageDecider}, run by the {@link TopologyProducer} over every run: a run that fails or
 * stalls under a {@code triage.grant}, or that a person asks about, gets a triage; its deadline is kept by ticks.
 * The supervisor acts one level below the grant it is asked under and delegates one level further; the grant must
 * allow {@code read} on the run at that depth, or the triage is refused with a {@code DelegationRefused}.
 */
@ApplicationScoped
public class TriageService implements RunWorker {

    private static final Logger LOG = Logger.getLogger(TriageService.class);

    private final MeshCodecs codecs;
    private final GrantGate grants;
    private final MeterRegistry metrics;
    private final TriageDecider decider;
    private final TriagePolicy policy;
    private final int hardMaxDepth;
    private final Clock clock = Clock.systemUTC();
    private final Judgment judgment;
    private final ModelSpend spend;
    /** Model classifications under way, by cause: a model's answer takes seconds, so it is not awaited on the stream thread. */
    private final Map<String, CompletableFuture<Judged>> classifying = new ConcurrentHashMap<>();
    private final ExecutorService classifier = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "triage-classifier");
        t.setDaemon(true);
        return t;
    });

    public TriageService(MeshCodecs codecs, GrantGate grants, MeterRegistry metrics, Judgments judgments, ModelSpend spend,
                         @ConfigProperty(name = "mesh.agent.role") String role,
                         @ConfigProperty(name = "mesh.agent.instance") String instance,
                         @ConfigProperty(name = "mesh.triage.timeout") Duration timeout,
                         @ConfigProperty(name = "mesh.triage.max-steps") int maxSteps,
                         @ConfigProperty(name = "mesh.delegation.max-depth", defaultValue = "4") int hardMaxDepth) {
        this.codecs = codecs;
        this.grants = grants;
        this.metrics = metrics;
        this.decider = new TriageDecider(new Envelopes(role, instance, clock));
        this.policy = new TriagePolicy(timeout, maxSteps);
        this.hardMaxDepth = hardMaxDepth;
        this.judgment = judgments.judgment(TriageJudgment.PURPOSE);
        this.spend = spend;
    }

    @Override
    public String stage() {
        return null;
    }

    /** A settled run comes back when it fails or stalls again, is resumed, or a person asks about it. */
    @Override
    public boolean reopens(RunEvent event) {
        Object p = event.getPayload();
        return p instanceof TriageRequested || p instanceof StageFailed || p instanceof RunStalled
                || p instanceof StageCompleted && event.getEnvelope().getAttempt() > 1;
    }

    @Override
    public List<Topic<?, ?>> outputs() {
        return List.of(Topics.RUN_EVENTS);
    }

    @Override
    @MeshHandler
    public void handle(LoggedRecord record, ActiveRuns runs, Outbox out) {
        RunEvent event = codecs.runEvents().decode(record.value());
        runs.fold(event).ifPresent(state -> act(state, runs, out));
    }

    @Override
    public void tick(ActiveRuns runs, Outbox out) {
        grants.batch(() -> {
            for (RunState state : runs.all()) {
                boolean investigating = state.triage() != null && state.triage().current().isPresent()
                        && state.triage().currentDiagnosis().isEmpty();
                boolean classifyingIt = !classifying.isEmpty() && TriageDecider.requested(state)
                        .or(() -> TriageDecider.automatic(state)).map(c -> classifying.containsKey(c.eventId())).orElse(false);
                if (investigating || classifyingIt) {
                    act(state, runs, out);
                }
            }
        });
    }

    private void act(RunState state, ActiveRuns runs, Outbox out) {
        if (!state.triggered()) {
            runs.put(state);
            return;
        }
        RunState before = state;
        Optional<TriageDecider.Cause> cause = TriageDecider.requested(before).or(() -> TriageDecider.automatic(before));
        if (cause.isPresent()) {
            TriageDecider.Authority authority = authority(state, cause.get());
            Optional<TriageJudgment.Classification> classified = authority.decision().allowed()
                    ? classify(state, cause.get()) : Optional.of(TriageJudgment.Classification.byRules(state));
            if (classified.isEmpty()) {
                runs.put(state); // the model is still answering: a tick comes back for it
                return;
            }
            state = send(state, decider.open(state, cause.get(), authority, policy, clock.instant(), classified.get()), out);
        }
        state = send(state, decider.next(state, clock.instant()), out);
        boolean waiting = state.triage() != null && state.triage().current().isPresent()
                && state.triage().currentDiagnosis().isEmpty();
        if (!waiting && (state.status().terminal() || state.status() == RunStatus.STALLED)) {
            runs.settle(state);
        } else {
            runs.put(state);
        }
    }

    /**
     * The rules' classes at once; a model's once it has answered (asked off the stream thread, under the triage grant's
     * model allowance), empty until then. A restart asks again: the calls are recorded when the triage opens.
     */
    private Optional<TriageJudgment.Classification> classify(RunState state, TriageDecider.Cause cause) {
        if (judgment == Judgment.rules()) {
            return Optional.of(TriageJudgment.Classification.byRules(state));
        }
        List<FailureClass> rules = TriageClassifier.classify(state);
        CompletableFuture<Judged> judged = classifying.computeIfAbsent(cause.eventId(), id -> CompletableFuture.supplyAsync(
                () -> judgment.judge(TriageJudgment.question(state, rules), TriageJudgment.rulesAnswer(rules),
                        grants.modelAllowance(cause.grantId())), classifier)
                .exceptionally(e -> Judged.failed(String.valueOf(e.getMessage()), List.of())));
        if (!judged.isDone()) {
            return Optional.empty();
        }
        classifying.remove(cause.eventId());
        return Optional.of(TriageJudgment.classified(judged.join(), rules, judgment));
    }

    private RunState send(RunState state, List<RunEvent> events, Outbox out) {
        for (RunEvent e : events) {
            out.send(e);
            state = RunStateReducer.apply(state, e);
            if (e.getPayload() instanceof ModelCalled) {
                spend.charge(e);
            } else if (e.getPayload() instanceof TriageOpened o) {
                metrics.counter("mesh.triage.opened").increment();
                LOG.infof("run %s: triage %s opened: %s (by %s) -> %s", state.runId(), o.getTriageId(), o.getClasses(),
                        o.getClassifiedBy(), o.getInvestigators());
            } else if (e.getPayload() instanceof RunDiagnosed d) {
                metrics.counter("mesh.triage.diagnoses", "missing", Boolean.toString(!d.getMissing().isEmpty())).increment();
                LOG.infof("run %s: diagnosed %s; missing %s; proposed %s: %s", state.runId(), d.getClasses(), d.getMissing(),
                        d.getRemediation().getKind(), d.getRemediation().getDescription());
            } else if (e.getPayload() instanceof InvestigationRequested r) {
                LOG.debugf("run %s: asked %s about %s", state.runId(), r.getInvestigator(), r.getFailureClass());
            } else {
                metrics.counter("mesh.triage.refused").increment();
                LOG.infof("run %s: triage refused: %s", state.runId(), e.getPayload());
            }
        }
        return state;
    }

    /**
     * The supervisor acts at the cause's depth + 1 and its investigators one below: the grant must allow reading the
     * run at the investigators' depth, within the mesh's hard maximum.
     */
    private TriageDecider.Authority authority(RunState state, TriageDecider.Cause cause) {
        int investigatorsDepth = cause.depth() + 2;
        if (cause.grantId() == null) {
            return new TriageDecider.Authority(Decision.refused("the request names no grant"), 0);
        }
        GrantGate.Assessment assessed = grants.assess(new ActionRequest(cause.grantId(), Actions.READ,
                Resources.run(state.runId()), investigatorsDepth, 0, clock.instant()));
        int max = assessed.entry().map(e -> e.grant().getMaxDepth()).orElse(hardMaxDepth);
        if (investigatorsDepth > hardMaxDepth) {
            return new TriageDecider.Authority(Decision.refused(Decision.Refusal.OVER_DEPTH, "delegation depth "
                    + investigatorsDepth + " exceeds the mesh's hard maximum " + hardMaxDepth), hardMaxDepth);
        }
        return new TriageDecider.Authority(assessed.decision(), max);
    }
}
