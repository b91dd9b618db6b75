package dev.agentmesh.dataset;

import dev.agentmesh.data.DatasetRow;
import dev.agentmesh.data.FeatureRow;
import dev.agentmesh.data.Split;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a run's dataset as one Avro container file per split: data only (no envelopes), rows in row order, and a
 * sync marker derived from the run id, so the same rows always give the same bytes and the same checksum.
 */
public final class DatasetWriter {

    public record Written(Path directory, Map<Split, Path> files, Map<Split, Long> counts, String checksum) {
    }

    private DatasetWriter() {
    }

    public static Written write(Path directory, String runId, List<FeatureRow> rows) {
        try {
            Files.createDirectories(directory);
            Map<Split, Path> files = new LinkedHashMap<>();
            Map<Split, Long> counts = new LinkedHashMap<>();
            MessageDigest all = MessageDigest.getInstance("SHA-256");
            byte[] sync = MessageDigest.getInstance("MD5").digest(runId.getBytes(StandardCharsets.UTF_8));
            for (Split split : Split.values()) {
                List<FeatureRow> part = new ArrayList<>(rows.stream().filter(r -> r.getSplit() == split).toList());
                part.sort(Comparator.comparingLong(FeatureRow::getRowIndex));
                Path file = directory.resolve(fileName(split));
                try (OutputStream out = Files.newOutputStream(file);
                     DataFileWriter<DatasetRow> writer = new DataFileWriter<>(new SpecificDatumWriter<>(DatasetRow.class))) {
                    writer.create(DatasetRow.getClassSchema(), out, sync);
                    for (FeatureRow row : part) {
                        writer.append(new DatasetRow(row.getRowIndex(), row.getSplit(), row.getLabel(), row.getFeatures()));
                    }
                }
                files.put(split, file);
                counts.put(split, (long) part.size());
                all.update(Files.readAllBytes(file));
            }
            return new Written(directory, files, counts, "sha256:" + HexFormat.of().formatHex(all.digest()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write dataset to " + directory, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A split's file name within the dataset directory. */
    public static String fileName(Split split) {
        return split.name().toLowerCase() + ".avro";
    }

    /** Recomputes a written dataset's checksum from its files, to verify it. */
    public static String checksum(List<Path> filesInSplitOrder) {
        try {
            MessageDigest all = MessageDigest.getInstance("SHA-256");
            for (Path file : filesInSplitOrder) {
                try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file), all)) {
                    in.transferTo(OutputStream.nullOutputStream());
                }
            }
            return "sha256:" + HexFormat.of().formatHex(all.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
