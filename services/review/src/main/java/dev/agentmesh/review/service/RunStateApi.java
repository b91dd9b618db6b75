package dev.agentmesh.review.service;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.agentmesh.core.Reliability;
import dev.agentmesh.grants.CostRollup;
import dev.agentmesh.grants.GrantTree;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateJson;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The console's window on run state: run-state's REST API ({@code mesh.run-state.url}), which answers for every run
 * from any of its replicas, signed in with HTTP Basic as {@code mesh.run-state.user}.
 */
@ApplicationScoped
public class RunStateApi {

    /** A run as run-state lists it. */
    public record Summary(String runId, String status, String pipeline, Instant triggeredAt, Instant lastEventAt,
                          long eventCount, long computeMs) {
        public String duration() {
            return RunView.between(triggeredAt, lastEventAt);
        }
    }

    /** run-state could not be asked, or answered with an error. */
    public static final class Unavailable extends RuntimeException {
        Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final String baseUrl;
    private final String authorization;

    public RunStateApi(@ConfigProperty(name = "mesh.run-state.url") Optional<String> url,
                       @ConfigProperty(name = "mesh.run-state.user", defaultValue = "operator") String user,
                       @ConfigProperty(name = "mesh.run-state.password", defaultValue = "operator-local") String password) {
        this.baseUrl = url.map(u -> u.endsWith("/") ? u.substring(0, u.length() - 1) : u).orElse(null);
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    public boolean configured() {
        return baseUrl != null;
    }

    public List<Summary> runs() {
        try {
            return RunStateJson.MAPPER.readValue(get("/runs").body(), new TypeReference<>() { });
        } catch (IOException e) {
            throw new Unavailable("run-state's run list could not be read: " + e.getMessage(), e);
        }
    }

    public Optional<RunState> run(String runId) {
        HttpResponse<byte[]> response = get("/runs/" + URLEncoder.encode(runId, StandardCharsets.UTF_8).replace("+", "%20"));
        return response.statusCode() == 404 ? Optional.empty() : Optional.of(RunStateJson.fromBytes(response.body()));
    }

    /** The run's cost per grant, rolled up its delegation tree (run-state's {@code /runs/{id}/costs}). */
    public List<CostRollup.Node> costs(String runId) {
        HttpResponse<byte[]> response = get("/runs/" + URLEncoder.encode(runId, StandardCharsets.UTF_8).replace("+", "%20") + "/costs");
        if (response.statusCode() == 404) {
            return List.of();
        }
        try {
            return RunStateJson.MAPPER.readValue(response.body(), new TypeReference<>() { });
        } catch (IOException e) {
            throw new Unavailable("run-state's costs could not be read: " + e.getMessage(), e);
        }
    }

    /** Compound reliability of a pipeline's stages over its recent runs (run-state's {@code /runs/reliability}). */
    public Reliability reliability(String pipeline) {
        try {
            return RunStateJson.MAPPER.readValue(get("/runs/reliability?pipeline="
                    + URLEncoder.encode(pipeline, StandardCharsets.UTF_8)).body(), Reliability.class);
        } catch (IOException e) {
            throw new Unavailable("run-state's reliability could not be read: " + e.getMessage(), e);
        }
    }

    /** Every grant as a tree with its status, budgets and spending over every run (run-state's {@code /grants}). */
    public List<GrantTree.Line> grants() {
        try {
            return RunStateJson.MAPPER.readValue(get("/grants").body(), new TypeReference<>() { });
        } catch (IOException e) {
            throw new Unavailable("run-state's grant tree could not be read: " + e.getMessage(), e);
        }
    }

    private HttpResponse<byte[]> get(String path) {
        if (baseUrl == null) {
            throw new Unavailable("mesh.run-state.url is not set: the console cannot read run state", null);
        }
        try {
            HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(URI.create(baseUrl + path))
                    .header("Authorization", authorization).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200 && response.statusCode() != 404) {
                throw new Unavailable("run-state answered " + response.statusCode() + " to " + path, null);
            }
            return response;
        } catch (IOException e) {
            throw new Unavailable("run-state at " + baseUrl + " could not be reached: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted while asking run-state", e);
        }
    }
}
