package dev.agentmesh.runstate.service;

import dev.agentmesh.grants.GrantTree;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.service.GrantGate;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import org.apache.kafka.streams.state.KeyValueIterator;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The grant tree: every grant from the principal's roots down with its status and budgets, and what every run spent
 * under it (each instance sums the runs it owns; one instance gathers the others' sums).
 */
@Path("/grants")
@Produces(MediaType.APPLICATION_JSON)
public class GrantsResource {

    /** What the runs one instance owns spent directly under one grant. */
    public record GrantSpend(String grantId, long computeMs, long tokens, long moneyMicros, long events) {
    }

    @Inject
    RunStateHosts hosts;

    @Inject
    GrantGate grants;

    @GET
    public List<GrantTree.Line> tree(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        Map<String, RunState.GrantCost> spent = new TreeMap<>();
        List<GrantSpend> all = new ArrayList<>(spent());
        all.addAll(hosts.spentFromOthers(authorization));
        for (GrantSpend s : all) {
            spent.merge(s.grantId(), new RunState.GrantCost(s.computeMs(), s.tokens(), s.moneyMicros(), s.events()),
                    (a, b) -> new RunState.GrantCost(a.computeMs() + b.computeMs(), a.tokens() + b.tokens(),
                            a.moneyMicros() + b.moneyMicros(), a.events() + b.events()));
        }
        return grants.tree(spent, Instant.now());
    }

    /** This instance's share: what its runs spent per grant. */
    @GET
    @Path("/spent")
    public List<GrantSpend> spent() {
        Map<String, long[]> sums = new TreeMap<>();
        try (KeyValueIterator<String, RunState> all = hosts.localActive().all()) {
            all.forEachRemaining(kv -> kv.value.costByGrant().forEach((grant, cost) -> {
                long[] sum = sums.computeIfAbsent(grant, k -> new long[4]);
                sum[0] += cost.computeMs();
                sum[1] += cost.tokens();
                sum[2] += cost.moneyMicros();
                sum[3] += cost.events();
            }));
        }
        List<GrantSpend> out = new ArrayList<>();
        sums.forEach((grant, s) -> out.add(new GrantSpend(grant, s[0], s[1], s[2], s[3])));
        return out;
    }
}
