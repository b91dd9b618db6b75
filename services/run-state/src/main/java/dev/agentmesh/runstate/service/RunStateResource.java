package dev.agentmesh.runstate.service;

import java.util.Collection;
import dev.agentmesh.grants.CostRollup;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.service.GrantGate;
import dev.agentmesh.runstate.RunStateJson;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.ServiceUnavailableException;
import jakarta.ws.rs.core.MediaType;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Serves the derived run state. */
@Path("/runs")
@Produces(MediaType.APPLICATION_JSON)
public class RunStateResource {

    public record RunSummary(String runId, String status, String pipeline, Instant triggeredAt, Instant lastEventAt,
                             long eventCount) {
        static RunSummary of(RunState s) {
            return new RunSummary(s.runId(), s.status().name(), s.pipeline(), s.triggeredAt(), s.lastEventAt(), s.eventCount());
        }
    }

    @Inject
    KafkaStreams streams;

    @Inject
    GrantGate grants;

    @GET
    public List<RunSummary> list() {
        List<RunSummary> runs = new ArrayList<>();
        try (KeyValueIterator<String, RunState> all = store().all()) {
            all.forEachRemaining(kv -> runs.add(RunSummary.of(kv.value)));
        }
        runs.sort(Comparator.comparing(RunSummary::lastEventAt, Comparator.nullsLast(Comparator.reverseOrder())));
        return runs;
    }

    @GET
    @Path("/{runId}")
    public byte[] get(@PathParam("runId") String runId) {
        RunState state = store().get(runId);
        if (state == null) {
            throw new NotFoundException("no run " + runId);
        }
        return RunStateJson.toBytes(state);
    }

    /** The run's cost by delegation subtree: every grant its events acted under, up to the principal's root grants. */
    @GET
    @Path("/{runId}/costs")
    public Collection<CostRollup.Node> costs(@PathParam("runId") String runId) {
        RunState state = store().get(runId);
        if (state == null) {
            throw new NotFoundException("no run " + runId);
        }
        return grants.rollup(state.costByGrant()).values();
    }

    private ReadOnlyKeyValueStore<String, RunState> store() {
        try {
            return streams.store(StoreQueryParameters.fromNameAndType(
                    TopologyProducer.RUN_STATE_STORE, QueryableStoreTypes.keyValueStore()));
        } catch (InvalidStateStoreException e) {
            throw new ServiceUnavailableException("run state is being rebuilt: " + e.getMessage());
        }
    }
}
