package dev.agentmesh.contract;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.RuntimeJsonMappingException;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
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

    private static final CsvMapper MAPPER = new CsvMapper().enable(CsvParser.Feature.WRAP_AS_ARRAY);

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
     * non-blank row to {@code rows}. Only one row is held at a time.
     */
    public static void stream(Path file, Predicate<List<String>> header, Consumer<Map<String, String>> rows) {
        try (Reader reader = new InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE))) {
            MappingIterator<List<String>> it = MAPPER.readerForListOf(String.class)
                    .with(CsvSchema.emptySchema())
                    .readValues(reader);
            if (!it.hasNext()) {
                header.test(List.of());
                return;
            }
            List<String> columns = it.next().stream().map(String::trim).toList();
            if (!header.test(columns)) {
                return;
            }
            while (it.hasNext()) {
                List<String> cells = it.next();
                if (cells.size() == 1 && cells.get(0).isBlank()) {
                    continue;
                }
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 0; i < columns.size(); i++) {
                    row.put(columns.get(i), i < cells.size() ? cells.get(i) : null);
                }
                if (cells.size() > columns.size()) {
                    row.put(EXTRA_CELLS, String.valueOf(cells.size() - columns.size()));
                }
                rows.accept(row);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read CSV " + file + ": " + what(e), e);
        } catch (RuntimeJsonMappingException e) {
            throw new IllegalStateException("cannot read CSV " + file + ": " + what(e), e);
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
