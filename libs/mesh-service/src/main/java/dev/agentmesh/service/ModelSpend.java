package dev.agentmesh.service;

import dev.agentmesh.judgment.ModelCalled;
import dev.agentmesh.run.RunEvent;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Charges a recorded model call to its grant's chain in this process's ledger and counts it:
 * {@code mesh.model.calls{outcome}}, {@code mesh.model.tokens}.
 */
@ApplicationScoped
public class ModelSpend {

    private final GrantGate grants;
    private final MeterRegistry metrics;

    public ModelSpend(GrantGate grants, MeterRegistry metrics) {
        this.grants = grants;
        this.metrics = metrics;
    }

    /** {@code event} must carry a {@link ModelCalled}; its envelope's cost is what the call spent. */
    public void charge(RunEvent event) {
        ModelCalled call = (ModelCalled) event.getPayload();
        long tokens = event.getEnvelope().getCost().getTokens();
        grants.recordModelSpend(event.getEnvelope().getGrantId(), tokens, event.getEnvelope().getCost().getMoneyMicros());
        metrics.counter("mesh.model.calls", "outcome", call.getOutcome().name()).increment();
        metrics.counter("mesh.model.tokens").increment(tokens);
    }
}
