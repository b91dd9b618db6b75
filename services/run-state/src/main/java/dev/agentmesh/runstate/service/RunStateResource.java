package dev.agentmesh.runstate.service;

import dev.agentmesh.grants.CostRollup;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateJson;
import dev.agentmesh.service.GrantGate;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import org.apache.kafka.streams.state.KeyValueIterator;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Serves the derived run state from any instance: a run lives in the store of the instance that owns its partition
 * (or a standby's copy), so a request for it is answered here or fetched from that instance ({@link RunStateHosts});
 * the list is gathered from every instance. {@code ?local=true} answers from this instance's store alone (what one
 * instance asks another).
 */
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
    RunStateHosts hosts;

    @Inject
    GrantGate grants;

    @GET
    public List<RunSummary> list(@QueryParam("local") boolean local,
                                 @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        Map<String, RunSummary> runs = new LinkedHashMap<>();
        try (KeyValueIterator<String, RunState> all = hosts.localActive().all()) {
            all.forEachRemaining(kv -> runs.put(kv.key, RunSummary.of(kv.value)));
        }
        if (!local) {
            for (RunSummary remote : hosts.fromOthers(authorization)) {
                runs.merge(remote.runId(), remote, (a, b) -> a.eventCount() >= b.eventCount() ? a : b);
            }
        }
        List<RunSummary> sorted = new ArrayList<>(runs.values());
        sorted.sort(Comparator.comparing(RunSummary::lastEventAt, Comparator.nullsLast(Comparator.reverseOrder())));
        return sorted;
    }

    @GET
    @Path("/{runId}")
    public byte[] get(@PathParam("runId") String runId, @QueryParam("local") boolean local,
                      @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        return state(runId, local, authorization).map(RunStateJson::toBytes)
                .orElseThrow(() -> new NotFoundException("no run " + runId));
    }

    /** The run's cost by delegation subtree: every grant its events acted under, up to the principal's root grants. */
    @GET
    @Path("/{runId}/costs")
    public Collection<CostRollup.Node> costs(@PathParam("runId") String runId,
                                             @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        RunState state = state(runId, false, authorization).orElseThrow(() -> new NotFoundException("no run " + runId));
        return grants.rollup(state.costByGrant()).values();
    }

    private Optional<RunState> state(String runId, boolean local, String authorization) {
        return local ? Optional.ofNullable(hosts.localWithStandbys().get(runId)) : hosts.find(runId, authorization);
    }
}
