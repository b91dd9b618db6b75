package dev.agentmesh.contract;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Seeded card transactions for the {@code transactions} contract. {@code badRate} plants rows that break the
 * contract (negative amounts, unknown categories, missing fields); {@code drift} in [0, 1] shifts amounts up and
 * the channel mix towards web, so a run can be made large and shifted on purpose; {@code gap} in [0, 1] raises the
 * fraud rate of one region ("south") to plant a subgroup gap. The same spec gives the same rows.
 */
public final class TransactionGenerator {

    public record Spec(long rows, long seed, double badRate, double drift, double gap) {

        public Spec(long rows, long seed, double badRate, double drift) {
            this(rows, seed, badRate, drift, 0.0);
        }

        /** Parses {@code rows=10000,seed=42,bad=0.01,drift=0.2,gap=0.5}; every key is optional. */
        public static Spec parse(String text) {
            Map<String, String> kv = new LinkedHashMap<>();
            for (String part : text.split(",")) {
                String[] pair = part.trim().split("=", 2);
                if (pair.length == 2) {
                    kv.put(pair[0].trim(), pair[1].trim());
                } else if (!part.isBlank()) {
                    throw new IllegalArgumentException("generator spec part '" + part + "' is not key=value");
                }
            }
            Spec spec = new Spec(Long.parseLong(kv.getOrDefault("rows", "10000")), Long.parseLong(kv.getOrDefault("seed", "42")),
                    Double.parseDouble(kv.getOrDefault("bad", "0.0")), Double.parseDouble(kv.getOrDefault("drift", "0.0")),
                    Double.parseDouble(kv.getOrDefault("gap", "0.0")));
            if (spec.rows < 0 || spec.badRate < 0 || spec.badRate > 1 || spec.drift < 0 || spec.drift > 1
                    || spec.gap < 0 || spec.gap > 1) {
                throw new IllegalArgumentException("generator spec out of range: " + text);
            }
            return spec;
        }
    }

    public static final List<String> HEADER = List.of("txn_id", "amount", "merchant_category", "channel", "hour",
            "customer_age", "customer_region", "is_fraud");
    private static final String[] CATEGORIES = {"grocery", "travel", "electronics", "dining", "fuel", "online"};
    /** The region whose fraud rate {@code gap} raises. */
    public static final String GAP_REGION = "south";
    private static final String[] REGIONS = {"north", "south", "east", "west"};

    private TransactionGenerator() {
    }

    /** Every row held in memory (small specs, tests). */
    public static CsvRows.Table generate(Spec spec) {
        List<Map<String, String>> rows = new ArrayList<>((int) Math.min(spec.rows(), Integer.MAX_VALUE));
        stream(spec, rows::add);
        return new CsvRows.Table(HEADER, rows);
    }

    /** Hands each row to {@code each} as it is made, so a spec of any size costs one row of memory. */
    public static void stream(Spec spec, Consumer<Map<String, String>> each) {
        Random random = new Random(spec.seed());
        for (long i = 0; i < spec.rows(); i++) {
            Map<String, String> row = new LinkedHashMap<>();
            double amount = Math.exp(3.5 + random.nextGaussian() + 1.5 * spec.drift());
            String category = CATEGORIES[random.nextInt(CATEGORIES.length)];
            String channel = random.nextDouble() < 0.3 + 0.5 * spec.drift() ? "web" : random.nextBoolean() ? "pos" : "app";
            int hour = random.nextInt(24);
            int age = 18 + random.nextInt(70);
            String region = REGIONS[random.nextInt(REGIONS.length)];
            double risk = -2.0 + 0.0008 * Math.min(amount, 5000) + (channel.equals("web") ? 1.2 : 0)
                    + (hour < 6 ? 1.0 : 0) + (category.equals("electronics") ? 0.8 : 0) + random.nextGaussian() * 0.5
                    + (region.equals(GAP_REGION) ? 3.0 * spec.gap() : 0);
            row.put("txn_id", "t" + spec.seed() + "-" + i);
            row.put("amount", String.format(Locale.ROOT, "%.2f", Math.min(amount, 49_999.0)));
            row.put("merchant_category", category);
            row.put("channel", channel);
            row.put("hour", Integer.toString(hour));
            row.put("customer_age", Integer.toString(age));
            row.put("customer_region", region);
            row.put("is_fraud", risk > 0 ? "yes" : "no");
            if (random.nextDouble() < spec.badRate()) {
                switch (random.nextInt(3)) {
                    case 0 -> row.put("amount", "-" + row.get("amount"));
                    case 1 -> row.put("merchant_category", "casino");
                    default -> row.put("customer_age", "");
                }
            }
            each.accept(row);
        }
    }
}
