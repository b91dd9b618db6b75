package dev.agentmesh.runstate.service;

import dev.agentmesh.core.Reliability;
import dev.agentmesh.grants.CostRollup;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateJson;
import dev.agentmesh.service.GrantGate;
import jakarta.inject.Inject;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.DefaultValue;
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

import java.io.IOException;
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
                             long eventCount, long computeMs) {
        static RunSummary of(RunState s) {
            return new RunSummary(s.runId(), s.status().name(), s.pipeline(), s.triggeredAt(), s.lastEventAt(),
                    s.eventCount(), s.computeMs());
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

    /**
     * Compound reliability over the {@code window} most recent ended runs (of {@code pipeline}, or all), gathered
     * from every instance: each instance's own most recent runs contain the window's.
     */
    @GET
    @Path("/reliability")
    public Reliability reliability(@QueryParam("pipeline") String pipeline, @QueryParam("window") @DefaultValue("20") int window,
                                   @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        if (window < 1) {
            throw new BadRequestException("window must be at least 1, was " + window);
        }
        Map<String, RunState> runs = new LinkedHashMap<>();
        recentLocal(pipeline, window).forEach(r -> runs.put(r.runId(), r));
        for (RunState remote : hosts.recentFromOthers(pipeline, window, authorization)) {
            runs.merge(remote.runId(), remote, (a, b) -> a.eventCount() >= b.eventCount() ? a : b);
        }
        return Reliability.of(runs.values(), pipeline, window);
    }

    /** This instance's {@code window} most recent ended runs (of {@code pipeline}, or all): what one instance asks another. */
    @GET
    @Path("/recent")
    public byte[] recent(@QueryParam("pipeline") String pipeline, @QueryParam("window") @DefaultValue("20") int window)
            throws IOException {
        return RunStateJson.MAPPER.writeValueAsBytes(recentLocal(pipeline, Math.max(1, window)));
    }

    private List<RunState> recentLocal(String pipeline, int window) {
        List<RunState> ended = new ArrayList<>();
        try (KeyValueIterator<String, RunState> all = hosts.localActive().all()) {
            all.forEachRemaining(kv -> {
                if (kv.value.status().terminal() && (pipeline == null || pipeline.equals(kv.value.pipeline()))) {
                    ended.add(kv.value);
                }
            });
        }
        ended.sort(Comparator.comparing(RunState::triggeredAt, Comparator.nullsLast(Comparator.<Instant>reverseOrder())));
        return ended.subList(0, Math.min(window, ended.size()));
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
