package dev.agentmesh.meshctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.grants.ActionRequest;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.CostRollup;
import dev.agentmesh.grants.GrantKeys;
import dev.agentmesh.grants.GrantLedger;
import dev.agentmesh.grants.Grants;
import dev.agentmesh.grants.Resources;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.common.Envelope;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The MCP server's answers, each within the asker's grant as a real ledger judges it. */
class MeshQueriesTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final KeyPair PRINCIPAL = GrantKeys.generate();

    final Map<String, RunState> runs = new LinkedHashMap<>();
    final List<JsonNode> items = new ArrayList<>();
    final GrantLedger ledger = new GrantLedger(PRINCIPAL.getPublic());

    final MeshQueries.Sources sources = new MeshQueries.Sources() {
        @Override
        public List<Map<String, Object>> runs() {
            return runs.values().stream().map(s -> Map.<String, Object>of("runId", s.runId(), "status", s.status().name(),
                    "pipeline", s.pipeline())).toList();
        }

        @Override
        public Optional<RunState> run(String runId) {
            return Optional.ofNullable(runs.get(runId));
        }

        @Override
        public List<CostRollup.Node> costs(String runId) {
            return List.of();
        }

        @Override
        public List<JsonNode> reviewItems() {
            return items;
        }
    };

    MeshQueries asking(String grantId, Instant now) {
        return new MeshQueries(sources, resource -> ledger.authorize(new ActionRequest(grantId, Actions.READ, resource, 0, 0, now)));
    }

    String grant(List<String> resources, Instant expires) {
        GrantIssued grant = Grants.root(PRINCIPAL, Grants.PRINCIPAL, "assistant", GrantKeys.generate().getPublic(),
                Grants.scope(List.of(Actions.READ), resources, null), expires, 0);
        assertTrue(ledger.issue(grant, Instant.now()).allowed());
        return grant.getGrantId();
    }

    void run(String runId, String pipeline, String failure) {
        Envelopes cli = new Envelopes("meshctl", "cli");
        Envelope trigger = cli.origin(runId, "g");
        RunState state = RunStateReducer.apply(null, RunEvents.triggered(trigger, pipeline, "alice", SourceKind.CSV,
                "x.csv", "credit-g", List.of("row-validation"), Map.of()));
        Envelopes agent = new Envelopes("row-validator", "rv-1");
        RunEvent started = RunEvents.started(agent.causedBy(trigger, "e1", 1), "row-validation");
        state = RunStateReducer.apply(state, started);
        RunEvent end = failure == null
                ? RunEvents.completed(agent.causedBy(trigger, "e2", 1), "row-validation", Map.of("rows.out", 9L), Map.of())
                : RunEvents.failed(agent.causedBy(trigger, "e2", 1), "row-validation", failure, false);
        runs.put(runId, RunStateReducer.apply(state, end));
    }

    void deadLetter(String id, String runId, String reason, String status) {
        items.add(JSON.valueToTree(Map.of("id", id, "runId", runId, "reason", reason, "status", status)));
    }

    @Test
    void listsOnlyTheRunsTheGrantReadsByRunOrByPipeline() {
        run("mine", "nightly", null);
        run("theirs", "weekly", null);
        run("also-mine", "adhoc", null);
        String grantId = grant(List.of(Resources.pipeline("nightly"), Resources.run("also-mine")), Instant.now().plusSeconds(60));

        MeshQueries.Answer answer = asking(grantId, Instant.now()).listRuns(null, null, 20);
        @SuppressWarnings("unchecked")
        List<MeshQueries.RunLine> listed = (List<MeshQueries.RunLine>) ((Map<String, Object>) answer.data()).get("runs");
        assertEquals(List.of("mine", "also-mine"), listed.stream().map(MeshQueries.RunLine::runId).toList());
        assertTrue(answer.text().contains("1 run(s) outside this grant left out"), answer.text());
        assertTrue(asking(grantId, Instant.now()).showRun("theirs").refused());
        assertFalse(asking(grantId, Instant.now()).showRun("mine").refused());
    }

    @Test
    void whyARunFailedNamesTheStageTheReasonAndItsDeadLettersByReason() {
        run("broken", "nightly", "source x.csv is not readable");
        deadLetter("d1", "broken", "age: 'abc' is not a number", "OPEN");
        deadLetter("d2", "broken", "age: 'abc' is not a number", "DISCARDED");
        deadLetter("d3", "broken", "magic byte missing", "OPEN");
        deadLetter("d4", "other", "magic byte missing", "OPEN");
        String grantId = grant(List.of(Resources.run("broken")), Instant.now().plusSeconds(60));

        MeshQueries.Answer answer = asking(grantId, Instant.now()).whyFailed("broken");
        assertFalse(answer.refused(), answer.text());
        MeshQueries.Diagnosis diagnosis = (MeshQueries.Diagnosis) answer.data();
        assertEquals(List.of("stage row-validation failed (attempt 1): source x.csv is not readable"), diagnosis.findings());
        assertEquals(List.of(new MeshQueries.ReasonGroup("age: 'abc' is not a number", 2, 1, List.of("d1", "d2")),
                new MeshQueries.ReasonGroup("magic byte missing", 1, 1, List.of("d3"))), diagnosis.deadLetters());
        assertEquals(List.of("once the cause is fixed: meshctl runs resume broken --from row-validation",
                "re-drive or discard 2 open review item(s) by reason: the review page, or meshctl dlq list"), diagnosis.remedies());
    }

    @Test
    void rejectedRowsGroupByTheirViolationsNotByTheRowTheirReasonNames() {
        run("rows", "nightly", null);
        for (int row : List.of(3, 5)) {
            items.add(JSON.valueToTree(Map.of("id", "r" + row, "runId", "rows", "status", "OPEN",
                    "reason", "row " + row + " violates the data contract: age: 'abc' is not an integer",
                    "headers", Map.of(MeshHeaders.ROW_REJECTIONS, "age: 'abc' is not an integer"))));
        }
        String grantId = grant(List.of(Resources.run("rows")), Instant.now().plusSeconds(60));
        MeshQueries.Diagnosis diagnosis = (MeshQueries.Diagnosis) asking(grantId, Instant.now()).whyFailed("rows").data();
        assertEquals(List.of(new MeshQueries.ReasonGroup("age: 'abc' is not an integer", 2, 2, List.of("r3", "r5"))),
                diagnosis.deadLetters());
    }

    @Test
    void deadLettersOfRunsOutsideTheGrantAreNotCounted() {
        run("mine", "nightly", null);
        run("theirs", "weekly", null);
        deadLetter("d1", "mine", "bad row", "OPEN");
        deadLetter("d2", "theirs", "bad row", "OPEN");
        String grantId = grant(List.of(Resources.run("mine")), Instant.now().plusSeconds(60));

        @SuppressWarnings("unchecked")
        List<MeshQueries.ReasonGroup> groups = (List<MeshQueries.ReasonGroup>)
                ((Map<String, Object>) asking(grantId, Instant.now()).deadLetters(null).data()).get("groups");
        assertEquals(List.of(new MeshQueries.ReasonGroup("bad row", 1, 1, List.of("d1"))), groups);
    }

    @Test
    void anExpiredGrantReadsNothingAtTheMeshsClock() {
        run("mine", "nightly", null);
        Instant expires = Instant.now().plusSeconds(60);
        String grantId = grant(List.of(Resources.run("mine")), expires);

        assertFalse(asking(grantId, expires.minusSeconds(1)).showRun("mine").refused());
        MeshQueries.Answer late = asking(grantId, expires.plus(Duration.ofSeconds(1))).showRun("mine");
        assertTrue(late.refused() && late.text().contains("expired"), late.text());
        assertTrue(asking("no-such-grant", Instant.now()).showRun("mine").refused());
    }
}
