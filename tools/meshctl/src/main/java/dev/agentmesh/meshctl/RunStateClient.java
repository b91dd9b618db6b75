package dev.agentmesh.meshctl;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.agentmesh.core.Reliability;
import dev.agentmesh.grants.CostRollup;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateJson;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads run state from the run-state service's REST API, signed in with HTTP Basic as {@code MESH_RUN_STATE_USER}
 * (default {@code operator}) with {@code MESH_RUN_STATE_PASSWORD} (default: the embedded demo's).
 */
final class RunStateClient {

    static final String DEFAULT_USER = "operator";
    static final String DEFAULT_PASSWORD = "operator-local";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;
    private final String authorization;
    private final Duration requestTimeout;

    RunStateClient(String baseUrl) {
        this(baseUrl, Duration.ofSeconds(10));
    }

    RunStateClient(String baseUrl, Duration requestTimeout) {
        this.requestTimeout = requestTimeout;
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        String user = System.getenv().getOrDefault("MESH_RUN_STATE_USER", DEFAULT_USER);
        String password = System.getenv().getOrDefault("MESH_RUN_STATE_PASSWORD", DEFAULT_PASSWORD);
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    Optional<RunState> get(String runId) {
        HttpResponse<byte[]> response = send("/runs/" + runId);
        if (response.statusCode() == 404 || response.statusCode() == 503) {
            return Optional.empty();
        }
        check(response);
        return Optional.of(RunStateJson.fromBytes(response.body()));
    }

    /**
     * {@link #get} for a loop that waits on the run: an answer that did not come within the request timeout (a
     * service starved of CPU for a moment) counts as no answer yet, so the loop asks again instead of failing.
     */
    Optional<RunState> poll(String runId) {
        try {
            return get(runId);
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof HttpTimeoutException) {
                return Optional.empty();
            }
            throw e;
        }
    }

    byte[] getRaw(String runId) {
        HttpResponse<byte[]> response = send("/runs/" + runId);
        check(response);
        return response.body();
    }

    /** The run's cost per grant, rolled up the delegation tree (run-state's {@code /runs/{id}/costs}). */
    List<CostRollup.Node> costs(String runId) {
        HttpResponse<byte[]> response = send("/runs/" + runId + "/costs");
        check(response);
        try {
            return RunStateJson.MAPPER.readValue(response.body(), new TypeReference<>() { });
        } catch (IOException e) {
            throw new IllegalStateException("unreadable costs answer", e);
        }
    }

    /** Compound reliability over the most recent ended runs (run-state's {@code /runs/reliability}). */
    Reliability reliability(String pipeline, int window) {
        HttpResponse<byte[]> response = send("/runs/reliability?window=" + window
                + (pipeline == null ? "" : "&pipeline=" + URLEncoder.encode(pipeline, StandardCharsets.UTF_8)));
        check(response);
        try {
            return RunStateJson.MAPPER.readValue(response.body(), Reliability.class);
        } catch (IOException e) {
            throw new IllegalStateException("unreadable reliability answer", e);
        }
    }

    List<Map<String, Object>> list() {
        HttpResponse<byte[]> response = send("/runs");
        check(response);
        try {
            return RunStateJson.MAPPER.readValue(response.body(), new TypeReference<>() { });
        } catch (IOException e) {
            throw new IllegalStateException("unreadable /runs answer", e);
        }
    }

    private HttpResponse<byte[]> send(String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(requestTimeout)
                            .header("Authorization", authorization).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new IllegalStateException("run-state at " + baseUrl + " is unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void check(HttpResponse<byte[]> response) {
        if (response.statusCode() != 200) {
            throw new IllegalStateException(response.request().uri() + " answered " + response.statusCode() + ": "
                    + new String(response.body()));
        }
    }
}
