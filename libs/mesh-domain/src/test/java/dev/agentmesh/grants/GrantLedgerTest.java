package dev.agentmesh.grants;

import dev.agentmesh.grant.GrantIssued;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class GrantLedgerTest {

    static final Instant NOW = Instant.parse("2026-11-23T02:00:00Z");
    static final Instant DAY = NOW.plusSeconds(86_400);

    final KeyPair principal = GrantKeys.generate();
    final KeyPair operator = GrantKeys.generate();
    final KeyPair orchestrator = GrantKeys.generate();
    final KeyPair trainer = GrantKeys.generate();
    final GrantLedger ledger = new GrantLedger(principal.getPublic());

    final GrantIssued root = Grants.root(principal, "principal", "pipeline-operator", operator.getPublic(),
            Grants.scope(List.of(Actions.SCHEDULE_RUNS, Actions.SPEND_COMPUTE, Actions.WRITE_CHECKPOINTS),
                    List.of("pipeline:nightly", "run:*"), 10_000L), DAY, 3);

    static ActionRequest act(GrantIssued grant, String action, String resource, int depth, long ms) {
        return new ActionRequest(grant.getGrantId(), action, resource, depth, ms, NOW);
    }

    @Test
    void theDesignedChainAuthorisesWithinScopeOnly() {
        assertTrue(ledger.issue(root, NOW).allowed());
        GrantIssued sweep = Grants.delegate(root, operator, "sweep-orchestrator", orchestrator.getPublic(),
                Grants.scope(List.of(Actions.SPEND_COMPUTE, Actions.WRITE_CHECKPOINTS), List.of("run:*"), 4_000L), DAY, 2);
        assertEquals(Decision.ALLOWED, ledger.issue(sweep, NOW));
        GrantIssued train = Grants.delegate(sweep, orchestrator, "trainer", trainer.getPublic(),
                Grants.scope(List.of(Actions.WRITE_CHECKPOINTS), List.of("run:r1"), 1_000L), DAY, 2);
        assertEquals(Decision.ALLOWED, ledger.issue(train, NOW));
        assertEquals(2, ledger.entry(train.getGrantId()).orElseThrow().depth());

        assertTrue(ledger.authorize(act(train, Actions.WRITE_CHECKPOINTS, "run:r1", 2, 10)).allowed());
        assertFalse(ledger.authorize(act(train, Actions.WRITE_CHECKPOINTS, "run:r2", 2, 10)).allowed());
        assertFalse(ledger.authorize(act(train, Actions.DEPLOY, "run:r1", 2, 10)).allowed());
        assertTrue(ledger.authorize(act(train, Actions.WRITE_CHECKPOINTS, "run:r1", 3, 10)).reason().contains("over depth"));
        assertTrue(ledger.authorize(act(train, Actions.WRITE_CHECKPOINTS, "run:r1", 3, 10)).refusedAs(Decision.Refusal.OVER_DEPTH));
        assertTrue(ledger.authorize(act(train, Actions.DEPLOY, "run:r1", 2, 10)).refusedAs(Decision.Refusal.OUT_OF_SCOPE));
        assertEquals(3, ledger.chain(train.getGrantId()).size());
    }

    @Test
    void widerChildrenAreRefusedWithTheReason() {
        ledger.issue(root, NOW);
        String[] reasons = {
                ledger.issue(Grants.delegate(root, operator, "x", trainer.getPublic(),
                        Grants.scope(List.of(Actions.DEPLOY), List.of("run:*"), 1L), DAY, 1), NOW).reason(),
                ledger.issue(Grants.delegate(root, operator, "x", trainer.getPublic(),
                        Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("*"), 1L), DAY, 1), NOW).reason(),
                ledger.issue(Grants.delegate(root, operator, "x", trainer.getPublic(),
                        Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("run:a"), null), DAY, 1), NOW).reason(),
                ledger.issue(Grants.delegate(root, operator, "x", trainer.getPublic(),
                        Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("run:a"), 1L), DAY.plusSeconds(1), 1), NOW).reason(),
                ledger.issue(Grants.delegate(root, operator, "x", trainer.getPublic(),
                        Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("run:a"), 1L), DAY, 4), NOW).reason(),
                ledger.issue(Grants.delegate(root, operator, "x", trainer.getPublic(),
                        Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("run:a"), 1L), DAY, 0), NOW).reason(),
        };
        assertTrue(reasons[0].startsWith("widens actions"), reasons[0]);
        assertTrue(reasons[1].startsWith("widens resources"), reasons[1]);
        assertTrue(reasons[2].startsWith("widens budget"), reasons[2]);
        assertTrue(reasons[3].startsWith("widens expiry"), reasons[3]);
        assertTrue(reasons[4].startsWith("widens max depth"), reasons[4]);
        assertTrue(reasons[5].startsWith("over depth"), reasons[5]);
    }

    @Test
    void aFloodOfRefusedGrantsIsRememberedOnlyUpToABound() {
        ledger.issue(root, NOW);
        GrantIssued child = Grants.delegate(root, operator, "trainer", trainer.getPublic(),
                Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("run:*"), 1L), DAY, 1);
        for (int i = 0; i < GrantLedger.REFUSALS_KEPT + 50; i++) {
            assertFalse(ledger.issue(GrantIssued.newBuilder(child).setGrantId("flood-" + i).setParentGrantId("nobody").build(),
                    NOW).allowed());
        }
        assertFalse(ledger.issue(GrantIssued.newBuilder(child).setGrantId("x".repeat(20_000)).setParentGrantId("nobody").build(),
                NOW).allowed(), "a huge id is refused too");
        assertEquals(GrantLedger.REFUSALS_KEPT, ledger.refusals().size());
        assertFalse(ledger.refusals().containsKey("flood-0"), "the oldest refusals are forgotten");
        assertTrue(ledger.authorize(act(GrantIssued.newBuilder(child).setGrantId("flood-" + (GrantLedger.REFUSALS_KEPT + 49))
                .build(), Actions.SPEND_COMPUTE, "run:r1", 1, 0)).reason().contains("was refused"), "the latest are kept");
        assertTrue(ledger.authorize(act(root, Actions.SPEND_COMPUTE, "run:r1", 0, 0)).allowed(), "the valid grant still works");
    }

    @Test
    void forgedGrantsAreRefused() {
        KeyPair mallory = GrantKeys.generate();
        GrantIssued forgedRoot = Grants.root(mallory, "principal", "mallory", mallory.getPublic(),
                Grants.scope(List.of(Actions.DEPLOY), List.of("*"), null), DAY, 5);
        assertEquals("root grant not signed by the principal", ledger.issue(forgedRoot, NOW).reason());
        assertTrue(ledger.authorize(act(forgedRoot, Actions.DEPLOY, "run:x", 0, 0)).reason().contains("was refused"));

        ledger.issue(root, NOW);
        GrantIssued forgedChild = Grants.delegate(root, mallory, "mallory", mallory.getPublic(),
                Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("run:*"), 1L), DAY, 1);
        assertTrue(ledger.issue(forgedChild, NOW).reason().startsWith("not signed by the holder"));

        GrantIssued tampered = Grants.delegate(root, operator, "trainer", trainer.getPublic(),
                Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("run:a"), 10L), DAY, 1);
        tampered.getScope().setBudgetComputeMs(9_999L);
        assertTrue(ledger.issue(tampered, NOW).reason().startsWith("not signed by the holder"));
    }

    @Test
    void revocationCascadesAndNeedsAnAuthorisedSigner() {
        ledger.issue(root, NOW);
        GrantIssued sweep = Grants.delegate(root, operator, "sweep", orchestrator.getPublic(),
                Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("run:*"), 1_000L), DAY, 2);
        GrantIssued train = Grants.delegate(sweep, orchestrator, "trainer", trainer.getPublic(),
                Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("run:*"), 100L), DAY, 2);
        ledger.issue(sweep, NOW);
        ledger.issue(train, NOW);

        assertFalse(ledger.revoke(Grants.revoke(sweep.getGrantId(), trainer, "trainer", "mutiny")).allowed(),
                "a grantee below cannot revoke its parent");
        assertTrue(ledger.authorize(act(train, Actions.SPEND_COMPUTE, "run:a", 2, 1)).allowed());
        assertTrue(ledger.revoke(Grants.revoke(sweep.getGrantId(), principal, "principal", "stop the sweep")).allowed());
        Decision d = ledger.authorize(act(train, Actions.SPEND_COMPUTE, "run:a", 2, 1));
        assertFalse(d.allowed());
        assertTrue(d.reason().contains("stop the sweep"), d.reason());
        assertEquals(Decision.Refusal.REVOKED, d.refusal(), "a revocation is typed, not told by its words");
        assertTrue(ledger.authorize(act(root, Actions.SPEND_COMPUTE, "run:a", 0, 1)).allowed(), "the parent is untouched");
        assertFalse(ledger.issue(Grants.delegate(sweep, orchestrator, "t2", trainer.getPublic(),
                Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("run:*"), 1L), DAY, 2), NOW).allowed());
    }

    @Test
    void aRecordedActionIsJudgedAsOfItsRecordedTimeSoALaterRevocationOrExpiryDoesNotUndoIt() {
        KeyPair review = GrantKeys.generate();
        GrantIssued reviewGrant = Grants.root(principal, "principal", "review", review.getPublic(),
                Grants.scope(List.of(Actions.REVIEW), List.of(Resources.reviewItem("*")), null), NOW.plusSeconds(3_600), 0);
        assertTrue(ledger.issue(reviewGrant, NOW).allowed());
        GrantIssued child = Grants.delegate(root, operator, "child", trainer.getPublic(),
                Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("run:*"), 1_000L), DAY, 3);
        ledger.issue(root, NOW);
        ledger.issue(child, NOW);
        Instant revokedAt = NOW.plusSeconds(60);
        assertTrue(ledger.revoke(Grants.revoke(root.getGrantId(), principal, "principal", "rotate"), revokedAt).allowed());

        ActionRequest before = new ActionRequest(child.getGrantId(), Actions.SPEND_COMPUTE, "run:a", 1, 0, revokedAt.minusSeconds(1));
        assertTrue(ledger.authorizeAsOf(before).allowed(), "before its parent's revocation the action was allowed");
        assertTrue(ledger.authorizeAsOf(before.judgedAt(revokedAt)).refusedAs(Decision.Refusal.REVOKED));
        assertTrue(ledger.authorize(before).refusedAs(Decision.Refusal.REVOKED), "a live check counts every revocation");

        ActionRequest discard = new ActionRequest(reviewGrant.getGrantId(), Actions.REVIEW, Resources.reviewItem("dlq:0:7"), 0, 0,
                NOW.plusSeconds(10));
        assertTrue(ledger.authorizeAsOf(discard).allowed());
        assertTrue(ledger.authorizeAsOf(discard.judgedAt(NOW.plusSeconds(3_600))).refusedAs(Decision.Refusal.EXPIRED),
                "at its expiry it no longer allows anything");
        assertFalse(ledger.authorizeAsOf(discard.judgedAt(NOW.minusSeconds(1))).allowed(),
                "an action recorded before its grant was issued was never allowed");
        assertTrue(ledger.authorizeAsOf(new ActionRequest(reviewGrant.getGrantId(), Actions.SPEND_COMPUTE, "run:a", 0, 0,
                NOW.plusSeconds(10))).refusedAs(Decision.Refusal.OUT_OF_SCOPE));
        assertTrue(ledger.authorizeAsOf(new ActionRequest(null, Actions.REVIEW, Resources.reviewItem("dlq:0:7"), 0, 0,
                NOW.plusSeconds(10))).reason().contains("names no grant"));
    }

    @Test
    void budgetsAreChargedToEverySubtreeAbove() {
        ledger.issue(root, NOW);
        GrantIssued sweep = Grants.delegate(root, operator, "sweep", orchestrator.getPublic(),
                Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("run:*"), 1_000L), DAY, 2);
        ledger.issue(sweep, NOW);
        ledger.recordSpend(sweep.getGrantId(), 900);
        assertEquals(900, ledger.entry(root.getGrantId()).orElseThrow().spentComputeMs());
        assertTrue(ledger.authorize(act(sweep, Actions.SPEND_COMPUTE, "run:a", 1, 100)).allowed());
        assertTrue(ledger.authorize(act(sweep, Actions.SPEND_COMPUTE, "run:a", 1, 101)).reason().startsWith("budget exhausted"));
    }

    @Test
    void expiredGrantsAuthoriseNothing() {
        ledger.issue(root, NOW);
        assertFalse(ledger.authorize(new ActionRequest(root.getGrantId(), Actions.SCHEDULE_RUNS, "pipeline:nightly", 0, 0,
                DAY)).allowed());
    }

    @Test
    void aReplayedIdenticalGrantIsIdempotentButAReusedIdIsRefused() {
        assertTrue(ledger.issue(root, NOW).allowed());
        assertTrue(ledger.issue(GrantIssued.newBuilder(root).build(), NOW).allowed());
        GrantIssued other = GrantIssued.newBuilder(root).setGrantee("someone-else").build();
        assertFalse(ledger.issue(other, NOW).allowed());
        assertEquals("pipeline-operator", ledger.entry(root.getGrantId()).orElseThrow().grant().getGrantee());
        assertNotNull(root.getSignature());
        assertTrue(root.getSignature() instanceof ByteBuffer);
    }

    @Test
    void aRevokedOrExpiredGrantMayStillStopWorkOnItsOwnRunsButNoOtherAndNoUngrantedStopIsAllowed() {
        assertTrue(ledger.issue(root, NOW).allowed());
        GrantIssued sweep = Grants.delegate(root, operator, "sweep-orchestrator", orchestrator.getPublic(),
                Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("run:r1"), 4_000L), NOW.plusSeconds(60), 2);
        assertTrue(ledger.issue(sweep, NOW).allowed());
        assertTrue(ledger.authorizeStop(act(sweep, Actions.SPEND_COMPUTE, "run:r1", 1, 0)).allowed());
        assertTrue(ledger.revoke(Grants.revoke(sweep.getGrantId(), principal, "principal", "stop")).allowed());
        assertTrue(ledger.authorize(act(sweep, Actions.SPEND_COMPUTE, "run:r1", 1, 0)).refusedAs(Decision.Refusal.REVOKED));
        assertTrue(ledger.authorizeStop(act(sweep, Actions.SPEND_COMPUTE, "run:r1", 1, 0)).allowed(),
                "a revoked grant may still cancel what it started");
        ActionRequest later = act(sweep, Actions.SPEND_COMPUTE, "run:r1", 1, 0).judgedAt(NOW.plusSeconds(3600));
        assertTrue(ledger.authorizeStop(later).allowed(), "an expired grant may still cancel what it started");
        assertTrue(ledger.authorizeStop(act(sweep, Actions.SPEND_COMPUTE, "run:r2", 1, 0)).refusedAs(Decision.Refusal.OUT_OF_SCOPE));
        assertTrue(ledger.authorizeStop(new ActionRequest(null, Actions.SPEND_COMPUTE, "run:r1", 1, 0, NOW)).refusedAs(Decision.Refusal.INVALID));
        assertTrue(ledger.authorizeStop(new ActionRequest("forged", Actions.SPEND_COMPUTE, "run:r1", 1, 0, NOW))
                .refusedAs(Decision.Refusal.UNKNOWN_GRANT));
    }

    @Test
    void expiryIsJudgedAtTheTimeTheRequestIsJudgedNotTheTimeItClaims() {
        assertTrue(ledger.issue(root, NOW).allowed());
        GrantIssued shortLived = Grants.delegate(root, operator, "sweep-orchestrator", orchestrator.getPublic(),
                Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("run:*"), 4_000L), NOW.plusSeconds(60), 2);
        assertTrue(ledger.issue(shortLived, NOW).allowed());
        ActionRequest backDated = act(shortLived, Actions.SPEND_COMPUTE, "run:r1", 1, 0);
        assertTrue(ledger.authorize(backDated).allowed());
        assertTrue(ledger.authorize(backDated.judgedAt(NOW.plusSeconds(61))).refusedAs(Decision.Refusal.EXPIRED));
    }
}
