package dev.agentmesh.contract;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Files a person or an attacker might hand the mesh as a CSV source: each row stays bounded, each failure says what. */
class CsvRowsTest {

    @TempDir
    Path dir;

    @Test
    void aByteOrderMarkWindowsLineEndsAndAQuotedNewlineReadAsTheyMean() throws IOException {
        Path file = dir.resolve("excel.csv");
        Files.write(file, ("\uFEFFname,note\r\nada,\"two\r\nlines\"\r\nbob,plain\r\n").getBytes(StandardCharsets.UTF_8));
        CsvRows.Table table = CsvRows.read(file);
        assertEquals(List.of("name", "note"), table.header());
        assertEquals(List.of(Map.of("name", "ada", "note", "two\r\nlines"), Map.of("name", "bob", "note", "plain")),
                table.rows());
    }

    @Test
    void semicolonAndTabSeparatedExportsReadByTheirHeadersSeparator() throws IOException {
        Path wine = Files.writeString(dir.resolve("wine.csv"), "\"fixed acidity\";\"alcohol\";\"quality\"\n7,4;9,4;5\n");
        CsvRows.Table semicolons = CsvRows.read(wine);
        assertEquals(List.of("fixed acidity", "alcohol", "quality"), semicolons.header());
        assertEquals(List.of(Map.of("fixed acidity", "7,4", "alcohol", "9,4", "quality", "5")), semicolons.rows());
        Path tabs = Files.writeString(dir.resolve("tabs.tsv"), "a\tb\tc, with a comma\n1\t2\t3\n");
        assertEquals(List.of(Map.of("a", "1", "b", "2", "c, with a comma", "3")), CsvRows.read(tabs).rows());
        Path commas = Files.writeString(dir.resolve("plain.csv"), "\"a;b\",c\n1,2\n");
        assertEquals(List.of("a;b", "c"), CsvRows.read(commas).header(), "a separator inside quotes does not count");
    }

    @Test
    void cellsBeyondTheHeaderAreCountedNotKept() throws IOException {
        Path file = dir.resolve("wide.csv");
        try (Writer out = Files.newBufferedWriter(file)) {
            out.write("a,b\n1,2");
            for (int i = 0; i < 100_000; i++) {
                out.write(",9");
            }
            out.write("\n3,4\n");
        }
        List<Map<String, String>> rows = CsvRows.read(file).rows();
        assertEquals(Map.of("a", "1", "b", "2", CsvRows.EXTRA_CELLS, "100000"), rows.get(0));
        assertEquals(Map.of("a", "3", "b", "4"), rows.get(1));
    }

    @Test
    void aRowLongerThanAnyRecordKeepsOnlyExcerptsAndTheNextRowIsRead() throws IOException {
        Path file = dir.resolve("long.csv");
        String cell = "x".repeat(CsvRows.MAX_ROW_CHARS + 1);
        Files.writeString(file, "a,b\n1," + cell + "\n3,4\n");
        List<Map<String, String>> rows = CsvRows.read(file).rows();
        assertEquals(2, rows.size());
        assertEquals(String.valueOf(CsvRows.MAX_ROW_CHARS + 2), rows.get(0).get(CsvRows.OVERSIZED_ROW));
        assertTrue(rows.get(0).get("b").length() < 200, "an excerpt, not the cell");
        assertEquals(Map.of("a", "3", "b", "4"), rows.get(1));
        List<RowViolation> violations = new RowValidator(DataContract.load("credit-g")).validate(rows.get(0));
        assertEquals(1, violations.size(), violations.toString());
        assertTrue(violations.get(0).toString().contains("over the limit of " + CsvRows.MAX_ROW_CHARS + " for one row"),
                violations.toString());
    }

    @Test
    void aLineOfFiftyMegabytesWithoutANewlineIsOneRowOfCountedCells() throws IOException {
        Path file = dir.resolve("no-newline.csv");
        byte[] chunk = "1,".repeat(512 * 1024).getBytes(StandardCharsets.US_ASCII);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write("a,b\n".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 50; i++) {
                out.write(chunk);
            }
        }
        List<Map<String, String>> rows = CsvRows.read(file).rows();
        assertEquals(1, rows.size());
        assertEquals(String.valueOf(50 * 512 * 1024 + 1 - 2), rows.get(0).get(CsvRows.EXTRA_CELLS));
        assertEquals("1", rows.get(0).get("a"));
    }

    @Test
    void aCellOverTheParsersLimitFailsTheReadSayingWhereNotWhat() throws IOException {
        Path file = dir.resolve("huge-cell.csv");
        try (Writer out = Files.newBufferedWriter(file)) {
            out.write("a,b\n1,2\n3,SECRET");
            String block = "y".repeat(1 << 20);
            for (int i = 0; i < 25; i++) {
                out.write(block);
            }
            out.write("\n");
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CsvRows.stream(file, h -> true, r -> { }));
        assertTrue(e.getMessage().contains("longer than the parser's limit for one cell") && e.getMessage().contains("line 3"),
                e.getMessage());
        assertFalse(e.getMessage().contains("SECRET"), e.getMessage());
    }

    @Test
    void anUnclosedQuoteFailsTheReadNamingIt() throws IOException {
        Path file = dir.resolve("unclosed.csv");
        Files.writeString(file, "a,b\n1,2\n3,\"SECRET never closed\n5,6\n");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CsvRows.stream(file, h -> true, r -> { }));
        assertTrue(e.getMessage().contains("ends inside a quoted cell"), e.getMessage());
        assertFalse(e.getMessage().contains("SECRET"), e.getMessage());
    }

    @Test
    void aHeaderOfMoreColumnsThanAnyContractIsRefused() throws IOException {
        Path file = dir.resolve("columns.csv");
        Files.writeString(file, "c,".repeat(CsvRows.MAX_COLUMNS + 5) + "z\n");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CsvRows.stream(file, h -> true, r -> { }));
        assertTrue(e.getMessage().contains("over the limit of " + CsvRows.MAX_COLUMNS), e.getMessage());
    }

    @Test
    void anEmptyFileAndAHeaderAloneGiveNoRows() throws IOException {
        Path empty = Files.writeString(dir.resolve("empty.csv"), "");
        assertEquals(List.of(), CsvRows.read(empty).header());
        Path headerOnly = Files.writeString(dir.resolve("header.csv"), "a,b\n");
        CsvRows.Table table = CsvRows.read(headerOnly);
        assertEquals(List.of("a", "b"), table.header());
        assertEquals(List.of(), table.rows());
    }
}
