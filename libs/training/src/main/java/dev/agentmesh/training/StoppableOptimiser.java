package dev.agentmesh.training;

import com.oracle.labs.mlrg.olcut.provenance.ConfiguredObjectProvenance;
import org.tribuo.math.Parameters;
import org.tribuo.math.StochasticGradientOptimiser;
import org.tribuo.math.la.Tensor;

/**
 * Wraps a Tribuo optimiser so that every gradient step first asks the {@link StopSignal}. Tribuo calls the optimiser
 * once per minibatch, so a cancellation or a timeout stops training within one minibatch, not at the end of it.
 */
final class StoppableOptimiser implements StochasticGradientOptimiser {

    private final StochasticGradientOptimiser inner;
    private final StopSignal signal;

    StoppableOptimiser(StochasticGradientOptimiser inner, StopSignal signal) {
        this.inner = inner;
        this.signal = signal;
    }

    @Override
    public void initialise(Parameters parameters) {
        inner.initialise(parameters);
    }

    @Override
    public Tensor[] step(Tensor[] updates, double weight) {
        signal.check().ifPresent(stop -> {
            throw stop;
        });
        return inner.step(updates, weight);
    }

    @Override
    public void finalise() {
        inner.finalise();
    }

    @Override
    public void reset() {
        inner.reset();
    }

    @Override
    public StochasticGradientOptimiser copy() {
        return new StoppableOptimiser(inner.copy(), signal);
    }

    @Override
    public ConfiguredObjectProvenance getProvenance() {
        return inner.getProvenance();
    }
}
