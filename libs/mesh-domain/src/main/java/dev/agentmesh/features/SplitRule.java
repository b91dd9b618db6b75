package dev.agentmesh.features;

import dev.agentmesh.contract.DataContract;
import dev.agentmesh.data.Split;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;

/**
 * Assigns a row to train, validation or test by its id alone (the contract's {@code split: {by: id}}), so the
 * assignment is stable across runs, replays and retries.
 */
public record SplitRule(long seed, double train, double validation) {

    public static SplitRule of(DataContract contract) {
        Map<String, Object> split = contract.split() == null ? Map.of() : contract.split();
        Object by = split.getOrDefault("by", "id");
        if (!"id".equals(by)) {
            throw new IllegalArgumentException("split by '" + by + "' is not supported yet (only by id)");
        }
        double train = ((Number) split.getOrDefault("train", 0.7)).doubleValue();
        double validation = ((Number) split.getOrDefault("validation", 0.15)).doubleValue();
        double test = ((Number) split.getOrDefault("test", 1.0 - train - validation)).doubleValue();
        if (Math.abs(train + validation + test - 1.0) > 1e-9 || train <= 0 || validation < 0 || test < 0) {
            throw new IllegalArgumentException("split fractions must be non-negative and sum to 1: " + split);
        }
        return new SplitRule(((Number) split.getOrDefault("seed", 0)).longValue(), train, validation);
    }

    public Split assign(long rowIndex) {
        double u = unit(rowIndex);
        return u < train ? Split.TRAIN : u < train + validation ? Split.VALIDATION : Split.TEST;
    }

    private double unit(long rowIndex) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(
                    (seed + ":" + rowIndex).getBytes(StandardCharsets.UTF_8));
            return (ByteBuffer.wrap(digest).getLong() >>> 11) * 0x1.0p-53;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
