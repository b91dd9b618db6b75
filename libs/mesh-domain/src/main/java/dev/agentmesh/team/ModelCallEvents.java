package dev.agentmesh.team;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.judgment.ModelCalled;
import dev.agentmesh.run.RunEvent;

/** A model call as the run event that records it: caused by {@code cause}, its tokens and money the envelope's cost. */
public final class ModelCallEvents {

    private ModelCallEvents() {
    }

    public static RunEvent of(Envelopes envelopes, Envelope cause, ModelCalled call) {
        Envelope envelope = envelopes.causedBy(cause, "model-" + call.getPurpose() + "-" + call.getCallIndex(),
                call.getLatencyMs());
        envelope.getCost().setTokens(call.getInputTokens() + call.getOutputTokens());
        envelope.getCost().setMoneyMicros(call.getMoneyMicros());
        return new RunEvent(envelope, call);
    }
}
