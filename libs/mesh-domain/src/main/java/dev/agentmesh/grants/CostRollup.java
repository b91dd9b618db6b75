package dev.agentmesh.grants;

import java.util.ArrayList;
import dev.agentmesh.runstate.RunState;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Rolls a run's cost up the delegation tree: each grant's subtree total is what was spent under it and under every
 * grant below it. The direct costs come from the run's events (run state); the tree comes from the grant ledger.
 */
public final class CostRollup {

    /** One grant of the tree, with what it spent itself and what its subtree spent. */
    public record Node(String grantId, String parentGrantId, String grantee, int depth, Long budgetComputeMs,
                       long directComputeMs, long directTokens, long subtreeComputeMs, long subtreeTokens, long events) {
    }

    /** A grant as the ledger knows it. */
    public record Link(String parentGrantId, String grantee, int depth, Long budgetComputeMs) {
    }

    private CostRollup() {
    }

    /**
     * @param direct  cost per grant id, as folded from the run's events
     * @param ledger  the ledger's view of a grant, or null for a grant it does not know (it then stands alone)
     */
    public static SortedMap<String, Node> rollup(Map<String, RunState.GrantCost> direct, Function<String, Link> ledger) {
        SortedMap<String, Node> nodes = new TreeMap<>();
        for (Map.Entry<String, RunState.GrantCost> spent : direct.entrySet()) {
            RunState.GrantCost cost = spent.getValue();
            String id = spent.getKey();
            boolean first = true;
            while (id != null) {
                Link link = RunState.NO_GRANT.equals(id) ? null : ledger.apply(id);
                Node known = nodes.get(id);
                long directMs = first ? cost.computeMs() : 0;
                long directTokens = first ? cost.tokens() : 0;
                long events = first ? cost.events() : 0;
                nodes.put(id, new Node(id, link == null ? null : link.parentGrantId(), link == null ? null : link.grantee(),
                        link == null ? -1 : link.depth(), link == null ? null : link.budgetComputeMs(),
                        (known == null ? 0 : known.directComputeMs()) + directMs,
                        (known == null ? 0 : known.directTokens()) + directTokens,
                        (known == null ? 0 : known.subtreeComputeMs()) + cost.computeMs(),
                        (known == null ? 0 : known.subtreeTokens()) + cost.tokens(),
                        (known == null ? 0 : known.events()) + events));
                id = link == null ? null : link.parentGrantId();
                first = false;
            }
        }
        return nodes;
    }

    /** The chain of grant ids from {@code grantId} up to its root, for display. */
    public static List<String> chain(SortedMap<String, Node> nodes, String grantId) {
        List<String> chain = new ArrayList<>();
        for (Node n = nodes.get(grantId); n != null; n = n.parentGrantId() == null ? null : nodes.get(n.parentGrantId())) {
            chain.add(n.grantId());
        }
        return chain;
    }
}
