package dev.agentmesh.contract;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A CSV source checked against a contract before any run is triggered: what would fail the run at once (no such
 * file, not readable, no header, a header the contract does not accept, no rows), and, over the rows read, how many
 * the row-validator would pass and why the others would be rejected.
 *
 * @param problems   what stops a run from using the source at all, each with what to do; empty when it can be used
 * @param rows       data rows read
 * @param valid      of those, the rows that pass the contract
 * @param violations for each column, how many rows broke one of its rules
 * @param examples   the first few rejections, each with its row number
 */
public record SourceCheck(List<String> problems, long rows, long valid, Map<String, Long> violations,
                          List<String> examples) {

    private static final int EXAMPLES = 5;

    /** Whether a run could start on this source (rejected rows go to review; they do not stop a run). */
    public boolean usable() {
        return problems.isEmpty();
    }

    /**
     * Checks {@code file} against {@code contract}, validating at most {@code maxRows} data rows (0: only that there
     * is one).
     */
    public static SourceCheck csv(Path file, DataContract contract, long maxRows) {
        List<String> problems = new ArrayList<>(unreadable(file));
        if (!problems.isEmpty()) {
            return new SourceCheck(problems, 0, 0, Map.of(), List.of());
        }
        RowValidator validator = new RowValidator(contract);
        Map<String, Long> violations = new TreeMap<>();
        List<String> examples = new ArrayList<>();
        long[] counts = new long[2];
        try {
            CsvRows.stream(file, header -> {
                if (header.isEmpty() || header.stream().allMatch(String::isBlank)) {
                    problems.add(file + " is empty: a CSV source starts with a header row naming the contract's columns");
                    return false;
                }
                List<String> mismatch = validator.headerProblems(new HashSet<>(header));
                if (!mismatch.isEmpty()) {
                    problems.add("the header of " + file + " does not match contract " + contract.name() + ": "
                            + String.join("; ", mismatch) + " (draft a contract from the file with"
                            + " `meshctl contracts infer --csv FILE`)");
                    return false;
                }
                return true;
            }, row -> {
                long index = counts[0]++;
                if (index >= Math.max(1, maxRows)) {
                    throw new Enough();
                }
                List<RowViolation> broken = validator.validate(row);
                if (broken.isEmpty()) {
                    counts[1]++;
                } else {
                    broken.forEach(v -> violations.merge(v.field(), 1L, Long::sum));
                    if (examples.size() < EXAMPLES) {
                        examples.add("row " + index + ": " + broken);
                    }
                }
            });
        } catch (Enough enough) {
            counts[0]--;
        } catch (RuntimeException e) {
            problems.add("cannot read " + file + " as CSV: " + e.getMessage());
        }
        if (problems.isEmpty() && counts[0] == 0) {
            problems.add(file + " has a header but no rows");
        }
        return new SourceCheck(problems, counts[0], counts[1], violations, examples);
    }

    /** Why {@code file} cannot be read at all, if it cannot. */
    public static List<String> unreadable(Path file) {
        if (!Files.exists(file)) {
            return List.of("no file " + file + ": check the path (the row-validator reads it too, so it must be under"
                    + " the mesh's allowed source directories)");
        } else if (!Files.isRegularFile(file)) {
            return List.of(file + " is not a regular file");
        } else if (!Files.isReadable(file)) {
            return List.of(file + " is not readable");
        }
        return List.of();
    }

    /** Stops the read once enough rows were checked. */
    private static final class Enough extends RuntimeException {
        Enough() {
            super(null, null, false, false);
        }
    }
}
