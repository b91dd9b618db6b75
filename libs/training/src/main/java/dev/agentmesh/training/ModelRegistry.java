package dev.agentmesh.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentmesh.core.PathNames;
import dev.agentmesh.core.ShippedYaml;
import dev.agentmesh.artifacts.ArtifactStore;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.artifacts.Artifacts;
import dev.agentmesh.artifacts.LocalArtifactStore;
import java.time.Instant;
import org.tribuo.Model;
import org.tribuo.classification.Label;

import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Map;
import java.util.List;
import java.util.UUID;

/**
 * The model registry on the artifact store: one checkpoint per run, cell and attempt under {@code models/}, written
 * atomically with its sha256 beside it, and the attempt's result recorded last, once ({@link CellResult}): an
 * attempt with a recorded result is never written again, so a checksum in the log always matches its bytes. With an
 * S3-compatible store the checkpoint is written locally, then published to the bucket (its URI is {@code s3://}), and
 * the aliases are documents in the bucket too, so trainers, the coordinator and the specialists share them without a
 * shared volume.
 */
public final class ModelRegistry {

    /** Where a checkpoint is and what its bytes hash to. */
    public record Checkpoint(String uri, String checksum) {
    }

    /**
     * What an alias names: the checkpoint, the run and dataset it came from, and what it named before (for rollback).
     */
    public record AliasTarget(String contract, String alias, String checkpoint, String checksum, String runId,
                              String datasetLocation, String previousCheckpoint, String previousChecksum,
                              String movedAt) {
    }

    /**
     * What a finished cell attempt reported, recorded beside its checkpoint once and for all: a redelivered or re-run
     * attempt finds it and reports the same result instead of training again and writing different bytes.
     */
    public record CellResult(String taskEventId, String checkpoint, String checksum, double validationLoss,
                             double validationAccuracy, double inferenceLatencyMicros, long trainMs, List<Step> steps) {
        public CellResult {
            steps = steps == null ? List.of() : List.copyOf(steps);
        }
    }

    /** One step of the cell's pipeline and what it measured. */
    public record Step(String step, Map<String, Double> metrics, long durationMs) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;
    private final ArtifactStore store;

    /** On the local filesystem under {@code artifactRoot}. */
    public ModelRegistry(Path artifactRoot) {
        this(artifactRoot, LocalArtifactStore.INSTANCE);
    }

    /** Checkpoints written under {@code artifactRoot}, published to {@code store} when it is not the filesystem. */
    public ModelRegistry(Path artifactRoot, ArtifactStore store) {
        this.root = artifactRoot.toAbsolutePath().normalize().resolve("models");
        this.store = store;
    }

    private boolean remote() {
        return !store.scheme().equals("file");
    }

    /** The result recorded for this attempt, if it finished before (on any trainer sharing the store). */
    public Optional<CellResult> result(String runId, String cellId, int attempt) {
        String uri = resultUri(runId, cellId, attempt);
        Optional<String> document = store.readDocument(uri);
        try {
            return document.isEmpty() ? Optional.empty() : Optional.of(JSON.readValue(document.get(), CellResult.class));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read cell result " + uri + ": " + e.getMessage(), e);
        }
    }

    /** Records the attempt's result, unless one is recorded already: then that one stands and is returned. */
    public synchronized CellResult record(String runId, String cellId, int attempt, CellResult result) {
        Optional<CellResult> recorded = result(runId, cellId, attempt);
        if (recorded.isPresent()) {
            return recorded.get();
        }
        try {
            store.writeDocument(resultUri(runId, cellId, attempt), JSON.writeValueAsString(result));
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the result of cell " + cellId + ": " + e.getMessage(), e);
        }
    }

    private String resultUri(String runId, String cellId, int attempt) {
        String key = PathNames.component(runId) + "/" + PathNames.component(cellId) + "/attempt-" + attempt
                + "/result.json";
        return remote() ? store.uri("models/" + key) : root.resolve(key).toUri().toString();
    }

    /**
     * Writes the attempt's checkpoint. An attempt whose result is recorded keeps its checkpoint: the recorded one is
     * returned and nothing is written.
     */
    public Checkpoint register(String runId, String cellId, int attempt, Model<Label> model) {
        Optional<CellResult> recorded = result(runId, cellId, attempt);
        if (recorded.isPresent()) {
            return new Checkpoint(recorded.get().checkpoint(), recorded.get().checksum());
        }
        Path dir = root.resolve(PathNames.component(runId)).resolve(PathNames.component(cellId))
                .resolve("attempt-" + attempt);
        // each write has a file of its own: two trainers racing on one attempt never overwrite the recorded bytes
        String name = "model-" + UUID.randomUUID();
        Path file = dir.resolve(name + ".ser");
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "model", ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp); ObjectOutputStream objects = new ObjectOutputStream(out)) {
                objects.writeObject(model);
            }
            String checksum = sha256(tmp);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            Files.writeString(dir.resolve(name + ".sha256"), checksum);
            if (remote()) {
                String prefix = "models/" + root.relativize(dir).toString().replace('\\', '/');
                return new Checkpoint(store.publish(dir, prefix) + file.getFileName(), checksum);
            }
            return new Checkpoint(file.toUri().toString(), checksum);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint for cell " + cellId + ": " + e.getMessage(), e);
        }
    }

    /** What {@code alias} of {@code contract}'s models names, if anything. */
    public Optional<AliasTarget> alias(String contract, String alias) {
        String uri = aliasUri(contract, alias);
        Optional<String> document = store.readDocument(uri);
        try {
            return document.isEmpty() ? Optional.empty() : Optional.of(JSON.readValue(document.get(), AliasTarget.class));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read alias " + uri + ": " + e.getMessage(), e);
        }
    }

    /**
     * Points {@code alias} at the checkpoint, atomically, remembering what it named before. Moving it to the
     * checkpoint it already names changes nothing, so a repeated deployment reports the same previous checkpoint.
     */
    public synchronized AliasTarget promote(String contract, String alias, String checkpoint, String checksum, String runId,
                                            String datasetLocation, Instant now) {
        Optional<AliasTarget> current = alias(contract, alias);
        if (current.isPresent() && current.get().checkpoint().equals(checkpoint)) {
            return current.get();
        }
        AliasTarget target = new AliasTarget(contract, alias, checkpoint, checksum, runId, datasetLocation,
                current.map(AliasTarget::checkpoint).orElse(null), current.map(AliasTarget::checksum).orElse(null),
                now.toString());
        try {
            store.writeDocument(aliasUri(contract, alias), JSON.writeValueAsString(target));
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move alias " + alias + " of " + contract + ": " + e.getMessage(), e);
        }
    }

    /**
     * Models are identified by their contract's name, not by where its file lies: a run naming the contract by a path
     * ({@code --contract my/clinic.yaml}) shares the production alias, baseline and rollback with every other run of
     * that contract, wherever the file has moved since.
     */
    public static String modelName(String contractNameOrPath) {
        if (!ShippedYaml.isPath(contractNameOrPath)) {
            return contractNameOrPath;
        }
        try {
            return DataContract.load(contractNameOrPath).name();
        } catch (RuntimeException gone) {
            return Path.of(contractNameOrPath).getFileName().toString().replaceFirst("\\.ya?ml$", "");
        }
    }

    private String aliasUri(String contract, String alias) {
        String key = "aliases/" + PathNames.component(modelName(contract)) + "/" + PathNames.component(alias) + ".json";
        return remote() ? store.uri("models/" + key) : root.resolve(key).toUri().toString();
    }

    /** Loads a checkpoint after checking its bytes against {@code checksum}. */
    @SuppressWarnings("unchecked")
    public static Model<Label> load(String uri, String checksum) {
        Path file = Artifacts.local(uri);
        String actual = sha256(file);
        if (!actual.equals(checksum)) {
            throw new IllegalStateException("checkpoint " + uri + " has checksum " + actual + ", expected " + checksum);
        }
        try (InputStream in = Files.newInputStream(file); ObjectInputStream objects = new ObjectInputStream(in)) {
            return (Model<Label>) objects.readObject();
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException("cannot load checkpoint " + uri + ": " + e.getMessage(), e);
        }
    }

    public static String sha256(Path file) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buffer = new byte[65536];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    digest.update(buffer, 0, n);
                }
            }
            return "sha256:" + HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
