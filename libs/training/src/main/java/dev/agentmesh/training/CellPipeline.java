package dev.agentmesh.training;

import dev.agentmesh.data.DatasetRow;
import dev.agentmesh.fanout.SweepGrid;
import dev.agentmesh.sweep.CellConfig;
import org.tribuo.Example;
import org.tribuo.Model;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * A sweep cell's pipeline, run in order by the trainer that owns the cell: {@code train} (always first), then
 * {@code calibrate} (temperature scaling of the class probabilities on the validation split) and {@code evaluate}
 * (log loss and accuracy on the held-out test split, with the calibration when there is one). Each step's
 * measurements are its result; a step that cannot run fails the cell with that step's reason. The steps share only
 * what the pipeline hands on (the model, the temperature): nothing of theirs leaks into the sweep's state.
 */
public final class CellPipeline {

    /** The trained cell and every step's result, in order. */
    public record Result(CellTrainer.Trained trained, List<ModelRegistry.Step> steps) {
    }

    /** A step after training could not run: the cell fails with this step named. */
    public static final class StepFailed extends RuntimeException {
        private final String step;

        StepFailed(String step, String reason) {
            super("step " + step + ": " + reason);
            this.step = step;
        }

        public String step() {
            return step;
        }
    }

    static final double MIN_TEMPERATURE = 0.05;
    static final double MAX_TEMPERATURE = 20.0;
    private static final double MIN_PROBABILITY = 1e-15;

    private CellPipeline() {
    }

    public static List<String> steps(CellConfig cell) {
        return cell.getSteps().isEmpty() ? List.of(SweepGrid.TRAIN) : cell.getSteps();
    }

    public static Result run(CellConfig cell, List<String> featureNames, List<DatasetRow> trainRows,
                             List<DatasetRow> validationRows, Supplier<List<DatasetRow>> testRows, StopSignal stop) {
        String[] names = featureNames.toArray(String[]::new);
        List<ModelRegistry.Step> results = new ArrayList<>();
        long t0 = System.nanoTime();
        CellTrainer.Trained trained = CellTrainer.train(cell, featureNames, trainRows, validationRows, stop);
        results.add(new ModelRegistry.Step(SweepGrid.TRAIN, Map.of("validation.loss", trained.validationLoss(),
                "validation.accuracy", trained.validationAccuracy()), elapsedMs(t0)));
        double temperature = 1.0;
        for (String step : steps(cell).subList(1, steps(cell).size())) {
            stop.check().ifPresent(s -> {
                throw s;
            });
            long t = System.nanoTime();
            Map<String, Double> metrics = new LinkedHashMap<>();
            switch (step) {
                case SweepGrid.CALIBRATE -> {
                    List<Example<Label>> validation = examples(validationRows, names);
                    Set<String> classes = new TreeSet<>();
                    validation.forEach(e -> classes.add(e.getOutput().getLabel()));
                    if (classes.size() < 2) {
                        throw new StepFailed(step, "the validation split holds only " + classes
                                + "; a calibration needs at least two classes to weigh");
                    }
                    List<Scored> scored = scored(trained.model(), validation);
                    temperature = bestTemperature(scored);
                    metrics.put("calibration.temperature", temperature);
                    metrics.put("calibration.loss.before", logLoss(scored, 1.0));
                    metrics.put("calibration.loss.after", logLoss(scored, temperature));
                }
                case SweepGrid.EVALUATE -> {
                    List<Example<Label>> test = examples(testRows.get(), names);
                    if (test.isEmpty()) {
                        throw new StepFailed(step, "the test split is empty: nothing held out to evaluate on");
                    }
                    List<Scored> scored = scored(trained.model(), test);
                    metrics.put("test.loss", logLoss(scored, temperature));
                    metrics.put("test.accuracy", scored.stream().filter(Scored::correct).count() / (double) scored.size());
                    metrics.put("test.rows", (double) scored.size());
                    metrics.put("test.temperature", temperature);
                }
                default -> throw new StepFailed(step, "unknown step; a pipeline has " + SweepGrid.STEPS);
            }
            results.add(new ModelRegistry.Step(step, metrics, elapsedMs(t)));
        }
        // a cell with no pipeline reports no steps: its training is the CellCompleted itself
        return new Result(trained, cell.getSteps().isEmpty() ? List.of() : results);
    }

    /** One example's probability for its true class and whether the model's top class was right. */
    record Scored(double[] probabilities, int truth, boolean correct) {
    }

    static List<Scored> scored(Model<Label> model, List<Example<Label>> examples) {
        List<Scored> out = new ArrayList<>(examples.size());
        for (Example<Label> example : examples) {
            Prediction<Label> prediction = model.predict(example);
            Map<String, Label> scores = prediction.getOutputScores();
            String truth = example.getOutput().getLabel();
            List<String> labels = new ArrayList<>(new TreeSet<>(scores.keySet()));
            if (!labels.contains(truth)) {
                labels.add(truth);
            }
            double[] p = new double[labels.size()];
            for (int i = 0; i < p.length; i++) {
                Label l = scores.get(labels.get(i));
                p[i] = Math.max(MIN_PROBABILITY, l == null ? 0 : l.getScore());
            }
            out.add(new Scored(p, labels.indexOf(truth), prediction.getOutput().getLabel().equals(truth)));
        }
        return out;
    }

    /** Mean log loss with each example's probabilities raised to 1/T and renormalised. */
    static double logLoss(List<Scored> scored, double temperature) {
        double loss = 0;
        for (Scored s : scored) {
            double sum = 0;
            for (double p : s.probabilities()) {
                sum += Math.pow(p, 1 / temperature);
            }
            loss += -Math.log(Math.max(MIN_PROBABILITY, Math.pow(s.probabilities()[s.truth()], 1 / temperature) / sum));
        }
        return loss / scored.size();
    }

    /** The temperature minimising the log loss, by golden-section search on log T. */
    static double bestTemperature(List<Scored> scored) {
        double lo = Math.log(MIN_TEMPERATURE);
        double hi = Math.log(MAX_TEMPERATURE);
        double ratio = (Math.sqrt(5) - 1) / 2;
        double a = hi - ratio * (hi - lo);
        double b = lo + ratio * (hi - lo);
        for (int i = 0; i < 60; i++) {
            if (logLoss(scored, Math.exp(a)) <= logLoss(scored, Math.exp(b))) {
                hi = b;
            } else {
                lo = a;
            }
            a = hi - ratio * (hi - lo);
            b = lo + ratio * (hi - lo);
        }
        return Math.exp((lo + hi) / 2);
    }

    private static List<Example<Label>> examples(List<DatasetRow> rows, String[] names) {
        List<Example<Label>> out = new ArrayList<>(rows.size());
        for (DatasetRow row : rows) {
            out.add(CellTrainer.example(row, names));
        }
        return out;
    }

    private static long elapsedMs(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
