package dev.agentmesh.features;

import dev.agentmesh.artifacts.Artifacts;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The standardisation a dataset's numeric features were encoded with ({@code column -> [mean, std]}, fitted on its
 * train split), kept beside the split files as {@code feature-stats.json}. With it a reader recovers raw values,
 * which is what dataset shift and subgroup bands are measured on.
 */
public final class FeatureStats {

    public static final String FILE = "feature-stats.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private FeatureStats() {
    }

    public static String toJson(Map<String, double[]> standardisation) {
        try {
            return JSON.writeValueAsString(new TreeMap<>(standardisation));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Map<String, double[]> fromJson(String json) {
        try {
            return JSON.readValue(json, new TypeReference<TreeMap<String, double[]>>() { });
        } catch (IOException e) {
            throw new IllegalArgumentException("unreadable feature statistics: " + e.getMessage(), e);
        }
    }

    public static void write(Path datasetDirectory, Map<String, double[]> standardisation) {
        try {
            Files.createDirectories(datasetDirectory);
            Files.writeString(datasetDirectory.resolve(FILE), toJson(standardisation));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The statistics of the dataset at {@code location} (a directory URI); empty when it has none. */
    public static Map<String, double[]> read(String location) {
        String uri = (location.endsWith("/") ? location : location + "/") + FILE;
        if (!Artifacts.exists(uri)) {
            return Map.of();
        }
        Path file = Artifacts.local(uri);
        try {
            return fromJson(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
