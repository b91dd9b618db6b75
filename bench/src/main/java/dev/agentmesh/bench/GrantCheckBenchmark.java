package dev.agentmesh.bench;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.grants.ActionRequest;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.grants.GrantKeys;
import dev.agentmesh.grants.GrantLedger;
import dev.agentmesh.grants.Grants;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topics;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.security.KeyPair;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The grant check a service makes per action, on the design's chain principal → operator → orchestrator → trainer
 * in a ledger of 1,000 other grants, against the baseline every consumer pays anyway: decoding the action's event.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class GrantCheckBenchmark {

    GrantLedger ledger;
    ActionRequest allowed;
    ActionRequest refused;
    MeshCodec<RunEvent> codec;
    byte[] encodedEvent;

    @Setup
    public void setUp() {
        Instant now = Instant.now();
        Instant expiry = now.plusSeconds(86_400);
        KeyPair principal = GrantKeys.generate();
        KeyPair operator = GrantKeys.generate();
        KeyPair orchestrator = GrantKeys.generate();
        KeyPair trainer = GrantKeys.generate();
        ledger = new GrantLedger(principal.getPublic());
        GrantIssued root = Grants.root(principal, "principal", "pipeline-operator", operator.getPublic(),
                Grants.scope(List.of(Actions.SCHEDULE_RUNS, Actions.SPEND_COMPUTE, Actions.WRITE_CHECKPOINTS),
                        List.of("pipeline:nightly", "run:*"), null), expiry, 4);
        GrantIssued sweep = Grants.delegate(root, operator, "sweep-orchestrator", orchestrator.getPublic(),
                Grants.scope(List.of(Actions.SPEND_COMPUTE, Actions.WRITE_CHECKPOINTS), List.of("run:*"), 1_000_000_000L),
                expiry, 3);
        GrantIssued train = Grants.delegate(sweep, orchestrator, "trainer", trainer.getPublic(),
                Grants.scope(List.of(Actions.WRITE_CHECKPOINTS), List.of("run:*"), 1_000_000_000L), expiry, 3);
        ledger.issue(root, now);
        ledger.issue(sweep, now);
        ledger.issue(train, now);
        for (int i = 0; i < 1_000; i++) {
            ledger.issue(Grants.delegate(root, operator, "other-" + i, trainer.getPublic(),
                    Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("run:r" + i), 10L), expiry, 2), now);
        }
        allowed = new ActionRequest(train.getGrantId(), Actions.WRITE_CHECKPOINTS, "run:nightly-1", 2, 5, now);
        refused = new ActionRequest(train.getGrantId(), Actions.DEPLOY, "run:nightly-1", 2, 5, now);
        if (!ledger.authorize(allowed).allowed() || ledger.authorize(refused).allowed()) {
            throw new IllegalStateException("benchmark setup is wrong");
        }
        codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.inMemoryStore());
        encodedEvent = codec.encode(RunEvents.started(new Envelopes("trainer", "t-1").origin("nightly-1", train.getGrantId()),
                "train"));
    }

    @Benchmark
    public Decision grantCheckAllowed() {
        return ledger.authorize(allowed);
    }

    @Benchmark
    public Decision grantCheckRefused() {
        return ledger.authorize(refused);
    }

    /** Baseline: decoding the action event the check guards. */
    @Benchmark
    public RunEvent baselineDecodeActionEvent() {
        return codec.decode(encodedEvent);
    }
}
