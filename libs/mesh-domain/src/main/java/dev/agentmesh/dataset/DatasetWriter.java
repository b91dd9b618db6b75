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
import java.util.EnumMap;
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

    /** Writes rows held in memory, in row order. */
    public static Written write(Path directory, String runId, List<FeatureRow> rows) {
        List<FeatureRow> ordered = new ArrayList<>(rows);
        ordered.sort(Comparator.comparingLong(FeatureRow::getRowIndex));
        try (Open open = open(directory, runId)) {
            ordered.forEach(open::append);
            return open.finish();
        }
    }

    /** Starts a dataset written one row at a time; rows must come in ascending row order (as the log holds them). */
    public static Open open(Path directory, String runId) {
        return new Open(directory, runId);
    }

    /** A dataset being written: one open container file per split. */
    public static final class Open implements AutoCloseable {
        private final Path directory;
        private final Map<Split, Path> files = new LinkedHashMap<>();
        private final Map<Split, Long> counts = new LinkedHashMap<>();
        private final Map<Split, Long> lastRow = new EnumMap<>(Split.class);
        private final Map<Split, DataFileWriter<DatasetRow>> writers = new EnumMap<>(Split.class);
        private boolean finished;

        private Open(Path directory, String runId) {
            this.directory = directory;
            try {
                Files.createDirectories(directory);
                byte[] sync = MessageDigest.getInstance("MD5").digest(runId.getBytes(StandardCharsets.UTF_8));
                for (Split split : Split.values()) {
                    Path file = directory.resolve(fileName(split));
                    DataFileWriter<DatasetRow> writer = new DataFileWriter<>(new SpecificDatumWriter<>(DatasetRow.class));
                    writer.create(DatasetRow.getClassSchema(), Files.newOutputStream(file), sync);
                    writers.put(split, writer);
                    files.put(split, file);
                    counts.put(split, 0L);
                }
            } catch (IOException e) {
                close();
                throw new UncheckedIOException("cannot write dataset to " + directory, e);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        public void append(FeatureRow row) {
            Split split = row.getSplit();
            Long last = lastRow.get(split);
            if (last != null && row.getRowIndex() <= last) {
                throw new IllegalStateException("row " + row.getRowIndex() + " arrived after row " + last
                        + ": the dataset is written in row order");
            }
            try {
                writers.get(split).append(new DatasetRow(row.getRowIndex(), split, row.getLabel(), row.getFeatures()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write dataset to " + directory, e);
            }
            lastRow.put(split, row.getRowIndex());
            counts.merge(split, 1L, Long::sum);
        }

        /** Closes the files and computes the dataset's checksum from the bytes written. */
        public Written finish() {
            closeWriters();
            finished = true;
            return new Written(directory, new LinkedHashMap<>(files), new LinkedHashMap<>(counts),
                    checksum(List.copyOf(files.values())));
        }

        private void closeWriters() {
            IOException failed = null;
            for (DataFileWriter<DatasetRow> writer : writers.values()) {
                try {
                    writer.close();
                } catch (IOException e) {
                    failed = e;
                }
            }
            writers.clear();
            if (failed != null) {
                throw new UncheckedIOException("cannot write dataset to " + directory, failed);
            }
        }

        @Override
        public void close() {
            if (!finished) {
                closeWriters();
            }
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
