package dev.agentmesh.runstate.service;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateJson;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ServiceUnavailableException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where a run's state lives among the run-state instances (Kafka Streams interactive queries): each instance
 * advertises its HTTP address as {@code application.server}; the metadata for a run id names the instance whose active
 * task holds it, and its standbys. Another instance's store is read over its own REST API ({@code ?local=true}), with
 * the caller's credentials.
 */
@ApplicationScoped
public class RunStateHosts {

    private static final Logger LOG = Logger.getLogger(RunStateHosts.class);
    private static final Duration REMOTE_TIMEOUT = Duration.ofSeconds(5);

    private final KafkaStreams streams;
    private final ObjectMapper json;
    private final Optional<HostInfo> self;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(REMOTE_TIMEOUT).build();

    public RunStateHosts(KafkaStreams streams, ObjectMapper json,
                         @ConfigProperty(name = "kafka-streams.application.server") Optional<String> advertised) {
        this.streams = streams;
        this.json = json;
        this.self = advertised.filter(a -> !a.isBlank()).map(HostInfo::buildFromEndpoint);
    }

    /** This instance's store, active tasks only (what it owns). */
    public ReadOnlyKeyValueStore<String, RunState> localActive() {
        return store(StoreQueryParameters.fromNameAndType(TopologyProducer.RUN_STATE_STORE, QueryableStoreTypes.keyValueStore()));
    }

    /** This instance's store, standby copies included (served while the owner is away). */
    public ReadOnlyKeyValueStore<String, RunState> localWithStandbys() {
        return store(StoreQueryParameters.fromNameAndType(TopologyProducer.RUN_STATE_STORE,
                QueryableStoreTypes.<String, RunState>keyValueStore()).enableStaleStores());
    }

    /** The run's state from whichever instance holds it: the active owner first, then its standbys. */
    public Optional<RunState> find(String runId, String authorization) {
        KeyQueryMetadata metadata = streams.queryMetadataForKey(TopologyProducer.RUN_STATE_STORE, runId,
                Serdes.String().serializer());
        if (self.isEmpty() || metadata == null || KeyQueryMetadata.NOT_AVAILABLE.equals(metadata)) {
            return Optional.ofNullable(localWithStandbys().get(runId));
        }
        List<HostInfo> holders = new ArrayList<>();
        holders.add(metadata.activeHost());
        holders.addAll(metadata.standbyHosts());
        List<String> failures = new ArrayList<>();
        for (HostInfo host : holders) {
            if (host.equals(self.get())) {
                RunState local = localWithStandbys().get(runId);
                if (local != null || host.equals(metadata.activeHost())) {
                    return Optional.ofNullable(local);
                }
                continue;
            }
            try {
                HttpResponse<byte[]> response = get(host, "/runs/" + URLEncoder.encode(runId, StandardCharsets.UTF_8)
                        + "?local=true", authorization);
                if (response.statusCode() == 200) {
                    return Optional.of(RunStateJson.fromBytes(response.body()));
                }
                if (response.statusCode() == 404 && host.equals(metadata.activeHost())) {
                    return Optional.empty();
                }
                failures.add(host + " answered " + response.statusCode());
            } catch (IOException e) {
                failures.add(host + ": " + e.getMessage());
            }
        }
        throw new ServiceUnavailableException("no instance holding run " + runId + " answered: " + failures);
    }

    /** The runs every other instance owns. */
    public List<RunStateResource.RunSummary> fromOthers(String authorization) {
        return gather("/runs?local=true", authorization, "the list",
                body -> json.readValue(body, new TypeReference<List<RunStateResource.RunSummary>>() { }));
    }

    /** The most recent ended runs (of {@code pipeline}, or all) that every other instance owns, {@code window} from each. */
    public List<RunState> recentFromOthers(String pipeline, int window, String authorization) {
        String query = "/runs/recent?window=" + window
                + (pipeline == null ? "" : "&pipeline=" + URLEncoder.encode(pipeline, StandardCharsets.UTF_8));
        return gather(query, authorization, "the figures",
                body -> RunStateJson.MAPPER.readValue(body, new TypeReference<List<RunState>>() { }));
    }

    /** What the runs every other instance owns spent per grant. */
    public List<GrantsResource.GrantSpend> spentFromOthers(String authorization) {
        return gather("/grants/spent", authorization, "the spending",
                body -> json.readValue(body, new TypeReference<List<GrantsResource.GrantSpend>>() { }));
    }

    /** Reads one instance's answer. */
    interface Reader<T> {
        List<T> read(byte[] body) throws IOException;
    }

    /** Every other instance's answer to {@code path} (its own share), all or none: a missing share fails the request. */
    private <T> List<T> gather(String path, String authorization, String what, Reader<T> reader) {
        List<T> out = new ArrayList<>();
        if (self.isEmpty()) {
            return out;
        }
        for (StreamsMetadata instance : streams.metadataForAllStreamsClients()) {
            HostInfo host = instance.hostInfo();
            if (host.equals(self.get()) || instance.stateStoreNames().isEmpty()) {
                continue;
            }
            try {
                HttpResponse<byte[]> response = get(host, path, authorization);
                if (response.statusCode() != 200) {
                    throw new ServiceUnavailableException("run-state instance " + host + " answered "
                            + response.statusCode() + ": " + what + " would be partial");
                }
                out.addAll(reader.read(response.body()));
            } catch (IOException e) {
                throw new ServiceUnavailableException("run-state instance " + host + " did not answer ("
                        + e.getMessage() + "): " + what + " would be partial");
            }
        }
        return out;
    }

    private HttpResponse<byte[]> get(HostInfo host, String path, String authorization) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + host.host() + ":" + host.port() + path))
                .timeout(REMOTE_TIMEOUT).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private ReadOnlyKeyValueStore<String, RunState> store(StoreQueryParameters<ReadOnlyKeyValueStore<String, RunState>> query) {
        try {
            return streams.store(query);
        } catch (InvalidStateStoreException e) {
            LOG.debugf("store not queryable: %s", e.getMessage());
            throw new ServiceUnavailableException("run state is being rebuilt: " + e.getMessage());
        }
    }
}
