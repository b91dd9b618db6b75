package dev.agentmesh.meshctl;

import dev.agentmesh.runstate.RunStateJson;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentmesh.core.LoggedRecord;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * An incident bundle: one run's records byte for byte (run events, its cell tasks, its dead letters, with the values
 * of the run's sensitive columns masked: {@link BundleMasking}), every schema they were written with, and the live
 * state run-state served at export, so replay works with no cluster at all.
 */
public record ReplayBundle(int format, String runId, Instant exportedAt, List<LoggedRecord> runEvents,
                           List<LoggedRecord> cellTasks, List<LoggedRecord> deadLetters, Map<Long, String> schemas,
                           String liveState, String liveStateSha256, List<String> maskedColumns) {

    public static final int FORMAT = 1;
    private static final ObjectMapper JSON = RunStateJson.MAPPER;

    public ReplayBundle withDeadLetters(List<LoggedRecord> letters) {
        return new ReplayBundle(format, runId, exportedAt, runEvents, cellTasks, letters, schemas, liveState, liveStateSha256,
                maskedColumns);
    }

    /** The bundle, saying which columns' values its dead letters hide (null: a bundle written before masking). */
    public ReplayBundle withMasked(List<String> columns) {
        return new ReplayBundle(format, runId, exportedAt, runEvents, cellTasks, deadLetters, schemas, liveState,
                liveStateSha256, columns);
    }

    public void write(Path file) {
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
                JSON.writeValue(out, this);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write bundle " + file, e);
        }
    }

    public static ReplayBundle read(Path file) {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            ReplayBundle bundle = JSON.readValue(in, ReplayBundle.class);
            if (bundle.format() != FORMAT) {
                throw new IllegalArgumentException("bundle " + file + " has format " + bundle.format() + "; this meshctl reads " + FORMAT);
            }
            return bundle;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read bundle " + file + ": " + e.getMessage(), e);
        }
    }
}
