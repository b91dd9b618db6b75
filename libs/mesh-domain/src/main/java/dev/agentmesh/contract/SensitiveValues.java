package dev.agentmesh.contract;

import dev.agentmesh.data.DataRow;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The values of a row's sensitive columns (its data contract's {@code sensitive}), hidden from people by default:
 * in a row, and in a reason that quotes one ("age: 'x1' is not an integer" becomes "age: '***' is not an integer").
 * The row-validator no longer quotes such values; records written before it stopped, or by other producers, may.
 * Used by review (its pages, API and the CLI through it) and by incident bundles.
 */
public final class SensitiveValues {

    public static final String MASK = "***";

    /** Every column: what is hidden when the row's contract cannot be read. */
    public static final Set<String> ALL = Set.of("*");

    /** One field's violation in a reason: "column: what is wrong", after the start, a "; " or a ": ". */
    private static final Pattern VIOLATION = Pattern.compile("(^|; |: )([\\w.-]+): ([^;]*)");
    private static final Pattern QUOTED = Pattern.compile("'[^']*'");
    private static final Pattern LEADING_NUMBER = Pattern.compile("^-?[0-9][0-9.eE+-]* ");

    private SensitiveValues() {
    }

    public static boolean isSensitive(String column, Set<String> sensitive) {
        return sensitive.contains(column) || sensitive.equals(ALL);
    }

    /** The row with every present value of a sensitive column replaced by {@link #MASK}. */
    public static DataRow mask(DataRow row, Set<String> sensitive) {
        Map<String, String> values = new LinkedHashMap<>();
        row.getValues().forEach((column, value) -> values.put(column,
                value != null && isSensitive(column, sensitive) ? MASK : value));
        return DataRow.newBuilder(row).setValues(values).build();
    }

    /** {@code reason} with what each violation of a sensitive column says of its value masked. */
    public static String maskReason(String reason, Set<String> sensitive) {
        if (reason == null || sensitive.isEmpty()) {
            return reason;
        }
        Matcher m = VIOLATION.matcher(reason);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String column = m.group(2);
            String said = m.group(3);
            if (isSensitive(column, sensitive)) {
                said = QUOTED.matcher(said).replaceAll("'" + MASK + "'");
                said = LEADING_NUMBER.matcher(said).replaceFirst(MASK + " ");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + column + ": " + said));
        }
        m.appendTail(out);
        return out.toString();
    }
}
