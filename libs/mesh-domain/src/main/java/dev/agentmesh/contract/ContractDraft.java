package dev.agentmesh.contract;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A data contract drafted from a CSV file, for a person to review: each column's type (integer, number, a category
 * when it has few distinct values, else string), its observed range or values, whether it is ever empty, a label
 * guess, and the columns that look like sensitive attributes. The draft is YAML in the contract format, with the
 * guesses marked in comments; it parses as a contract as it stands.
 */
public final class ContractDraft {

    /** A column with at most this many distinct values (and some repetition) is drafted as a category. */
    static final int MAX_CATEGORIES = 20;
    private static final Pattern SENSITIVE = Pattern.compile(
            "(?i).*(age|sex|gender|race|ethnic|religio|marital|personal_status|national|foreign|disab|pregnan).*");
    private static final Set<String> LABEL_NAMES = Set.of("class", "label", "target", "outcome", "y");
    /** Cells that exports commonly write for "no value" (R, pandas, SQL, UCI's {@code ?}). */
    static final Set<String> MISSING_MARKERS = Set.of("NA", "N/A", "na", "n/a", "NaN", "nan", "null", "NULL", "None", "?");

    private ContractDraft() {
    }

    private static final class Profile {
        final String name;
        boolean empty;
        boolean integer = true;
        boolean number = true;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        final TreeSet<String> values = new TreeSet<>();
        final TreeSet<String> markers = new TreeSet<>();
        boolean manyValues;
        long rows;

        Profile(String name) {
            this.name = name;
        }

        void add(String cell) {
            rows++;
            if (cell == null || cell.isBlank()) {
                empty = true;
                return;
            }
            String v = cell.trim();
            if (MISSING_MARKERS.contains(v)) {
                markers.add(v);
                empty = true;
                return;
            }
            if (!manyValues) {
                values.add(v);
                manyValues = values.size() > MAX_CATEGORIES;
            }
            try {
                double d = Double.parseDouble(v);
                min = Math.min(min, d);
                max = Math.max(max, d);
                integer &= d == Math.rint(d) && !v.contains(".") && !v.contains("e") && !v.contains("E");
            } catch (NumberFormatException e) {
                integer = false;
                number = false;
            }
        }

        DataContract.Type type() {
            if (values.isEmpty()) {
                return DataContract.Type.STRING;
            }
            if (number) {
                return integer ? DataContract.Type.INTEGER : DataContract.Type.NUMBER;
            }
            return !manyValues && values.size() < rows ? DataContract.Type.CATEGORY : DataContract.Type.STRING;
        }
    }

    /** The draft for {@code csv}, named {@code name}. */
    public static String infer(Path csv, String name) {
        Map<String, Profile> profiles = new LinkedHashMap<>();
        CsvRows.stream(csv, header -> {
            header.forEach(h -> profiles.put(h, new Profile(h)));
            return !header.isEmpty();
        }, row -> profiles.forEach((column, profile) -> profile.add(row.get(column))));
        if (profiles.isEmpty()) {
            throw new IllegalArgumentException(csv + " is empty: a CSV source starts with a header row");
        }
        String label = guessLabel(profiles);
        List<String> sensitive = profiles.keySet().stream().filter(c -> !c.equals(label) && SENSITIVE.matcher(c).matches())
                .toList();
        Profile labelProfile = label == null ? null : profiles.get(label);
        String positive = labelProfile == null || labelProfile.values.isEmpty() ? null : labelProfile.values.last();

        StringBuilder yaml = new StringBuilder();
        yaml.append("# Drafted by `meshctl contracts infer` from ").append(csv.getFileName()).append(" (")
                .append(profiles.values().iterator().next().rows).append(" rows). Review every line: types, ranges and\n")
                .append("# allowed values are what this file holds, not what the data may hold.\n");
        yaml.append("name: ").append(quote(name)).append('\n');
        yaml.append("version: 1\n");
        yaml.append("description: ").append(quote("Drafted from " + csv.getFileName())).append('\n');
        yaml.append("# GUESS: the label (the column to predict) and its positive value; check both.\n");
        yaml.append("label: ").append(label == null ? "null" : quote(label)).append('\n');
        yaml.append("positive_label: ").append(positive == null ? "null" : quote(positive)).append('\n');
        yaml.append("key: null\n");
        yaml.append("# CANDIDATES for a person to confirm: sensitive attributes (fairness is assessed on these).\n");
        yaml.append("sensitive: ").append(list(sensitive)).append('\n');
        yaml.append("# Fairness judged with the data (optional; risk-fairness's settings are the defaults), e.g. where a gap is\n")
                .append("# expected: fairness: {gap_concern: 0.15, gap_block: 0.3, min_group_size: 30, bands: {age: [25, 40, 60]}}\n");
        yaml.append("split: {by: id, seed: 42, train: 0.70, validation: 0.15, test: 0.15}\n");
        TreeSet<String> markers = new TreeSet<>();
        profiles.values().forEach(p -> markers.addAll(p.markers));
        if (!markers.isEmpty()) {
            yaml.append("# GUESS: cells this file uses for \"no value\" (a column holding them is drafted as optional); remove any that\n")
                    .append("# is a real value of your data.\n");
            yaml.append("missing_values: ").append(list(List.copyOf(markers))).append('\n');
        }
        yaml.append("columns:\n");
        for (Profile p : profiles.values()) {
            // a label is a class: its values are categories even when they are numbers (0/1)
            DataContract.Type type = p.name.equals(label) && !p.manyValues && !p.values.isEmpty()
                    ? DataContract.Type.CATEGORY : p.type();
            yaml.append("  - {name: ").append(quote(p.name)).append(", type: ").append(type.name().toLowerCase(Locale.ROOT))
                    .append(", required: ").append(!p.empty || p.name.equals(label)); // a row without its label cannot train
            if (type == DataContract.Type.INTEGER) {
                yaml.append(", min: ").append((long) p.min).append(", max: ").append((long) p.max);
            } else if (type == DataContract.Type.NUMBER) {
                yaml.append(", min: ").append(p.min).append(", max: ").append(p.max);
            } else if (type == DataContract.Type.CATEGORY) {
                yaml.append(", allowed: ").append(list(List.copyOf(p.values)));
            }
            yaml.append("}\n");
        }
        return yaml.toString();
    }

    /** A column named like a label, else the last column when it has few distinct values. */
    private static String guessLabel(Map<String, Profile> profiles) {
        for (String column : profiles.keySet()) {
            if (LABEL_NAMES.contains(column.toLowerCase(Locale.ROOT))) {
                return column;
            }
        }
        List<String> columns = new ArrayList<>(profiles.keySet());
        Profile last = profiles.get(columns.get(columns.size() - 1));
        return !last.manyValues && last.values.size() >= 2 ? last.name : null;
    }

    private static String list(List<String> values) {
        List<String> quoted = values.stream().map(ContractDraft::quote).toList();
        return "[" + String.join(", ", quoted) + "]";
    }

    /** A YAML single-quoted scalar. */
    private static String quote(String s) {
        return "'" + s.replace("'", "''") + "'";
    }
}
