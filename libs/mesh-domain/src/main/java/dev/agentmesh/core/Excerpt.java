package dev.agentmesh.core;

/**
 * Text from outside the mesh (a row, a record, an exception message that quotes input) as it may appear in a reason
 * that people and APIs read: at most {@code max} characters, every non-printable character shown as {@code ?}, and a
 * marker when it was cut.
 */
public final class Excerpt {

    /** The longest reason a failure or dead letter carries. */
    public static final int REASON = 500;
    /** The longest piece of a rejected row quoted in a reason. */
    public static final int ROW = 80;

    private Excerpt() {
    }

    public static String of(String text, int max) {
        if (text == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), max) + 16);
        int end = Math.min(text.length(), max);
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            out.append(c >= 0x20 && c != 0x7f && c != '\uFFFD' && !Character.isISOControl(c) ? c : '?');
        }
        if (text.length() > max) {
            out.append("… (").append(text.length() - max).append(" more characters)");
        }
        return out.toString();
    }

    public static String reason(String text) {
        return of(text, REASON);
    }

    /** Text in a table column {@code width} characters wide: printable, and cut with an ellipsis when longer. */
    public static String cell(String text, int width) {
        String printable = of(text, text.length());
        return printable.length() <= width ? printable : printable.substring(0, width - 1) + "…";
    }
}
