package dev.agentmesh.grants;

import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.grant.GrantScope;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

import java.security.KeyPair;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Over 10,000 generated grant chains with actions and revocations, the ledger never accepts an action that an
 * independent model of the chain's authority does not allow. The model expands every resource pattern to the
 * concrete resources of a small universe and intersects sets; it shares no code with the ledger.
 */
class GrantLedgerPropertyTest {

    static final List<String> ACTIONS = List.of(Actions.SCHEDULE_RUNS, Actions.SPEND_COMPUTE,
            Actions.WRITE_CHECKPOINTS, Actions.DEPLOY, Actions.DECIDE);
    static final List<String> CONCRETE = List.of("pipeline:nightly", "pipeline:weekly", "run:r1", "run:r2");
    static final List<String> PATTERNS = List.of("pipeline:nightly", "pipeline:weekly", "run:r1", "run:r2",
            "*", "pipeline:*", "run:*");
    static final Instant NOW = Instant.parse("2026-11-23T02:00:00Z");
    static final KeyPair PRINCIPAL = GrantKeys.generate();
    static final List<KeyPair> HOLDERS = List.of(GrantKeys.generate(), GrantKeys.generate(), GrantKeys.generate(),
            GrantKeys.generate(), GrantKeys.generate());
    static final KeyPair MALLORY = GrantKeys.generate();

    /** The model's view of one generated grant. */
    record Model(GrantIssued grant, Model parent, int depth, boolean legit, Set<String> actions, Set<String> resources) {
    }

    static Set<String> expand(List<String> patterns) {
        Set<String> out = new HashSet<>();
        for (String p : patterns) {
            for (String r : CONCRETE) {
                if (p.equals("*") || p.equals(r) || (p.endsWith(":*") && r.startsWith(p.substring(0, p.length() - 1)))) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    static <T> List<T> someOf(List<T> from, Random random) {
        List<T> picked = new ArrayList<>();
        for (T t : from) {
            if (random.nextInt(3) == 0) {
                picked.add(t);
            }
        }
        if (picked.isEmpty()) {
            picked.add(from.get(random.nextInt(from.size())));
        }
        return picked;
    }

    @Property(tries = 10_000, seed = "20261123")
    @StatisticsReport(onFailureOnly = false)
    void noActionIsAcceptedBeyondItsChainsAuthorityOrAfterARevocation(@ForAll long seed) {
        Random random = new Random(seed);
        GrantLedger ledger = new GrantLedger(PRINCIPAL.getPublic());
        List<Model> chain = new ArrayList<>();
        Map<String, Long> spent = new HashMap<>();
        Set<String> revoked = new HashSet<>();

        int length = 1 + random.nextInt(4);
        for (int i = 0; i < length; i++) {
            Model parent = chain.isEmpty() ? null : chain.get(chain.size() - 1);
            boolean forged = random.nextInt(12) == 0;
            KeyPair holder = HOLDERS.get(i);
            // Mostly narrowing children (so that many chains are legitimate), sometimes arbitrary ones.
            boolean narrow = parent != null && random.nextInt(4) != 0;
            List<String> actions = someOf(narrow ? parent.grant().getScope().getActions() : ACTIONS, random);
            List<String> resources = someOf(narrow ? parent.grant().getScope().getResources() : PATTERNS, random);
            Long parentBudget = parent == null ? null : parent.grant().getScope().getBudgetComputeMs();
            Long budget = random.nextInt(4) == 0 ? null
                    : (long) random.nextInt(narrow && parentBudget != null ? (int) (parentBudget + 1) : 400);
            Instant expiry = narrow ? parent.grant().getExpiresAt().minusSeconds(random.nextInt(300))
                    : NOW.plusSeconds(random.nextInt(2000) + 1);
            int maxDepth = narrow ? Math.max(i, parent.grant().getMaxDepth() - random.nextInt(2)) : random.nextInt(5);
            GrantScope scope = Grants.scope(actions, resources, budget);
            GrantIssued grant = parent == null
                    ? Grants.root(forged ? MALLORY : PRINCIPAL, "principal", "g0", holder.getPublic(), scope, expiry, maxDepth)
                    : Grants.delegate(parent.grant(), forged ? MALLORY : HOLDERS.get(i - 1), "g" + i, holder.getPublic(),
                    scope, expiry, maxDepth);
            int depth = i;
            boolean legit = !forged && depth <= maxDepth;
            if (parent != null) {
                GrantIssued p = parent.grant();
                Long pb = p.getScope().getBudgetComputeMs();
                legit &= parent.legit()
                        && parent.actions().containsAll(actions)
                        && parent.resources().containsAll(expand(resources))
                        && (pb == null || (budget != null && budget <= pb))
                        && !expiry.isAfter(p.getExpiresAt())
                        && maxDepth <= p.getMaxDepth();
            }
            ledger.issue(grant, NOW);
            chain.add(new Model(grant, parent, depth, legit, Set.copyOf(actions), expand(resources)));
        }

        int steps = 2 + random.nextInt(5);
        for (int step = 0; step < steps; step++) {
            if (random.nextInt(5) == 0) {
                Model target = chain.get(random.nextInt(chain.size()));
                ledger.revoke(Grants.revoke(target.grant().getGrantId(), PRINCIPAL, "principal", "generated"));
                revoked.add(target.grant().getGrantId());
            }
            Model at = chain.get(random.nextInt(chain.size()));
            // Mostly plausible actions, sometimes arbitrary ones.
            List<String> ownActions = at.grant().getScope().getActions();
            List<String> ownResources = List.copyOf(at.resources());
            String action = random.nextInt(10) < 7 ? ownActions.get(random.nextInt(ownActions.size()))
                    : ACTIONS.get(random.nextInt(ACTIONS.size()));
            String resource = random.nextInt(10) < 7 && !ownResources.isEmpty()
                    ? ownResources.get(random.nextInt(ownResources.size())) : CONCRETE.get(random.nextInt(CONCRETE.size()));
            int depth = random.nextInt(10) < 7 ? at.depth() : random.nextInt(6);
            long ms = random.nextInt(60);
            Instant when = random.nextInt(10) < 7 ? NOW : NOW.plusSeconds(random.nextInt(2500));
            Decision decision = ledger.authorize(new ActionRequest(at.grant().getGrantId(), action, resource, depth, ms, when));

            boolean modelAllows = at.legit()
                    && chainOf(at).stream().noneMatch(m -> revoked.contains(m.grant().getGrantId()))
                    && when.isBefore(at.grant().getExpiresAt())
                    && at.actions().contains(action)
                    && at.resources().contains(resource)
                    && depth <= at.grant().getMaxDepth()
                    && chainOf(at).stream().allMatch(m -> m.grant().getScope().getBudgetComputeMs() == null
                    || spent.getOrDefault(m.grant().getGrantId(), 0L) + ms <= m.grant().getScope().getBudgetComputeMs());
            if (decision.allowed()) {
                assertFalse(!modelAllows, "accepted beyond authority: " + decision + " for " + action + " on " + resource
                        + " at depth " + depth + " under " + at);
                ledger.recordSpend(at.grant().getGrantId(), ms);
                chainOf(at).forEach(m -> spent.merge(m.grant().getGrantId(), ms, Long::sum));
            }
            Statistics.label("decision").collect(decision.allowed() ? "accepted" : "refused");
        }
        Statistics.label("decision").coverage(c -> c.check("accepted").percentage(p -> p >= 5.0));
    }

    static List<Model> chainOf(Model m) {
        List<Model> out = new ArrayList<>();
        for (Model x = m; x != null; x = x.parent()) {
            out.add(x);
        }
        return out;
    }
}
