package dev.agentmesh.coordinator;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.gate.DebateJudged;
import dev.agentmesh.gate.DebateOpened;
import dev.agentmesh.judgment.ModelCalled;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.service.GrantGate;
import dev.agentmesh.service.Judgments;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.service.MeshHandler;
import dev.agentmesh.service.ModelSpend;
import dev.agentmesh.service.StageSupport;
import dev.agentmesh.team.GateDebate;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.util.List;

/**
 * Argues the debates the coordinator opens ({@link DebateOpened}) off its stream threads: advocates and judge are the
 * rules, or a model ({@code mesh.judgment."advocates".mode}, {@code mesh.judgment."judge".mode}), and a model's
 * answers may take seconds. Every call, argument and the ruling go to the run's events under the coordinator's grant;
 * the coordinator decides when the ruling is in.
 */
@ApplicationScoped
public class DebateWorker {

    private static final Logger LOG = Logger.getLogger(DebateWorker.class);

    private final MeshCodecs codecs;
    private final StageSupport stage;
    private final GrantGate grants;
    private final MeterRegistry metrics;
    private final ModelSpend spend;
    private final GateDebate debate;
    private final Envelopes envelopes;
    private final MutinyEmitter<byte[]> out;

    public DebateWorker(MeshCodecs codecs, StageSupport stage, GrantGate grants, MeterRegistry metrics, Judgments judgments,
                        ModelSpend spend,
                        @ConfigProperty(name = "mesh.agent.role") String role,
                        @ConfigProperty(name = "mesh.agent.instance") String instance,
                        @Channel("debate-events") MutinyEmitter<byte[]> out) {
        this.codecs = codecs;
        this.stage = stage;
        this.grants = grants;
        this.metrics = metrics;
        this.spend = spend;
        this.debate = new GateDebate(judgments.judgment(Judgments.ADVOCATES), judgments.judgment(Judgments.JUDGE));
        this.envelopes = new Envelopes(role, instance);
        this.out = out;
    }

    @Incoming("debates")
    @MeshHandler
    @Blocking
    public void onRunEvent(ConsumerRecord<byte[], byte[]> record) {
        RunEvent event = codecs.runEvents().decode(record.value());
        if (!(event.getPayload() instanceof DebateOpened)) {
            return;
        }
        String grantId = event.getEnvelope().getGrantId();
        List<RunEvent> argued = debate.run(event, envelopes, grants.modelAllowance(grantId));
        for (RunEvent e : argued) {
            stage.send(out, e);
            if (e.getPayload() instanceof ModelCalled) {
                spend.charge(e);
            } else if (e.getPayload() instanceof DebateJudged judged) {
                metrics.counter("mesh.gate.debates", "ruling", judged.getRuling().name()).increment();
                LOG.infof("run %s: the judge (%s) rules %s%s - %s", event.getEnvelope().getRunId(), judged.getJudge(),
                        judged.getRuling(), judged.getBinding() ? "" : " (a recommendation)", judged.getReason());
            }
        }
    }
}
