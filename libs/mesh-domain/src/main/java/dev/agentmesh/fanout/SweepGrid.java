package dev.agentmesh.fanout;

import dev.agentmesh.core.ShippedYaml;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.agentmesh.sweep.CellConfig;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A sweep grid, read from YAML: architectures × learning rates × batch sizes, and the fan-out policy that runs it.
 * The cells are the grid's cartesian product, in file order.
 */
public record SweepGrid(
        String name,
        String description,
        List<Architecture> architectures,
        @JsonProperty("learning_rates") List<Double> learningRates,
        @JsonProperty("batch_sizes") List<Integer> batchSizes,
        int epochs,
        long seed,
        FanOutPolicy policy,
        List<String> pipeline) {

    public static final String LOGISTIC = "logistic";

    /** The steps a cell's pipeline may have, in the order they may run: training first, always. */
    public static final String TRAIN = "train";
    public static final String CALIBRATE = "calibrate";
    public static final String EVALUATE = "evaluate";
    public static final List<String> STEPS = List.of(TRAIN, CALIBRATE, EVALUATE);
    public static final String FACTORIZATION_MACHINE = "factorization-machine";

    /**
     * A model family with its fixed settings; {@code epochs} overrides the grid's. {@code resource_class} sends its
     * cells to the trainer pool of that class (trainers with {@code mesh.trainer.resource-class} set to it).
     */
    public record Architecture(String name, String kind, Integer factors, Integer epochs,
                               @JsonProperty("resource_class") String resourceClass) {
    }

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .registerModule(new JavaTimeModule())
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    public static SweepGrid read(InputStream yaml) {
        try {
            return YAML.readValue(yaml, SweepGrid.class).checked();
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid sweep grid: " + e.getMessage(), e);
        }
    }

    /** A grid shipped with the mesh ({@code sweeps/<name>.yaml} on the classpath), or a YAML file path. */
    public static SweepGrid load(String nameOrPath) {
        return ShippedYaml.load("sweeps", nameOrPath, "sweep grid", SweepGrid::read);
    }

    SweepGrid checked() {
        require(name != null && !name.isBlank(), "name is required");
        require(architectures != null && !architectures.isEmpty(), "at least one architecture");
        require(learningRates != null && !learningRates.isEmpty(), "at least one learning rate");
        require(batchSizes != null && !batchSizes.isEmpty(), "at least one batch size");
        require(epochs > 0, "epochs must be positive");
        require(policy != null, "policy is required");
        Set<String> names = new HashSet<>();
        for (Architecture a : architectures) {
            require(a.name() != null && names.add(a.name()), "architecture names must be present and distinct");
            require(LOGISTIC.equals(a.kind()) || FACTORIZATION_MACHINE.equals(a.kind()),
                    "architecture " + a.name() + ": kind must be " + LOGISTIC + " or " + FACTORIZATION_MACHINE);
            require(!FACTORIZATION_MACHINE.equals(a.kind()) || (a.factors() != null && a.factors() > 0),
                    "architecture " + a.name() + ": a factorization machine needs factors > 0");
            require(a.resourceClass() == null || a.resourceClass().matches("[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?"),
                    "architecture " + a.name() + ": resource_class must be a short lower-case name (a-z, 0-9, -), was '"
                            + a.resourceClass() + "'");
        }
        for (int b : batchSizes) {
            require(b > 0, "batch sizes must be positive");
        }
        if (pipeline != null && !pipeline.isEmpty()) {
            require(pipeline.get(0).equals(TRAIN), "pipeline must start with " + TRAIN + ", was " + pipeline);
            int last = -1;
            for (String step : pipeline) {
                int at = STEPS.indexOf(step);
                require(at >= 0, "pipeline step '" + step + "' is not one of " + STEPS);
                require(at > last, "pipeline steps run once each, in the order " + STEPS + "; was " + pipeline);
                last = at;
            }
        }
        policy.check(cellCount());
        return this;
    }

    public int cellCount() {
        return architectures.size() * learningRates.size() * batchSizes.size();
    }

    /** Every cell, architecture-major; {@code seed} is the run's (the grid's own when null). */
    public List<CellConfig> cells(Long seedOverride) {
        long runSeed = seedOverride != null ? seedOverride : seed;
        List<CellConfig> cells = new ArrayList<>();
        for (Architecture a : architectures) {
            for (double lr : learningRates) {
                for (int batch : batchSizes) {
                    cells.add(new CellConfig(cellId(a.name(), lr, batch), a.name(), a.kind(),
                            a.factors() == null ? 0 : a.factors(), lr, batch, a.epochs() != null ? a.epochs() : epochs,
                            runSeed, pipeline == null || pipeline.equals(List.of(TRAIN)) ? List.of() : pipeline, a.resourceClass()));
                }
            }
        }
        return cells;
    }

    static String cellId(String architecture, double lr, int batch) {
        return architecture + "-lr" + String.format(Locale.ROOT, "%s", lr) + "-b" + batch;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("invalid sweep grid: " + message);
        }
    }
}
