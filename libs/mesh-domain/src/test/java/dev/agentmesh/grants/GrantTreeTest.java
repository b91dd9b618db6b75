package dev.agentmesh.grants;

import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.runstate.RunState;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class GrantTreeTest {

    static final Instant NOW = Instant.now();

    @Test
    void everyGrantUnderItsParentWithItsStatusBudgetAndWhatWasSpentUnderIt() {
        KeyPair principal = GrantKeys.generate();
        KeyPair operator = GrantKeys.generate();
        KeyPair orchestrator = GrantKeys.generate();
        GrantLedger ledger = new GrantLedger(principal.getPublic());
        GrantIssued root = Grants.root(principal, "principal", "pipeline-operator", operator.getPublic(),
                Grants.scope(List.of(Actions.SPEND_COMPUTE, Actions.WRITE_CHECKPOINTS), List.of("run:*"), 10_000L),
                NOW.plusSeconds(3600), 3);
        GrantIssued sweep = Grants.delegate(root, operator, "sweep-orchestrator", orchestrator.getPublic(),
                Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("run:*"), 4_000L), NOW.plusSeconds(3600), 3);
        GrantIssued trainer = Grants.delegate(sweep, orchestrator, "trainer", GrantKeys.generate().getPublic(),
                Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("run:*"), 4_000L), NOW.plusSeconds(3600), 3);
        GrantIssued shortLived = Grants.delegate(root, operator, "coordinator", GrantKeys.generate().getPublic(),
                Grants.scope(List.of(Actions.SPEND_COMPUTE), List.of("run:*"), 1_000L), NOW.plusSeconds(60), 3);
        GrantIssued forged = Grants.root(GrantKeys.generate(), "principal", "mallory", GrantKeys.generate().getPublic(),
                Grants.scope(List.of(Actions.DEPLOY), List.of("*"), null), NOW.plusSeconds(3600), 3);
        for (GrantIssued g : List.of(root, sweep, trainer, shortLived, forged)) {
            ledger.issue(g, NOW);
        }
        ledger.revoke(Grants.revoke(sweep.getGrantId(), operator, "pipeline-operator", "runaway sweep"), NOW.plusSeconds(10));

        List<GrantTree.Line> lines = GrantTree.of(ledger, Map.of(
                trainer.getGrantId(), new RunState.GrantCost(3_000, 0, 0, 12),
                root.getGrantId(), new RunState.GrantCost(500, 0, 0, 4),
                "not-a-grant", new RunState.GrantCost(99, 0, 0, 1)), NOW.plusSeconds(120));

        assertEquals(List.of("pipeline-operator", "coordinator", "sweep-orchestrator", "trainer"),
                lines.subList(0, 4).stream().map(GrantTree.Line::grantee).toList(), "depth first, children by grantee");
        assertEquals(List.of(0, 1, 1, 2), lines.subList(0, 4).stream().map(GrantTree.Line::indent).toList());
        GrantTree.Line rootLine = lines.get(0);
        assertEquals(GrantTree.Status.ACTIVE, rootLine.status());
        assertEquals(500, rootLine.direct().computeMs());
        assertEquals(3_500, rootLine.subtree().computeMs(), "its own and its delegations' spending");
        assertEquals(10_000L, rootLine.budget().computeMs());
        assertEquals(GrantTree.Status.EXPIRED, lines.get(1).status());
        assertTrue(lines.get(1).reason().contains("expired at"), lines.get(1).reason());
        assertEquals(GrantTree.Status.REVOKED, lines.get(2).status());
        assertEquals(GrantTree.Status.REVOKED, lines.get(3).status(), "revoked with its parent");
        assertTrue(lines.get(3).reason().contains("runaway sweep"), lines.get(3).reason());
        assertEquals(3_000, lines.get(2).subtree().computeMs());
        GrantTree.Line refused = lines.get(4);
        assertEquals(GrantTree.Status.REFUSED, refused.status());
        assertEquals(forged.getGrantId(), refused.grantId());
        assertTrue(refused.reason().contains("not signed by the principal"), refused.reason());
        assertEquals(5, lines.size(), "a grant id the ledger does not know is not a line");
    }
}
