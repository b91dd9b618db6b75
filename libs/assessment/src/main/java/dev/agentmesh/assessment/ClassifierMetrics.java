package dev.agentmesh.assessment;

import java.util.Arrays;
import java.util.Comparator;

/** Log loss, ROC AUC and accuracy of positive-class probabilities against the truth. */
public record ClassifierMetrics(int n, double logLoss, double auc, double accuracy) {

    private static final double MIN_PROBABILITY = 1e-15;

    public static ClassifierMetrics of(double[] positiveProbability, boolean[] positive) {
        if (positiveProbability.length != positive.length || positive.length == 0) {
            throw new IllegalArgumentException("need as many probabilities as labels, and at least one");
        }
        int n = positive.length;
        double loss = 0;
        int correct = 0;
        for (int i = 0; i < n; i++) {
            double p = Math.min(1 - MIN_PROBABILITY, Math.max(MIN_PROBABILITY, positiveProbability[i]));
            loss += positive[i] ? -Math.log(p) : -Math.log(1 - p);
            if ((positiveProbability[i] >= 0.5) == positive[i]) {
                correct++;
            }
        }
        return new ClassifierMetrics(n, loss / n, auc(positiveProbability, positive), (double) correct / n);
    }

    /** Mann-Whitney: the chance a random positive scores above a random negative, ties counting half. */
    static double auc(double[] score, boolean[] positive) {
        Integer[] order = new Integer[score.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> score[i]));
        double rankSumPositives = 0;
        long positives = 0;
        for (int i = 0; i < order.length; ) {
            int j = i;
            while (j + 1 < order.length && score[order[j + 1]] == score[order[i]]) {
                j++;
            }
            double averageRank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                if (positive[order[k]]) {
                    rankSumPositives += averageRank;
                    positives++;
                }
            }
            i = j + 1;
        }
        long negatives = score.length - positives;
        if (positives == 0 || negatives == 0) {
            return Double.NaN;
        }
        return (rankSumPositives - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
    }
}
