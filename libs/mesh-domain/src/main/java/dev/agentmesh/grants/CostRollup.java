package dev.agentmesh.grants;

import dev.agentmesh.runstate.RunState;

import java.util.ArrayList;
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

    /** Compute, language-model tokens and money (millionths of the configured currency). */
    public record Spend(long computeMs, long tokens, long moneyMicros) {
        public static final Spend NONE = new Spend(0, 0, 0);

        public Spend plus(Spend other) {
            return new Spend(computeMs + other.computeMs, tokens + other.tokens, moneyMicros + other.moneyMicros);
        }
    }

    /** A grant's budgets; null where it sets none. */
    public record Budget(Long computeMs, Long tokens, Long moneyMicros) {
        public static final Budget NONE = new Budget(null, null, null);
    }

    /** One grant of the tree, with what it spent itself and what its subtree spent. */
    public record Node(String grantId, String parentGrantId, String grantee, int depth, Budget budget, Spend direct,
                       Spend subtree, long events) {
    }

    /** A grant as the ledger knows it. */
    public record Link(String parentGrantId, String grantee, int depth, Budget budget) {
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
            Spend spend = new Spend(cost.computeMs(), cost.tokens(), cost.moneyMicros());
            String id = spent.getKey();
            boolean first = true;
            while (id != null) {
                Link link = RunState.NO_GRANT.equals(id) ? null : ledger.apply(id);
                Node known = nodes.get(id);
                nodes.put(id, new Node(id, link == null ? null : link.parentGrantId(), link == null ? null : link.grantee(),
                        link == null ? -1 : link.depth(), link == null ? Budget.NONE : link.budget(),
                        (known == null ? Spend.NONE : known.direct()).plus(first ? spend : Spend.NONE),
                        (known == null ? Spend.NONE : known.subtree()).plus(spend),
                        (known == null ? 0 : known.events()) + (first ? cost.events() : 0)));
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
