package dev.agentmesh.rowvalidator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** credit-g.csv with chosen rows broken on purpose. */
final class PlantedRows {

    static final Path CREDIT_G = Path.of(System.getProperty("mesh.data.dir", "../../../shared/data"), "credit-g.csv").toAbsolutePath();

    /** Row index (0-based, after the header) to the broken line that replaces it. */
    static Path write(Path dir, Map<Integer, String> brokenRows) {
        try {
            List<String> lines = new ArrayList<>(Files.readAllLines(CREDIT_G));
            brokenRows.forEach((row, line) -> lines.set(row + 1, line));
            Path file = dir.resolve("credit-g-planted.csv");
            Files.write(file, lines);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first data row with its age replaced. */
    static String withAge(String age) {
        return "<0,6,critical/other existing credit,radio/tv,1169,no known savings,>=7,4,male single,none,4,real estate,"
                + age + ",none,own,2,skilled,1,yes,yes,good";
    }

    private PlantedRows() {
    }
}
