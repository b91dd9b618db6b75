package dev.agentmesh.grants;

import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.runstate.RunState;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Every grant the ledger knows as a tree from the principal's root grants down, depth first, each with its status
 * (active, revoked, expired; refused grants listed apart), its scope and budgets, and what was spent under it directly
 * and with its delegations (the runs' direct costs per grant, rolled up: {@link CostRollup}).
 */
public final class GrantTree {

    public enum Status { ACTIVE, REVOKED, EXPIRED, REFUSED }

    /** One grant, {@code indent} levels under its root. */
    public record Line(String grantId, String parentGrantId, String grantor, String grantee, List<String> actions,
                       List<String> resources, int maxDepth, Instant expiresAt, Status status, String reason,
                       CostRollup.Budget budget, CostRollup.Spend direct, CostRollup.Spend subtree, long events, int indent) {
    }

    private GrantTree() {
    }

    /** @param spent each grant's direct cost summed over every run */
    public static List<Line> of(GrantLedger ledger, Map<String, RunState.GrantCost> spent, Instant now) {
        Map<String, RunState.GrantCost> direct = new HashMap<>();
        for (GrantLedger.Entry e : ledger.entries()) {
            direct.put(e.grant().getGrantId(), new RunState.GrantCost(0, 0, 0, 0));
        }
        spent.forEach((id, cost) -> {
            if (direct.containsKey(id)) {
                direct.put(id, cost);
            }
        });
        SortedMap<String, CostRollup.Node> nodes = CostRollup.rollup(direct, id -> ledger.entry(id)
                .map(e -> new CostRollup.Link(e.grant().getParentGrantId(), e.grant().getGrantee(), e.depth(),
                        new CostRollup.Budget(e.grant().getScope().getBudgetComputeMs(), e.grant().getScope().getBudgetTokens(),
                                e.grant().getScope().getBudgetMoneyMicros()))).orElse(null));
        Map<String, List<GrantLedger.Entry>> children = new TreeMap<>();
        for (GrantLedger.Entry e : ledger.entries()) {
            String parent = e.grant().getParentGrantId();
            children.computeIfAbsent(parent == null || ledger.entry(parent).isEmpty() ? "" : parent, k -> new ArrayList<>()).add(e);
        }
        children.values().forEach(list -> list.sort(Comparator.comparing((GrantLedger.Entry e) -> e.grant().getGrantee())
                .thenComparing(e -> e.grant().getGrantId())));
        List<Line> lines = new ArrayList<>();
        add(lines, children, "", 0, ledger, nodes, now);
        new TreeMap<>(ledger.refusals()).forEach((id, reason) -> lines.add(new Line(id, null, null, null, List.of(), List.of(),
                0, null, Status.REFUSED, reason, CostRollup.Budget.NONE, CostRollup.Spend.NONE, CostRollup.Spend.NONE, 0, 0)));
        return lines;
    }

    private static void add(List<Line> lines, Map<String, List<GrantLedger.Entry>> children, String parent, int indent,
                            GrantLedger ledger, SortedMap<String, CostRollup.Node> nodes, Instant now) {
        for (GrantLedger.Entry e : children.getOrDefault(parent, List.of())) {
            GrantIssued g = e.grant();
            CostRollup.Node node = nodes.get(g.getGrantId());
            String revoked = ledger.revocation(g.getGrantId()).orElse(null);
            String expired = expiry(ledger, g, now);
            Status status = revoked != null ? Status.REVOKED : expired != null ? Status.EXPIRED : Status.ACTIVE;
            lines.add(new Line(g.getGrantId(), g.getParentGrantId(), g.getGrantor(), g.getGrantee(),
                    List.copyOf(g.getScope().getActions()), List.copyOf(g.getScope().getResources()), g.getMaxDepth(),
                    g.getExpiresAt(), status, revoked != null ? revoked : expired, node.budget(), node.direct(),
                    node.subtree(), node.events(), indent));
            add(lines, children, g.getGrantId(), indent + 1, ledger, nodes, now);
        }
    }

    /** Why the grant no longer holds by time: its own expiry or an ancestor's; null while it holds. */
    private static String expiry(GrantLedger ledger, GrantIssued grant, Instant now) {
        for (GrantLedger.Entry e : ledger.chain(grant.getGrantId())) {
            if (!now.isBefore(e.grant().getExpiresAt())) {
                return "grant " + e.grant().getGrantId() + " expired at " + e.grant().getExpiresAt();
            }
        }
        return null;
    }
}
