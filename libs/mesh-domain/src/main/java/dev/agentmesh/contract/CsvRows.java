package dev.agentmesh.contract;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads a CSV file with a header row into ordered maps of column name to text. */
public final class CsvRows {

    private static final CsvMapper MAPPER = new CsvMapper().enable(CsvParser.Feature.WRAP_AS_ARRAY);

    private CsvRows() {
    }

    public record Table(List<String> header, List<Map<String, String>> rows) {
    }

    public static Table read(Path file) {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            MappingIterator<List<String>> it = MAPPER.readerForListOf(String.class)
                    .with(CsvSchema.emptySchema())
                    .readValues(reader);
            if (!it.hasNext()) {
                return new Table(List.of(), List.of());
            }
            List<String> header = it.next().stream().map(String::trim).toList();
            List<Map<String, String>> rows = new ArrayList<>();
            while (it.hasNext()) {
                List<String> cells = it.next();
                if (cells.size() == 1 && cells.get(0).isBlank()) {
                    continue;
                }
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 0; i < header.size(); i++) {
                    row.put(header.get(i), i < cells.size() ? cells.get(i) : null);
                }
                if (cells.size() > header.size()) {
                    row.put("__extra_cells", String.valueOf(cells.size() - header.size()));
                }
                rows.add(row);
            }
            return new Table(header, rows);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read CSV " + file + ": " + e.getMessage(), e);
        }
    }
}
