package dev.agentmesh.contract;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.run.StageFailed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** A contract's {@code max_rejected_fraction}: over it, row validation fails the run, naming columns and counts. */
class RejectionLimitTest {

    static final Path DATA = Path.of(System.getProperty("mesh.data.dir", "../../../shared/data"));

    static Path contract(Path dir, String limit) throws Exception {
        String yaml = new String(RejectionLimitTest.class.getResourceAsStream("/contracts/credit-g.yaml").readAllBytes())
                + (limit == null ? "" : "max_rejected_fraction: " + limit + "\n");
        return Files.writeString(dir.resolve("limited-" + limit + ".yaml"), yaml);
    }

    /** 200 rows of credit-g, 30 of them with an age under the contract's minimum. */
    static Path badAges(Path dir) throws Exception {
        List<String> lines = new ArrayList<>(Files.readAllLines(DATA.resolve("credit-g.csv")).subList(0, 201));
        int age = List.of(lines.get(0).split(",")).indexOf("age");
        for (int i = 1; i <= 30; i++) {
            String[] cells = lines.get(i * 5).split(",", -1);
            cells[age] = "7";
            lines.set(i * 5, String.join(",", cells));
        }
        return Files.write(dir.resolve("bad-ages.csv"), lines);
    }

    static RunEvent run(Path csv, Path contract) {
        return RunEvents.triggered(new Envelopes("meshctl", "t").origin("r", null), "nightly", "alice", SourceKind.CSV,
                csv.toString(), contract.toString(), Stages.INGEST, Map.of());
    }

    @Test
    void overTheLimitTheStageFailsNamingColumnsAndCountsButNoValue(@TempDir Path dir) throws Exception {
        RowValidationAgent agent = new RowValidationAgent(new Envelopes("row-validator", "rv"), SourcePolicy.anywhere());
        RowValidationAgent.Outcome outcome = agent.handle(run(badAges(dir), contract(dir, "0.05")));
        StageFailed failed = assertInstanceOf(StageFailed.class, outcome.finished().getPayload());
        assertTrue(failed.getReason().startsWith("30 of 200 rows (15.0%) broke data contract "), failed.getReason());
        assertTrue(failed.getReason().endsWith("over its limit of 5.0%; rejected by column: age 30"), failed.getReason());
        assertFalse(failed.getReason().contains(" 7"), "the sensitive age value is not quoted");
        assertTrue(outcome.valid().isEmpty(), "a failed stage hands nothing on");
    }

    @Test
    void withinTheLimitOrWithoutOneTheStageCompletes(@TempDir Path dir) throws Exception {
        RowValidationAgent agent = new RowValidationAgent(new Envelopes("row-validator", "rv"), SourcePolicy.anywhere());
        Path csv = badAges(dir);
        for (String limit : new String[]{"0.15", null}) {
            RowValidationAgent.Outcome outcome = agent.handle(run(csv, contract(dir, limit)));
            StageCompleted done = assertInstanceOf(StageCompleted.class, outcome.finished().getPayload(), "limit " + limit);
            assertEquals(30L, done.getCounts().get("rows.rejected"));
        }
    }

    @Test
    void aLimitOutsideZeroToOneIsAnInvalidContract(@TempDir Path dir) throws Exception {
        Path bad = contract(dir, "1.5");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataContract.load(bad.toString()));
        assertTrue(e.getMessage().contains("max_rejected_fraction must be between 0 and 1"), e.getMessage());
    }
}
