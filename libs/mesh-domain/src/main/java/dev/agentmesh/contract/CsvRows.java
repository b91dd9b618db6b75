package dev.agentmesh.contract;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.agentmesh.core.Excerpt;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Reads a CSV file with a header row, row by row, into ordered maps of column name to text. Bytes that are not UTF-8
 * become {@link #NOT_UTF8} in the cell that holds them, so one bad row is rejected by validation instead of failing
 * the whole read.
 */
public final class CsvRows {

    /** What a byte sequence that is not UTF-8 reads as (the Unicode replacement character). */
    public static final char NOT_UTF8 = '\uFFFD';
    public static final String EXTRA_CELLS = "__extra_cells";
    /** Set, to the row's length in characters, on a row longer than {@link #MAX_ROW_CHARS}: its cells are excerpts. */
    public static final String OVERSIZED_ROW = "__row_characters";
    /** No row longer than this fits in one record of the mesh, whatever it holds. */
    public static final int MAX_ROW_CHARS = 256 * 1024;
    /** More header columns than any contract the mesh reads would hold. */
    public static final int MAX_COLUMNS = 10_000;
    /** How Jackson's CSV parser says a quoted cell is never closed (its message names no content). */
    private static final String UNCLOSED = "Missing closing quote";
    /** The separators a header line is sniffed for, the default first. */
    static final String SEPARATORS = ",;\t|";
    private static final int SNIFFED_CHARS = 64 * 1024;
    private static final String BOM = "\uFEFF";

    private static final CsvMapper MAPPER = new CsvMapper();

    private CsvRows() {
    }

    public record Table(List<String> header, List<Map<String, String>> rows) {
    }

    /** The whole file in memory: for tests, replays and small files. Services {@link #stream} instead. */
    public static Table read(Path file) {
        List<String> header = new ArrayList<>();
        List<Map<String, String>> rows = new ArrayList<>();
        stream(file, h -> header.addAll(h), rows::add);
        return new Table(header, rows);
    }

    /**
     * Streams {@code file}: its header to {@code header} (which may refuse it: then no row is read), then each
     * non-blank row to {@code rows}. Only one row is held at a time, and of it only the header's cells: cells beyond
     * the header are counted ({@link #EXTRA_CELLS}), and a row over {@link #MAX_ROW_CHARS} keeps a short excerpt of
     * each cell ({@link #OVERSIZED_ROW}), so no row of any file can take more memory than a row the mesh can carry.
     * A leading byte-order mark is dropped.
     */
    public static void stream(Path file, Predicate<List<String>> header, Consumer<Map<String, String>> rows) {
        Cursor cursor;
        char separator;
        try {
            BufferedReader reader = new BufferedReader(new InputStreamReader(Files.newInputStream(file),
                    StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                            .onUnmappableCharacter(CodingErrorAction.REPLACE)), SNIFFED_CHARS);
            separator = separator(reader);
            cursor = new Cursor(MAPPER.getFactory().createParser(reader));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read CSV " + file + ": " + what(e), e);
        }
        try (CsvParser parser = cursor.parser) {
            parser.setSchema(CsvSchema.emptySchema().withColumnSeparator(separator));
            Row first = cursor.next(MAX_COLUMNS);
            if (first == null) {
                header.test(List.of());
                return;
            }
            if (first.count > MAX_COLUMNS) {
                throw new IllegalStateException("cannot read CSV " + file + ": its header has " + first.count
                        + " columns, over the limit of " + MAX_COLUMNS);
            }
            List<String> columns = first.cells.stream().map(c -> c.replace(BOM, "").trim()).toList();
            if (!header.test(columns)) {
                return;
            }
            for (Row row = cursor.next(columns.size()); row != null; row = cursor.next(columns.size())) {
                if (row.blank()) {
                    continue;
                }
                Map<String, String> values = new LinkedHashMap<>();
                for (int i = 0; i < columns.size(); i++) {
                    String cell = i < row.cells.size() ? row.cells.get(i) : null;
                    values.put(columns.get(i), row.oversized() && cell != null ? Excerpt.of(cell, Excerpt.ROW) : cell);
                }
                if (row.count > columns.size()) {
                    values.put(EXTRA_CELLS, String.valueOf(row.count - columns.size()));
                }
                if (row.oversized()) {
                    values.put(OVERSIZED_ROW, String.valueOf(row.chars));
                }
                rows.accept(values);
            }
        } catch (StreamConstraintsException e) {
            throw new IllegalStateException("cannot read CSV " + file + ": a cell in the row at line " + cursor.rowLine
                    + " is longer than the parser's limit for one cell; the file is not a table of rows", e);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot read CSV " + file + ": " + (e.getOriginalMessage().startsWith(UNCLOSED)
                    ? "the file ends inside a quoted cell of the row at line " + cursor.rowLine + " (a quote that is never closed)"
                    : "malformed CSV in the row at line " + cursor.rowLine), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read CSV " + file + ": " + what(e), e);
        }
    }

    /**
     * The header line's separator: of {@link #SEPARATORS}, the one it holds most often outside quotes (a comma when
     * none, or on a tie), so a semicolon- or tab-separated export reads as its author meant. The reader is left at
     * the start.
     */
    static char separator(BufferedReader reader) throws IOException {
        reader.mark(SNIFFED_CHARS);
        int[] counts = new int[SEPARATORS.length()];
        boolean quoted = false;
        for (int i = 0, c = reader.read(); i < SNIFFED_CHARS - 1 && c != -1; i++, c = reader.read()) {
            if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && (c == '\n' || c == '\r')) {
                break;
            } else if (!quoted && SEPARATORS.indexOf(c) >= 0) {
                counts[SEPARATORS.indexOf(c)]++;
            }
        }
        reader.reset();
        int best = 0;
        for (int i = 1; i < counts.length; i++) {
            if (counts[i] > counts[best]) {
                best = i;
            }
        }
        return SEPARATORS.charAt(best);
    }

    /** The parser, and the line the row it is reading started on (for errors: never the text there). */
    private static final class Cursor {
        final CsvParser parser;
        int rowLine;

        Cursor(CsvParser parser) {
            this.parser = parser;
        }

        /** The next row: at most {@code keep} of its cells, all counted, with their total length; null at the end. */
        Row next(int keep) throws IOException {
            JsonToken token = parser.nextToken();
            while (token != null && token != JsonToken.START_ARRAY) {
                token = parser.nextToken();
            }
            if (token == null) {
                return null;
            }
            rowLine = parser.currentLocation().getLineNr();
            List<String> cells = new ArrayList<>();
            int count = 0;
            long chars = 0;
            for (token = parser.nextToken(); token != null && token != JsonToken.END_ARRAY; token = parser.nextToken()) {
                int length = parser.getTextLength();
                chars += length;
                if (count++ < keep) {
                    // past the row limit only an excerpt is copied out of the parser's buffer
                    cells.add(chars <= MAX_ROW_CHARS ? parser.getText()
                            : new String(parser.getTextCharacters(), parser.getTextOffset(), Math.min(length, Excerpt.ROW)));
                }
            }
            return new Row(cells, count, chars);
        }
    }

    private record Row(List<String> cells, int count, long chars) {

        boolean oversized() {
            return chars > MAX_ROW_CHARS;
        }

        boolean blank() {
            return count == 1 && cells.get(0).isBlank();
        }
    }

    /** The kind of failure, never the parser's message (which can quote the file). */
    private static String what(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "not readable";
        }
        return e.getClass().getSimpleName();
    }
}
