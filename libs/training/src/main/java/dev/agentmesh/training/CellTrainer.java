package dev.agentmesh.training;

import dev.agentmesh.data.DatasetRow;
import dev.agentmesh.fanout.SweepGrid;
import dev.agentmesh.sweep.CellConfig;
import org.tribuo.Example;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.Prediction;
import org.tribuo.Trainer;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.fm.FMClassificationTrainer;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.StochasticGradientOptimiser;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * Trains one sweep cell with Tribuo on a published dataset and measures it on the validation split: mean log loss,
 * accuracy, and the mean wall time of a single-row prediction. The cell's learning rate, batch size, epochs and seed
 * are the ones used; the same cell on the same rows gives the same model and the same loss.
 */
public final class CellTrainer {

    /** A trained cell and its measurements. */
    public record Trained(Model<Label> model, double validationLoss, double validationAccuracy,
                          double inferenceLatencyMicros, long trainMs) {
    }

    /** The model's loss is not a finite number: the cell diverged (too high a learning rate, for example). */
    public static class Diverged extends RuntimeException {
        public Diverged(String message) {
            super(message);
        }
    }

    private static final double MIN_PROBABILITY = 1e-15;
    private static final OffsetDateTime FIXED_TIME = OffsetDateTime.of(2000, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

    private CellTrainer() {
    }

    public static Trained train(CellConfig cell, List<String> featureNames, List<DatasetRow> trainRows,
                                List<DatasetRow> validationRows, StopSignal stop) {
        if (trainRows.isEmpty() || validationRows.isEmpty()) {
            throw new IllegalArgumentException("the dataset has " + trainRows.size() + " train and "
                    + validationRows.size() + " validation rows; both must be non-empty");
        }
        String[] names = featureNames.toArray(String[]::new);
        LabelFactory labels = new LabelFactory();
        MutableDataset<Label> train = new MutableDataset<>(
                new SimpleDataSourceProvenance("published dataset, train split", FIXED_TIME, labels), labels);
        for (DatasetRow row : trainRows) {
            train.add(example(row, names));
        }
        stop.check().ifPresent(s -> {
            throw s;
        });
        long t0 = System.nanoTime();
        Model<Label> model = trainer(cell, stop).train(train);
        long trainMs = (System.nanoTime() - t0) / 1_000_000;

        List<Example<Label>> validation = new ArrayList<>(validationRows.size());
        for (DatasetRow row : validationRows) {
            validation.add(example(row, names));
        }
        double loss = 0;
        int correct = 0;
        for (Example<Label> example : validation) {
            Prediction<Label> prediction = model.predict(example);
            Label predicted = prediction.getOutput();
            if (predicted == null || !Double.isFinite(predicted.getScore())) {
                throw new Diverged("diverged: the model's scores are not finite numbers (learning rate "
                        + cell.getLearningRate() + ")");
            }
            String truth = example.getOutput().getLabel();
            Label scored = prediction.getOutputScores().get(truth);
            loss += -Math.log(Math.max(MIN_PROBABILITY, scored == null ? 0 : scored.getScore()));
            if (predicted.getLabel().equals(truth)) {
                correct++;
            }
        }
        loss /= validation.size();
        return new Trained(model, loss, (double) correct / validation.size(), latencyMicros(model, validation), trainMs);
    }

    /** Mean wall time of one single-row prediction, after one warm-up pass. */
    static double latencyMicros(Model<Label> model, List<Example<Label>> rows) {
        for (Example<Label> e : rows) {
            model.predict(e);
        }
        long t0 = System.nanoTime();
        for (Example<Label> e : rows) {
            model.predict(e);
        }
        return (System.nanoTime() - t0) / 1_000.0 / rows.size();
    }

    static Trainer<Label> trainer(CellConfig cell, StopSignal stop) {
        StochasticGradientOptimiser optimiser = new StoppableOptimiser(new AdaGrad(cell.getLearningRate(), 0.1), stop);
        return switch (cell.getKind()) {
            case SweepGrid.LOGISTIC -> new LinearSGDTrainer(new LogMulticlass(), optimiser, cell.getEpochs(), -1,
                    cell.getBatchSize(), cell.getSeed());
            case SweepGrid.FACTORIZATION_MACHINE -> new FMClassificationTrainer(new LogMulticlass(), optimiser,
                    cell.getEpochs(), -1, cell.getBatchSize(), cell.getSeed(), cell.getFactors(), 0.1);
            default -> throw new IllegalArgumentException("unknown architecture kind '" + cell.getKind() + "'");
        };
    }

    public static Example<Label> example(DatasetRow row, String[] names) {
        List<Double> features = row.getFeatures();
        if (features.size() != names.length) {
            throw new IllegalArgumentException("row " + row.getRowIndex() + " has " + features.size()
                    + " features; the dataset names " + names.length);
        }
        double[] values = new double[names.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = features.get(i);
        }
        return new ArrayExample<>(new Label(row.getLabel()), names, values);
    }
}
