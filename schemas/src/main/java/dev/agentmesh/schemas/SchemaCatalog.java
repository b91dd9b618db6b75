package dev.agentmesh.schemas;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.AvroRuntimeException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Deque;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Loads a directory of {@code .avsc} files, in any order, into named schemas, and judges
 * compatibility between two such sets by Avro's own reader/writer rules.
 */
public final class SchemaCatalog {

    private SchemaCatalog() {
    }

    /** All named types defined by the {@code .avsc} files under {@code dir}, by full name. */
    public static Map<String, Schema> load(Path dir) {
        Deque<Path> pending;
        try (Stream<Path> files = Files.walk(dir)) {
            pending = new ArrayDeque<>(files.filter(p -> p.toString().endsWith(".avsc")).sorted().toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Schema> known = new TreeMap<>();
        int sinceProgress = 0;
        while (!pending.isEmpty()) {
            Path file = pending.removeFirst();
            Schema.Parser parser = new Schema.Parser();
            parser.addTypes(known.values());
            try {
                Schema schema = parser.parse(Files.readString(file));
                known.put(schema.getFullName(), schema);
                sinceProgress = 0;
            } catch (AvroRuntimeException unresolvedYet) {
                pending.addLast(file);
                if (++sinceProgress > pending.size()) {
                    throw new IllegalStateException("Cannot parse " + file + ": " + unresolvedYet.getMessage(), unresolvedYet);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return known;
    }

    /**
     * Backward compatibility: every type in {@code previous} must still exist and a reader using
     * the current schema must read data written with the previous one.
     *
     * @return human-readable problems; empty when compatible.
     */
    public static List<String> backwardIncompatibilities(Map<String, Schema> previous, Map<String, Schema> current) {
        List<String> problems = new ArrayList<>();
        previous.forEach((name, writer) -> {
            Schema reader = current.get(name);
            if (reader == null) {
                problems.add(name + ": removed, but data written with it may still be in the log");
                return;
            }
            var result = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getResult();
            if (result.getCompatibility() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                result.getIncompatibilities().forEach(i -> problems.add(
                        name + ": " + i.getType() + " at " + i.getLocation() + " (" + i.getMessage() + ")"));
            }
        });
        return problems;
    }

    /** Writes each type as a self-contained schema file, the form the baseline is kept in. */
    public static void writeBaseline(Map<String, Schema> schemas, Path dir) {
        try {
            Files.createDirectories(dir);
            try (Stream<Path> old = Files.list(dir)) {
                for (Path p : old.filter(p -> p.toString().endsWith(".avsc")).toList()) {
                    Files.delete(p);
                }
            }
            for (Schema schema : schemas.values()) {
                Files.writeString(dir.resolve(schema.getFullName() + ".avsc"), schema.toString(true) + "\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
