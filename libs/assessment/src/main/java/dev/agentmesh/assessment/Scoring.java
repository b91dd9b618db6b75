package dev.agentmesh.assessment;

import dev.agentmesh.dataset.DatasetWriter;
import dev.agentmesh.data.DatasetRow;
import dev.agentmesh.data.Split;
import dev.agentmesh.dataset.DatasetReader;
import dev.agentmesh.training.CellTrainer;
import org.tribuo.Model;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;

import java.util.List;

/** A model's positive-class probability for each row of a published dataset. */
public final class Scoring {

    private Scoring() {
    }

    /** The rows of one split of the dataset at {@code location} (a directory URI). */
    public static List<DatasetRow> split(String location, Split split) {
        return DatasetReader.read(splitUri(location, split));
    }

    public static String splitUri(String location, Split split) {
        return (location.endsWith("/") ? location : location + "/") + DatasetWriter.fileName(split);
    }

    public static double[] positiveProbabilities(Model<Label> model, List<String> featureNames, List<DatasetRow> rows,
                                                 String positiveLabel) {
        String[] names = featureNames.toArray(String[]::new);
        double[] p = new double[rows.size()];
        for (int i = 0; i < p.length; i++) {
            Prediction<Label> prediction = model.predict(CellTrainer.example(rows.get(i), names));
            Label scored = prediction.getOutputScores().get(positiveLabel);
            p[i] = scored == null ? 0.0 : scored.getScore();
        }
        return p;
    }

    public static boolean[] positives(List<DatasetRow> rows, String positiveLabel) {
        boolean[] y = new boolean[rows.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = rows.get(i).getLabel().equals(positiveLabel);
        }
        return y;
    }
}
