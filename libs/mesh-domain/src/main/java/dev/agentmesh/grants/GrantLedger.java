package dev.agentmesh.grants;

import dev.agentmesh.core.Excerpt;
import dev.agentmesh.judgment.SpendLimit;
import dev.agentmesh.grant.GrantEvent;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.grant.GrantRevoked;
import dev.agentmesh.grant.GrantScope;
import dev.agentmesh.grants.Decision.Refusal;

import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The grant ledger, folded from the grants topic in log order. It verifies every grant's signature chain up to
 * the principal's key, refuses grants that widen their parent, cascades revocations, tracks compute spent per
 * subtree, and decides whether an action is within its grant. Pure and deterministic: the same events give the
 * same decisions, so a replay of the log reproduces every decision.
 */
public final class GrantLedger {

    /** A grant the ledger accepted. */
    public static final class Entry {
        final GrantIssued grant;
        final int depth;
        final PublicKey granteeKey;
        final Instant issuedAt;
        String revokedReason;
        Instant revokedAt;
        long spentComputeMs;
        long spentTokens;
        long spentMoneyMicros;

        Entry(GrantIssued grant, int depth, PublicKey granteeKey, Instant issuedAt) {
            this.grant = grant;
            this.depth = depth;
            this.granteeKey = granteeKey;
            this.issuedAt = issuedAt;
        }

        public GrantIssued grant() {
            return grant;
        }

        public int depth() {
            return depth;
        }

        public Optional<String> revokedReason() {
            return Optional.ofNullable(revokedReason);
        }

        public long spentComputeMs() {
            return spentComputeMs;
        }
    }

    /** How many refused grants the ledger remembers by id, to say why an action naming one is refused. */
    public static final int REFUSALS_KEPT = 10_000;
    /** A grant id longer than this (the mesh's are UUIDs) is refused and not remembered. */
    static final int MAX_REMEMBERED_ID = 256;

    private final PublicKey principalKey;
    private final String principalKeyId;
    private final Map<String, Entry> grants = new HashMap<>();
    /** The latest refusals only: anyone able to write the grants topic could otherwise fill every service's memory. */
    private final Map<String, String> refusedGrants = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > REFUSALS_KEPT;
        }
    };
    private final Map<String, List<String>> children = new HashMap<>();

    public GrantLedger(PublicKey principalKey) {
        this.principalKey = principalKey;
        this.principalKeyId = GrantKeys.keyId(principalKey);
    }

    /** Applies one event of the grants topic; {@code at} is the event's time. */
    public Decision apply(GrantEvent event, Instant at) {
        Object payload = event.getPayload();
        if (payload instanceof GrantIssued issued) {
            return issue(issued, at);
        }
        if (payload instanceof GrantRevoked revoked) {
            return revoke(revoked, at);
        }
        return Decision.refused("unknown grant event " + payload);
    }

    public Decision issue(GrantIssued grant, Instant at) {
        String id = grant.getGrantId();
        if (grants.containsKey(id)) {
            return Arrays.equals(Grants.canonical(grants.get(id).grant), Grants.canonical(grant))
                    ? Decision.ALLOWED : refuseGrant(id, Decision.refused("grant id " + id + " is already taken by another grant"));
        }
        Decision decision = check(grant, at);
        if (!decision.allowed()) {
            return refuseGrant(id, decision);
        }
        PublicKey granteeKey;
        try {
            granteeKey = GrantKeys.publicKey(Grants.bytes(grant.getGranteePublicKey()));
        } catch (IllegalArgumentException e) {
            return refuseGrant(id, Decision.refused("grantee key: " + e.getMessage()));
        }
        int depth = grant.getParentGrantId() == null ? 0 : grants.get(grant.getParentGrantId()).depth + 1;
        grants.put(id, new Entry(grant, depth, granteeKey, at));
        refusedGrants.remove(id);
        if (grant.getParentGrantId() != null) {
            children.computeIfAbsent(grant.getParentGrantId(), k -> new ArrayList<>()).add(id);
        }
        return Decision.ALLOWED;
    }

    private Decision check(GrantIssued grant, Instant at) {
        byte[] signed = Grants.canonical(grant);
        byte[] signature = Grants.bytes(grant.getSignature());
        String parentId = grant.getParentGrantId();
        if (parentId == null) {
            if (!principalKeyId.equals(grant.getSignerKeyId()) || !GrantKeys.verify(principalKey, signed, signature)) {
                return Decision.refused(Refusal.NOT_SIGNED, "root grant not signed by the principal");
            }
            if (grant.getMaxDepth() < 0) {
                return Decision.refused("negative max depth");
            }
            return Decision.ALLOWED;
        }
        Entry parent = grants.get(parentId);
        if (parent == null) {
            return Decision.refused(Refusal.UNKNOWN_GRANT, "parent grant " + parentId + " is unknown"
                    + (refusedGrants.containsKey(parentId) ? " (refused: " + refusedGrants.get(parentId) + ")" : ""));
        }
        if (!GrantKeys.verify(parent.granteeKey, signed, signature)) {
            return Decision.refused(Refusal.NOT_SIGNED, "not signed by the holder of parent grant " + parentId);
        }
        Optional<String> revoked = revokedOnChain(parent);
        if (revoked.isPresent()) {
            return Decision.refused(Refusal.REVOKED, "parent chain revoked: " + revoked.get());
        }
        if (!at.isBefore(parent.grant.getExpiresAt())) {
            return Decision.refused(Refusal.EXPIRED, "parent grant " + parentId + " expired at " + parent.grant.getExpiresAt());
        }
        return attenuates(parent.grant, parent.depth, grant);
    }

    /** A child may only narrow: actions, resources, budget, expiry and depth. */
    static Decision attenuates(GrantIssued parent, int parentDepth, GrantIssued child) {
        GrantScope p = parent.getScope();
        GrantScope c = child.getScope();
        for (String action : c.getActions()) {
            if (!p.getActions().contains(action)) {
                return Decision.refused(Refusal.WIDENS_PARENT, "widens actions: '" + action + "' is not in the parent's " + p.getActions());
            }
        }
        for (String resource : c.getResources()) {
            if (p.getResources().stream().noneMatch(pattern -> Resources.covers(pattern, resource))) {
                return Decision.refused(Refusal.WIDENS_PARENT, "widens resources: '" + resource + "' is not covered by the parent's " + p.getResources());
            }
        }
        if (p.getBudgetComputeMs() != null
                && (c.getBudgetComputeMs() == null || c.getBudgetComputeMs() > p.getBudgetComputeMs())) {
            return Decision.refused(Refusal.WIDENS_PARENT, "widens budget: " + c.getBudgetComputeMs() + " ms over the parent's " + p.getBudgetComputeMs());
        }
        if (widens(p.getBudgetTokens(), c.getBudgetTokens()) || widens(p.getBudgetMoneyMicros(), c.getBudgetMoneyMicros())) {
            return Decision.refused(Refusal.WIDENS_PARENT, "widens a model budget: tokens " + c.getBudgetTokens() + ", money "
                    + c.getBudgetMoneyMicros() + " over the parent's " + p.getBudgetTokens() + ", " + p.getBudgetMoneyMicros());
        }
        if (child.getExpiresAt().isAfter(parent.getExpiresAt())) {
            return Decision.refused(Refusal.WIDENS_PARENT, "widens expiry: " + child.getExpiresAt() + " is after the parent's " + parent.getExpiresAt());
        }
        if (child.getMaxDepth() > parent.getMaxDepth()) {
            return Decision.refused(Refusal.WIDENS_PARENT, "widens max depth: " + child.getMaxDepth() + " over the parent's " + parent.getMaxDepth());
        }
        if (parentDepth + 1 > child.getMaxDepth()) {
            return Decision.refused(Refusal.OVER_DEPTH, "over depth: delegation depth " + (parentDepth + 1) + " exceeds max depth " + child.getMaxDepth());
        }
        return Decision.ALLOWED;
    }

    public Decision revoke(GrantRevoked revoked) {
        return revoke(revoked, Instant.now());
    }

    /** Applies a revocation that took effect at {@code at} (its event's time). */
    public Decision revoke(GrantRevoked revoked, Instant at) {
        Entry entry = grants.get(revoked.getGrantId());
        if (entry == null) {
            return Decision.refused(Refusal.UNKNOWN_GRANT, "revocation of unknown grant " + revoked.getGrantId());
        }
        byte[] signed = Grants.canonical(revoked);
        byte[] signature = Grants.bytes(revoked.getSignature());
        boolean authorised = GrantKeys.verify(principalKey, signed, signature);
        for (Entry e = entry; !authorised && e != null; e = parentOf(e)) {
            Entry parent = parentOf(e);
            PublicKey grantorKey = parent == null ? principalKey : parent.granteeKey;
            authorised = GrantKeys.verify(grantorKey, signed, signature);
        }
        if (!authorised) {
            return Decision.refused(Refusal.NOT_SIGNED, "revocation of " + revoked.getGrantId() + " not signed by the principal or a grantor on its chain");
        }
        if (entry.revokedReason == null) {
            entry.revokedReason = revoked.getReason() + " (by " + revoked.getRevokedBy() + ")";
            entry.revokedAt = at;
        }
        return Decision.ALLOWED;
    }

    /** Whether {@code request} is within its grant's authority, as of the events applied so far. */
    public Decision authorize(ActionRequest request) {
        return authorize(request, null);
    }

    /**
     * Whether {@code request} was within its grant's authority at {@code request.at()}, a time in the past the mesh
     * itself recorded (the broker's append time of the action): the grant must have been issued by then and not yet
     * revoked or expired. Judging a recorded action again later (a restart re-reading the log) gives the same answer,
     * whatever happened to the grant since. Budgets are not historical and are not judged.
     */
    public Decision authorizeAsOf(ActionRequest request) {
        return authorize(request, request.at());
    }

    private Decision authorize(ActionRequest request, Instant asOf) {
        if (request.grantId() == null) {
            return Decision.refused("action names no grant");
        }
        Entry entry = grants.get(request.grantId());
        if (entry == null) {
            String refused = refusedGrants.get(request.grantId());
            return Decision.refused(Refusal.UNKNOWN_GRANT, "grant " + request.grantId() + (refused == null ? " is unknown" : " was refused: " + refused));
        }
        if (asOf != null && entry.issuedAt != null && asOf.isBefore(entry.issuedAt)) {
            return Decision.refused(Refusal.UNKNOWN_GRANT, "grant " + request.grantId() + " was issued at "
                    + entry.issuedAt + ", after the action at " + asOf);
        }
        Optional<String> revoked = revokedOnChain(entry, asOf);
        if (revoked.isPresent()) {
            return Decision.refused(Refusal.REVOKED, "grant revoked: " + revoked.get());
        }
        GrantIssued grant = entry.grant;
        if (!request.at().isBefore(grant.getExpiresAt())) {
            return Decision.refused(Refusal.EXPIRED, "grant " + grant.getGrantId() + " expired at " + grant.getExpiresAt());
        }
        if (!grant.getScope().getActions().contains(request.action())) {
            return Decision.refused(Refusal.OUT_OF_SCOPE, "action '" + request.action() + "' is not in grant " + grant.getGrantId()
                    + "'s scope " + grant.getScope().getActions());
        }
        if (grant.getScope().getResources().stream().noneMatch(p -> Resources.covers(p, request.resource()))) {
            return Decision.refused(Refusal.OUT_OF_SCOPE, "resource '" + request.resource() + "' is not in grant " + grant.getGrantId()
                    + "'s scope " + grant.getScope().getResources());
        }
        if (request.delegationDepth() > grant.getMaxDepth()) {
            return Decision.refused(Refusal.OVER_DEPTH, "over depth: action at delegation depth " + request.delegationDepth()
                    + " exceeds max depth " + grant.getMaxDepth() + " of grant " + grant.getGrantId());
        }
        for (Entry e = entry; e != null && asOf == null; e = parentOf(e)) {
            Long budget = e.grant.getScope().getBudgetComputeMs();
            if (budget != null && e.spentComputeMs + request.computeMs() > budget) {
                return Decision.refused(Refusal.BUDGET_EXHAUSTED, "budget exhausted: grant " + e.grant.getGrantId() + " has spent " + e.spentComputeMs
                        + " of " + budget + " compute ms; this action needs " + request.computeMs());
            }
        }
        return Decision.ALLOWED;
    }

    /**
     * Whether {@code request} may stop work already started (a cancellation): its grant is one the ledger accepted
     * (signed, on the principal's chain) and covers the action and resource. A revoked or expired grant may still
     * stop what it started; budget and depth do not apply to stopping.
     */
    public Decision authorizeStop(ActionRequest request) {
        Decision decision = authorize(request);
        if (decision.refusedAs(Refusal.REVOKED) || decision.refusedAs(Refusal.EXPIRED)
                || decision.refusedAs(Refusal.BUDGET_EXHAUSTED) || decision.refusedAs(Refusal.OVER_DEPTH)) {
            GrantIssued grant = grants.get(request.grantId()).grant;
            boolean covers = grant.getScope().getActions().contains(request.action())
                    && grant.getScope().getResources().stream().anyMatch(p -> Resources.covers(p, request.resource()));
            return covers ? Decision.ALLOWED : Decision.refused(Refusal.OUT_OF_SCOPE, "grant " + grant.getGrantId()
                    + " does not cover '" + request.action() + "' on '" + request.resource() + "'");
        }
        return decision;
    }

    /** Charges compute to the grant and every grant above it, so each subtree has its total. */
    public void recordSpend(String grantId, long computeMs) {
        for (Entry e = grants.get(grantId); e != null; e = parentOf(e)) {
            e.spentComputeMs += computeMs;
        }
    }

    /** A child that sets no model budget stays under its parent's, which is checked along the chain. */
    private static boolean widens(Long parent, Long child) {
        return parent != null && child != null && child > parent;
    }

    /** Charges language-model tokens and money to the grant and every grant above it. */
    public void recordModelSpend(String grantId, long tokens, long moneyMicros) {
        for (Entry e = grants.get(grantId); e != null; e = parentOf(e)) {
            e.spentTokens += tokens;
            e.spentMoneyMicros += moneyMicros;
        }
    }

    /** What model calls under the grant may still spend: the least left on any grant of its chain; null is unbounded. */
    public SpendLimit modelAllowance(String grantId) {
        Long tokens = null;
        Long money = null;
        for (Entry e = grants.get(grantId); e != null; e = parentOf(e)) {
            Long t = e.grant.getScope().getBudgetTokens();
            if (t != null) {
                tokens = Math.min(tokens == null ? Long.MAX_VALUE : tokens, Math.max(0, t - e.spentTokens));
            }
            Long m = e.grant.getScope().getBudgetMoneyMicros();
            if (m != null) {
                money = Math.min(money == null ? Long.MAX_VALUE : money, Math.max(0, m - e.spentMoneyMicros));
            }
        }
        return new SpendLimit(tokens, money);
    }

    /** The tightest compute budget on the grant's chain, if any grant on it has one. */
    public Optional<Long> budget(String grantId) {
        Long tightest = null;
        for (Entry e = grants.get(grantId); e != null; e = parentOf(e)) {
            Long budget = e.grant.getScope().getBudgetComputeMs();
            if (budget != null && (tightest == null || budget < tightest)) {
                tightest = budget;
            }
        }
        return Optional.ofNullable(tightest);
    }

    public Optional<Entry> entry(String grantId) {
        return Optional.ofNullable(grants.get(grantId));
    }

    public Optional<String> refusal(String grantId) {
        return Optional.ofNullable(refusedGrants.get(grantId));
    }

    /** The chain from the grant up to its root, grant first. */
    public List<Entry> chain(String grantId) {
        List<Entry> chain = new ArrayList<>();
        for (Entry e = grants.get(grantId); e != null; e = parentOf(e)) {
            chain.add(e);
        }
        return chain;
    }

    /** Every accepted grant at or below {@code grantId}. */
    public Set<String> subtree(String grantId) {
        Set<String> ids = new HashSet<>();
        List<String> pending = new ArrayList<>(List.of(grantId));
        while (!pending.isEmpty()) {
            String id = pending.remove(pending.size() - 1);
            if (grants.containsKey(id) && ids.add(id)) {
                pending.addAll(children.getOrDefault(id, List.of()));
            }
        }
        return ids;
    }

    public List<Entry> entries() {
        return List.copyOf(grants.values());
    }

    /** Grants the ledger refused when they were issued, by id, with the reason. */
    public Map<String, String> refusals() {
        return Map.copyOf(refusedGrants);
    }

    /** A grant's revocation in effect (its own or an ancestor's), if any. */
    public Optional<String> revocation(String grantId) {
        Entry entry = grants.get(grantId);
        return entry == null ? Optional.empty() : revokedOnChain(entry);
    }

    private Optional<String> revokedOnChain(Entry entry) {
        return revokedOnChain(entry, null);
    }

    /** A revocation on the chain: any so far, or (given {@code asOf}) one in effect by then. */
    private Optional<String> revokedOnChain(Entry entry, Instant asOf) {
        for (Entry e = entry; e != null; e = parentOf(e)) {
            if (e.revokedReason != null && (asOf == null || !e.revokedAt.isAfter(asOf))) {
                return Optional.of("grant " + e.grant.getGrantId() + ": " + e.revokedReason);
            }
        }
        return Optional.empty();
    }

    private Entry parentOf(Entry e) {
        String parentId = e.grant.getParentGrantId();
        return parentId == null ? null : grants.get(parentId);
    }

    private Decision refuseGrant(String id, Decision refusal) {
        if (id != null && id.length() <= MAX_REMEMBERED_ID) {
            refusedGrants.putIfAbsent(id, Excerpt.reason(refusal.reason()));
        }
        return refusal;
    }
}
