package dev.agentmesh.meshctl;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.contract.CsvRows;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.dataset.LocalDataset;
import dev.agentmesh.diagnosis.FailureClass;
import dev.agentmesh.embedded.EmbeddedKafka;
import dev.agentmesh.fanout.SweepDecider;
import dev.agentmesh.diagnosis.TriageDecider;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.runstate.TriageState;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.testing.TopicProbe;
import dev.agentmesh.topics.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The triage supervisor across real processes: one embedded broker in this JVM; run-state, the row-validator, the
 * sweep orchestrator, a trainer and the triage service each in its own JVM. The triage service runs every
 * investigator but the infrastructure one, which stands for an investigator that is down: its investigations go
 * unanswered and are reported missing.
 */
class TriageIT {

    static final Path ROOT = MeshServices.repoRoot();
    static final Path CREDIT_G = ROOT.resolveSibling("shared").resolve("data").resolve("credit-g.csv");
    static final Path WORK = ROOT.resolve("tools/meshctl/target/triage-it-" + ProcessHandle.current().pid());
    static final Path KEYS = WORK.resolve("keys");
    static final Duration WAIT = Duration.ofMinutes(2);
    static final Duration TRIAGE_TIMEOUT = Duration.ofSeconds(6);

    static EmbeddedKafka kafka;
    static MeshServices services;
    static RunStateClient runState;
    static GrantIssued operatorGrant;
    static GrantIssued triageGrant;
    static MeshCodec<RunEvent> events;

    @BeforeAll
    static void startMesh() throws Exception {
        kafka = EmbeddedKafka.start();
        services = new MeshServices(ROOT, WORK);
        List<String> started = List.of("run-state", "row-validator", "sweep-orchestrator", "trainer", "triage", "review");
        Map<String, Map<String, String>> config = new HashMap<>();
        started.forEach(s -> config.put(s, PrincipalTools.serviceConfig(KEYS)));
        config.put(PrincipalTools.ORCHESTRATOR, PrincipalTools.orchestratorConfig(KEYS));
        Map<String, String> triage = new HashMap<>(PrincipalTools.serviceConfig(KEYS));
        triage.put("mesh.triage.investigators", String.join(",", FailureClass.Investigators.DATA,
                FailureClass.Investigators.TRAINING, FailureClass.Investigators.ACCESS));
        triage.put("mesh.triage.timeout", TRIAGE_TIMEOUT.toString());
        triage.put("mesh.triage.tick", "PT0.2S");
        config.put("triage", triage);
        config.put("review", PrincipalTools.reviewConfig(KEYS, kafka.bootstrapServers()));
        services.startAll(started, kafka.bootstrapServers(), config, Duration.ofMinutes(3));
        operatorGrant = PrincipalTools.issueNightlyGrant(kafka.bootstrapServers(), KEYS);
        triageGrant = PrincipalTools.issueTriageGrant(kafka.bootstrapServers(), KEYS);
        runState = new RunStateClient(services.get("run-state").url());
        events = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(kafka.bootstrapServers()));
        Files.createDirectories(WORK.resolve("sources"));
    }

    @AfterAll
    static void stopMesh() {
        services.close();
        kafka.close();
    }

    static RunState await(String runId, Predicate<RunState> condition, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Optional<RunState> last = Optional.empty();
        while (System.nanoTime() < deadline) {
            last = runState.poll(runId);
            if (last.isPresent() && condition.test(last.get())) {
                return last.get();
            }
            MeshServices.sleep(200);
        }
        fail("run " + runId + ": not " + what + " within " + WAIT + "; last: " + last);
        return null;
    }

    static RunState awaitDiagnosis(String runId) {
        return await(runId, s -> s.triage() != null && s.triage().currentDiagnosis().isPresent(), "diagnosed");
    }

    static String[] connection() {
        return new String[]{"--bootstrap", kafka.bootstrapServers(), "--run-state-url", services.get("run-state").url()};
    }

    /** A meshctl command line against this mesh: the command's own arguments, then where the mesh is. */
    static String[] cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of(connection()));
        return all.toArray(String[]::new);
    }

    /** 200 rows of credit-g with an age under the contract's minimum in 30 of them, and the contract capped at 5 %. */
    static Path[] badAges() throws Exception {
        Path dir = WORK.resolve("sources");
        List<String> lines = new ArrayList<>(Files.readAllLines(CREDIT_G).subList(0, 201));
        int age = List.of(lines.get(0).split(",")).indexOf("age");
        for (int i = 1; i <= 30; i++) {
            String[] cells = lines.get(i * 5).split(",", -1);
            cells[age] = "7";
            lines.set(i * 5, String.join(",", cells));
        }
        Path csv = Files.write(dir.resolve("bad-ages.csv"), lines);
        String yaml = new String(DataContract.class.getResourceAsStream("/contracts/credit-g.yaml").readAllBytes())
                + "max_rejected_fraction: 0.05\n";
        Path contract = Files.writeString(dir.resolve("credit-g-capped.yaml"), yaml);
        return new Path[]{csv, contract};
    }

    @Test
    void aRunFailingOnBadDataIsDiagnosedWithItsColumnsCountsAndSampleRowsAndADeeperRequestIsRefused() throws Exception {
        Path[] source = badAges();
        String runId = "it-triage-data";
        MeshFlowIT.meshctl("trigger", "--bootstrap", kafka.bootstrapServers(), "--source", source[0].toString(),
                "--contract", source[1].toString(), "--run-id", runId, "--grant", operatorGrant.getGrantId(),
                "--stage", Stages.ROW_VALIDATION, "--triage-grant", triageGrant.getGrantId());
        RunState state = awaitDiagnosis(runId);
        assertEquals(RunStatus.FAILED, state.status());
        assertTrue(state.stages().get(Stages.ROW_VALIDATION).reason().contains("30 of 200 rows (15.0%) broke data contract"),
                state.stages().get(Stages.ROW_VALIDATION).reason());
        TriageState triage = state.triage();
        TriageState.Opened opened = triage.current().orElseThrow();
        assertEquals(List.of("DATA"), opened.classes());
        assertEquals(List.of(FailureClass.Investigators.DATA), opened.investigators());
        TriageState.Data data = triage.currentFindings().get(0).data();
        assertEquals(Map.of("age", 30L), data.rejectedByColumn());
        assertEquals(200, data.rowsIn());
        assertEquals(30, data.rowsRejected());
        assertEquals(5, data.sampleRows().size());
        assertTrue(data.sampleRows().get(0).endsWith("/row-4"), data.sampleRows().toString());
        TriageState.Diagnosis diagnosis = triage.currentDiagnosis().orElseThrow();
        assertEquals(List.of(), diagnosis.missing());
        assertEquals("CONTRACT_CHANGE", diagnosis.remediationKind());
        assertTrue(diagnosis.remediation().contains("age (30 rows)"), diagnosis.remediation());

        String text = MeshFlowIT.meshctl(cli("runs", "diagnose", runId));
        assertTrue(text.contains("triage-data: 30 of 200 rows break contract"), text);
        assertTrue(text.contains("proposed (CONTRACT_CHANGE)"), text);

        String page = consolePage("/review/runs/" + runId);
        assertTrue(page.contains("<h2 id=\"diagnosis-title\">Diagnosis</h2>"), page);
        assertTrue(page.contains("data-investigator=\"triage-data\""), page);
        assertTrue(page.contains("rejected by column {age=30} of 200 rows"), page);
        assertTrue(page.contains("Proposed (CONTRACT_CHANGE)"), page);

        // a request two levels down: the supervisor would act at depth 3 and its investigators at 4, past the grant's 3
        MeshFlowIT.Result deep = MeshFlowIT.meshctlResult(cli("runs", "diagnose", runId, "--request",
                "--depth", "2", "--grant", triageGrant.getGrantId(), "--wait", "PT30S"));
        assertEquals(DoorChecks.REFUSED, deep.exit(), deep.toString());
        assertTrue(deep.err().contains("over depth"), deep.err());
        RunState refused = await(runId, s -> !s.triage().refusals().isEmpty(), "refused");
        assertEquals(1, refused.triage().opened().size(), "no triage was opened for the refused request");

        // the same request at the grant's own level is answered with a fresh diagnosis
        MeshFlowIT.Result asked = MeshFlowIT.meshctlResult(cli("runs", "diagnose", runId, "--request",
                "--grant", triageGrant.getGrantId(), "--wait", "PT60S"));
        assertEquals(0, asked.exit(), asked.toString());
        assertTrue(asked.out().contains("triage-data: 30 of 200 rows break contract"), asked.out());
        assertEquals(2, runState.get(runId).orElseThrow().triage().diagnoses().size());
    }

    @Test
    void aSweepWithDivergingCellsIsDiagnosedWithTheCellsAndTheirHyperParameters() throws Exception {
        String runId = "it-triage-diverged";
        Path grid = Files.writeString(WORK.resolve("diverging.yaml"), "name: diverging\narchitectures: [{name: fm, kind:"
                + " factorization-machine, factors: 4}]\nlearning_rates: [0.05, 1.0e300]\nbatch_sizes: [32]\nepochs: 3\n"
                + "seed: 42\npolicy: {max_concurrency: 2, cell_timeout: PT60S, max_attempts: 1, min_successes: 1,"
                + " on_partial: fail, mode: gather, cell_cost_estimate_ms: 100}\n");
        String sweepGrant = PrincipalTools.issueSweepGrant(kafka.bootstrapServers(), KEYS, operatorGrant, "run:" + runId,
                600_000).getGrantId();
        LocalDataset.Published dataset = LocalDataset.publish(CsvRows.read(CREDIT_G), DataContract.load("credit-g"),
                WORK.resolve("datasets").resolve(runId), runId);
        Envelope trigger = new Envelopes("meshctl", "triage-it").origin(runId, operatorGrant.getGrantId());
        publish(RunEvents.triggered(trigger, "nightly", "triage-it", SourceKind.CSV, CREDIT_G.toString(), "credit-g",
                List.of(Stages.SWEEP), Map.of(SweepDecider.PARAM_SEED, "42", SweepDecider.PARAM_GRANT, sweepGrant,
                        SweepDecider.PARAM_GRID, grid.toString(), TriageDecider.PARAM_GRANT, triageGrant.getGrantId())));
        publish(new RunEvent(new Envelopes("publisher", "triage-it").causedBy(trigger, "published", 0), dataset.announcement()));

        RunState state = awaitDiagnosis(runId);
        assertEquals(RunStatus.FAILED, state.status());
        TriageState triage = state.triage();
        assertTrue(triage.current().orElseThrow().classes().contains("TRAINING"), triage.toString());
        TriageState.Training training = triage.currentFindings().stream().filter(f -> f.training() != null)
                .findFirst().orElseThrow().training();
        assertEquals(1, training.cellsSucceeded());
        assertEquals(1, training.failed().size(), training.toString());
        TriageState.Cell cell = training.failed().get(0);
        assertEquals("fm-lr1.0E300-b32", cell.cellId());
        assertEquals(1.0e300, cell.learningRate());
        assertEquals(32, cell.batchSize());
        assertEquals(3, cell.epochs());
        assertEquals("fm", cell.architecture());
        assertTrue(cell.reason().contains("diverged"), cell.reason());
        TriageState.Diagnosis diagnosis = triage.currentDiagnosis().orElseThrow();
        assertEquals("GRID_CHANGE", diagnosis.remediationKind());
        assertTrue(diagnosis.remediation().contains("fm-lr1.0E300-b32 (learning rate 1.0E300)"), diagnosis.remediation());
        assertEquals("meshctl runs resume " + runId + " --from sweep", diagnosis.command());
    }

    @Test
    void anInvestigatorThatNeverAnswersIsReportedMissingAndTheProposedResumeAppliedByThePrincipalCompletesTheRun()
            throws Exception {
        String runId = "it-triage-late";
        Path late = WORK.resolve("sources").resolve("late").resolve("credit-g.csv");
        MeshFlowIT.meshctl("trigger", "--bootstrap", kafka.bootstrapServers(), "--source", late.toString(), "--run-id", runId,
                "--grant", operatorGrant.getGrantId(), "--stage", Stages.ROW_VALIDATION, "--skip-source-check",
                "--triage-grant", triageGrant.getGrantId());
        RunState state = awaitDiagnosis(runId);
        assertEquals(RunStatus.FAILED, state.status());
        TriageState triage = state.triage();
        assertEquals(List.of("INFRASTRUCTURE"), triage.current().orElseThrow().classes());
        TriageState.Diagnosis diagnosis = triage.currentDiagnosis().orElseThrow();
        assertEquals(List.of(FailureClass.Investigators.INFRA), diagnosis.missing(), "the infrastructure investigator is down");
        assertEquals(List.of(), diagnosis.answered());
        assertTrue(triage.currentFindings().isEmpty(), "nothing is guessed for it");
        assertFalse(diagnosis.at().isBefore(triage.current().get().deadline()), "reported missing only at the deadline");
        assertEquals("RESUME", diagnosis.remediationKind());
        assertEquals("meshctl runs resume " + runId + " --from row-validation", diagnosis.command());
        String text = MeshFlowIT.meshctl(cli("runs", "diagnose", runId));
        assertTrue(text.contains("triage-infra: MISSING"), text);
        String page = consolePage("/review/runs/" + runId);
        assertTrue(page.contains("MISSING: asked, no answer by its deadline"), page);
        assertTrue(page.contains("meshctl runs resume " + runId + " --from row-validation"), page);

        Files.createDirectories(late.getParent());
        Files.copy(CREDIT_G, late);
        MeshFlowIT.Result applied = MeshFlowIT.meshctlResult(cli("runs", "diagnose", runId, "--apply"));
        assertEquals(0, applied.exit(), applied.toString());
        assertTrue(applied.out().contains("applying the proposal: meshctl runs resume " + runId + " --from row-validation"),
                applied.out());
        RunState resumed = await(runId, s -> s.status() == RunStatus.COMPLETED, "completed");
        assertEquals(2, resumed.stages().get(Stages.ROW_VALIDATION).attempt());
        assertEquals(1000L, resumed.stages().get(Stages.ROW_VALIDATION).counts().get("rows.out"));
    }

    @Test
    void theConsolesGrantsPageShowsEveryGrantUnderItsParentWithItsStatusAndWhatWasSpentUnderIt() throws Exception {
        String runId = "it-grants-spend";
        MeshFlowIT.meshctl("trigger", "--bootstrap", kafka.bootstrapServers(), "--source", CREDIT_G.toString(), "--run-id", runId,
                "--grant", operatorGrant.getGrantId(), "--stage", Stages.ROW_VALIDATION);
        await(runId, s -> s.status() == RunStatus.COMPLETED, "completed");
        GrantIssued revoked = PrincipalTools.issueSweepGrant(kafka.bootstrapServers(), KEYS, operatorGrant, "run:it-never", 1_000);
        MeshFlowIT.meshctl("grants", "revoke", revoked.getGrantId(), "--reason", "never used", "--as", PrincipalTools.OPERATOR,
                "--bootstrap", kafka.bootstrapServers(), "--keys-dir", KEYS.toString());

        long deadline = System.nanoTime() + WAIT.toNanos();
        String page = consolePage("/review/grants");
        while (!page.contains("data-grant=\"" + revoked.getGrantId() + "\" data-grantee=\"sweep-orchestrator\" data-status=\"REVOKED\"")
                && System.nanoTime() < deadline) {
            MeshServices.sleep(500);
            page = consolePage("/review/grants");
        }
        assertTrue(page.contains("<h1>Grants</h1>"), page);
        Matcher operator = Pattern.compile("data-grant=\"" + operatorGrant.getGrantId()
                + "\" data-grantee=\"pipeline-operator\" data-status=\"ACTIVE\" data-indent=\"0\" data-spent=\"(\\d+)\"").matcher(page);
        assertTrue(operator.find(), page);
        assertTrue(Long.parseLong(operator.group(1)) > 0, "the row-validation run spent under the operator's grant: " + operator.group());
        assertTrue(page.contains("data-grant=\"" + revoked.getGrantId() + "\" data-grantee=\"sweep-orchestrator\" data-status=\"REVOKED\" data-indent=\"1\""),
                "the revoked delegation under the operator's grant: " + page);
        assertTrue(page.contains("data-grant=\"" + triageGrant.getGrantId() + "\" data-grantee=\"triage\" data-status=\"ACTIVE\" data-indent=\"0\""), page);
    }

    /** A console page as the principal sees it, signed in through the review service's login form. */
    static String consolePage(String path) throws Exception {
        return consolePage(services.get("review").url(), path);
    }

    /** A page of the console at {@code base}, signed in as the principal. */
    static String consolePage(String base, String path) throws Exception {
        HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
        String form = "j_username=" + PrincipalTools.REVIEW_PRINCIPAL_USER + "&j_password=" + PrincipalTools.REVIEW_PRINCIPAL_PASSWORD;
        http.send(HttpRequest.newBuilder(URI.create(base + "/j_security_check"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.discarding());
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode(), page.body());
        return page.body();
    }

    static void publish(RunEvent event) {
        TopicProbe.send(kafka.bootstrapServers(), Topics.RUN_EVENTS.name(), event.getEnvelope().getRunId().getBytes(),
                events.encode(event));
    }
}
