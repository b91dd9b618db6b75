package dev.agentmesh.meshctl;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.contract.CsvRows;
import dev.agentmesh.data.Split;
import dev.agentmesh.dataset.DatasetReader;
import dev.agentmesh.contract.TransactionGenerator;
import dev.agentmesh.gate.AssessmentRequested;
import dev.agentmesh.gate.Candidate;
import dev.agentmesh.gate.ModelDeployed;
import dev.agentmesh.gate.PrincipalDecided;
import dev.agentmesh.gate.PrincipalDecision;
import dev.agentmesh.runstate.GateState;
import dev.agentmesh.sweep.CellCompleted;
import dev.agentmesh.sweep.CellConfig;
import dev.agentmesh.sweep.SweepFinished;
import dev.agentmesh.sweep.SweepOutcome;
import dev.agentmesh.team.GateDecider;
import dev.agentmesh.team.GatePolicy;
import dev.agentmesh.team.Specialists;
import dev.agentmesh.training.CellTrainer;
import dev.agentmesh.training.StopSignal;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.dataset.LocalDataset;
import dev.agentmesh.embedded.EmbeddedKafka;
import dev.agentmesh.fanout.SweepDecider;
import dev.agentmesh.fanout.TrainerPools;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.grants.GrantKeys;
import dev.agentmesh.kafka.GrantPublisher;
import dev.agentmesh.grants.Grants;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.runstate.SweepState;
import dev.agentmesh.runstate.SweepState.CellStatus;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.sweep.CellStarted;
import dev.agentmesh.kafka.RunLog;
import dev.agentmesh.fanout.SweepGrid;
import dev.agentmesh.sweep.CellFailed;
import dev.agentmesh.sweep.CellStepResult;
import dev.agentmesh.testing.TopicProbe;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.common.header.internals.RecordHeaders;
import dev.agentmesh.topics.Topic;
import dev.agentmesh.training.ModelRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WindowType;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import dev.agentmesh.core.MeshHeaders;
import java.nio.file.Files;
import java.security.KeyPair;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Stage 2 across real processes: one embedded broker in this JVM; run-state, the four stage-1 services, the sweep
 * orchestrator and two trainers each in its own JVM. Most runs publish a credit-g dataset directly and plan only
 * the sweep; one runs the whole nightly plan from a meshctl trigger.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SweepIT {

    static final Path ROOT = MeshServices.repoRoot();
    static final Path CREDIT_G = ROOT.resolveSibling("shared").resolve("data").resolve("credit-g.csv");
    static final Path WORK = ROOT.resolve("tools/meshctl/target/sweep-it-" + ProcessHandle.current().pid());
    static final Path KEYS = WORK.resolve("keys");
    static final Duration WAIT = Duration.ofMinutes(3);
    static final Duration STALL_AFTER = Duration.ofSeconds(30);

    static final String SHADOW = "risk-fairness-shadow";
    static final String SHADOW_VERSION = "strict";

    static EmbeddedKafka kafka;
    static MeshServices services;
    static RunStateClient runState;
    static GrantIssued operatorGrant;
    static MeshCodec<RunEvent> events;

    @BeforeAll
    static void startMesh() throws Exception {
        kafka = EmbeddedKafka.start();
        services = new MeshServices(ROOT, WORK);
        Map<String, Map<String, String>> config = new HashMap<>();
        MeshServices.SERVICES.forEach(s -> config.put(s, PrincipalTools.serviceConfig(KEYS)));
        config.put(PrincipalTools.ORCHESTRATOR, PrincipalTools.orchestratorConfig(KEYS));
        Map<String, String> runStateConfig = new HashMap<>(PrincipalTools.serviceConfig(KEYS));
        runStateConfig.put("mesh.runs.stall-after", STALL_AFTER.toString());
        runStateConfig.put("mesh.runs.stall-check", "PT1S");
        config.put("run-state", runStateConfig);
        config.put("review", PrincipalTools.reviewConfig(KEYS, kafka.bootstrapServers()));
        services.startAll(MeshServices.SERVICES, kafka.bootstrapServers(), config, Duration.ofMinutes(3));
        services.start("trainer", "trainer-2", kafka.bootstrapServers(), PrincipalTools.serviceConfig(KEYS), Duration.ofMinutes(2));
        // risk-fairness a second time, in shadow mode, with thresholds that flag any shift or gap
        Map<String, String> shadow = new HashMap<>(PrincipalTools.serviceConfig(KEYS));
        shadow.putAll(Map.of("mesh.agent.shadow", "true", "mesh.agent.version", SHADOW_VERSION,
                "mp.messaging.outgoing.run-events-out.topic", Topics.SHADOW.name(),
                "mp.messaging.incoming.run-events.group.id", "risk-fairness-shadow",
                "mesh.risk-fairness.psi-concern", "0", "mesh.risk-fairness.gap-concern", "0"));
        services.start("risk-fairness", SHADOW, kafka.bootstrapServers(), shadow, Duration.ofMinutes(2));
        operatorGrant = PrincipalTools.issueNightlyGrant(kafka.bootstrapServers(), KEYS);
        runState = new RunStateClient(services.get("run-state").url());
        events = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(kafka.bootstrapServers()));
        Files.createDirectories(WORK.resolve("grids"));
    }

    @AfterAll
    static void stopMesh() {
        services.close();
        kafka.close();
    }

    /** A grid file: {@code architectures} as YAML flow items, the rest as given. */
    static String grid(String name, String architectures, String learningRates, String batchSizes, int epochs,
                       String policy) throws Exception {
        Path file = WORK.resolve("grids").resolve(name + ".yaml");
        Files.writeString(file, "name: " + name + "\narchitectures: " + architectures + "\nlearning_rates: " + learningRates
                + "\nbatch_sizes: " + batchSizes + "\nepochs: " + epochs + "\nseed: 42\npolicy: " + policy + "\n");
        return file.toString();
    }

    static String sweepGrant(String runId, long budgetMs) {
        return PrincipalTools.issueSweepGrant(kafka.bootstrapServers(), KEYS, operatorGrant, "run:" + runId, budgetMs).getGrantId();
    }

    /** Triggers a sweep-only run and publishes its credit-g dataset, as the publisher would. */
    static void startSweep(String runId, String grid, long seed, String sweepGrant) {
        startSweep(runId, grid, seed, sweepGrant, CsvRows.read(CREDIT_G));
    }

    /** As above, on these credit-g rows. */
    static void startSweep(String runId, String grid, long seed, String sweepGrant, CsvRows.Table rows) {
        LocalDataset.Published dataset = LocalDataset.publish(rows, DataContract.load("credit-g"),
                WORK.resolve("datasets").resolve(runId), runId);
        Map<String, String> parameters = new HashMap<>(Map.of(SweepDecider.PARAM_SEED, Long.toString(seed),
                SweepDecider.PARAM_GRANT, sweepGrant));
        if (grid != null) {
            parameters.put(SweepDecider.PARAM_GRID, grid);
        }
        Envelope trigger = new Envelopes("meshctl", "sweep-it").origin(runId, operatorGrant.getGrantId());
        publish(RunEvents.triggered(trigger, "nightly", "sweep-it", SourceKind.CSV, CREDIT_G.toString(), "credit-g",
                List.of(Stages.SWEEP), parameters));
        publish(new RunEvent(new Envelopes("publisher", "sweep-it").causedBy(trigger, "published", 0), dataset.announcement()));
    }

    static void publish(RunEvent event) {
        TopicProbe.send(kafka.bootstrapServers(), Topics.RUN_EVENTS.name(), event.getEnvelope().getRunId().getBytes(),
                events.encode(event));
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

    static RunState awaitTerminal(String runId) {
        return await(runId, s -> s.status().terminal(), "finished");
    }

    static Map<String, Double> losses(SweepState sweep) {
        return sweep.cells().values().stream().filter(c -> c.validationLoss() != null)
                .collect(Collectors.toMap(SweepState.CellState::cellId, SweepState.CellState::validationLoss));
    }

    @Test
    @Order(1)
    void theWholeNightlyRunOnCreditGEndsWithA24CellSweepAndAVerifiableWinner() throws Exception {
        String sweepGrant = sweepGrant("it-nightly", 600_000);
        String runId = MeshFlowIT.meshctl("trigger", "--bootstrap", kafka.bootstrapServers(), "--source", CREDIT_G.toString(),
                "--run-id", "it-nightly", "--grant", operatorGrant.getGrantId(), "--sweep-grant", sweepGrant,
                "--gate-grant", gateGrant());
        RunState state = awaitTerminal(runId);
        assertEquals(RunStatus.COMPLETED, state.status(), () -> String.valueOf(state));
        assertEquals(Stages.NIGHTLY, state.plannedStages());
        SweepState sweep = state.sweep();
        assertEquals(24, sweep.cells().size());
        assertEquals("SUCCEEDED", sweep.outcome().outcome());
        assertEquals(24, sweep.outcome().cellsSucceeded());
        assertEquals(24, sweep.outcome().ranking().size());
        assertEquals(dev.agentmesh.fanout.Ranking.RULE, sweep.rankingRule());
        SweepState.CellState winner = sweep.cells().get(sweep.outcome().winnerCellId());
        assertEquals(winner.validationLoss(), losses(sweep).values().stream().min(Double::compare).orElseThrow(),
                "the winner has the lowest validation loss");
        assertEquals(Set.of(0.005, 0.01, 0.03, 0.1), sweep.cells().values().stream().map(c -> c.config().learningRate())
                .collect(Collectors.toSet()), "every learning rate of the grid was trained");
        assertEquals(ModelRegistry.sha256(Path.of(URI.create(sweep.outcome().winnerCheckpoint()))),
                sweep.outcome().winnerChecksum(), "the winning checkpoint is on disk with the announced checksum");
        assertTrue(state.stages().get(Stages.SWEEP).audit().get("winner.cell").equals(winner.cellId()));
        assertEquals(2, sweep.cells().values().stream().map(SweepState.CellState::agentInstance).distinct().count(),
                "both trainers of the pool took cells");

        // The first run deploys: all four assessed, the coordinator shipped, the production alias names the winner.
        GateState gate = state.gate();
        assertEquals(Set.copyOf(Specialists.ALL), gate.assessments().keySet(), () -> gate.toString());
        assertEquals("SHIP", gate.decision().disposition(), gate.decision()::toString);
        assertTrue(gate.assessments().get(Specialists.MODEL_QUALITY).summary().startsWith("first deployment"));
        assertNotNull(gate.deployment());
        assertNull(gate.deployment().previousCheckpoint(), "nothing was in production before");
        assertEquals(sweep.outcome().winnerCheckpoint(), production("credit-g").orElseThrow().checkpoint());
    }

    /** The console (issue 22): the nightly run's page shows its stages, 24 sweep cells with the winner marked, four verdicts. */
    @Test
    @Order(2)
    void theConsoleShowsTheNightlyRunWithItsSweepChartAndTheGatesFourVerdictsInHeadlessChromium() throws Exception {
        MeshFlowIT.assumeChromium();
        RunState state = runState.get("it-nightly").orElseThrow(() -> new AssertionError("needs the nightly run first"));
        String review = services.get("review").url();
        var browser = MeshFlowIT.chromium();
        try {
            var wait = MeshFlowIT.signInAt(browser, review + "/review", "bob", "bob-reviewer");

            browser.get(review + "/review/runs?status=COMPLETED");
            wait.until(d -> d.findElements(By.id("runs")).size() == 1);
            var row = browser.findElement(By.cssSelector("tr.run[data-run='it-nightly']"));
            assertEquals("COMPLETED", row.getAttribute("data-status"));
            assertTrue(browser.findElements(By.cssSelector("tr.run")).stream()
                    .allMatch(r -> "COMPLETED".equals(r.getAttribute("data-status"))), "the status filter holds");
            row.findElement(By.linkText("it-nightly")).click();
            wait.until(d -> d.findElements(By.id("sweep-chart")).size() == 1);

            assertEquals("COMPLETED", browser.findElement(By.id("run-status")).getText());
            assertEquals(Stages.NIGHTLY, browser.findElements(By.cssSelector("li.stage")).stream()
                    .map(e -> e.getAttribute("data-stage")).toList(), "every planned stage, in order");
            assertTrue(browser.findElements(By.cssSelector("li.stage")).stream()
                    .allMatch(e -> e.getAttribute("class").contains("COMPLETED")));
            var points = browser.findElements(By.cssSelector("#sweep-chart circle.cell"));
            assertEquals(24, points.size(), "one point per cell");
            var winners = browser.findElements(By.cssSelector("#sweep-chart circle.cell.winner"));
            assertEquals(1, winners.size());
            assertEquals(state.sweep().outcome().winnerCellId(), winners.get(0).getAttribute("data-cell"));
            // loss grows upwards (SVG's y downwards), and the winner has the lowest loss: no point is drawn below it
            double winnerY = Double.parseDouble(winners.get(0).getAttribute("cy"));
            assertTrue(points.stream().allMatch(p -> Double.parseDouble(p.getAttribute("cy")) <= winnerY + 1e-6));

            var verdicts = browser.findElements(By.cssSelector("#verdicts tr.verdict"));
            assertEquals(Set.copyOf(Specialists.ALL), verdicts.stream().map(v -> v.getAttribute("data-specialist"))
                    .collect(Collectors.toSet()), "four verdicts");
            assertTrue(verdicts.stream().allMatch(v -> !v.findElements(By.cssSelector("ul.evidence li")).isEmpty()
                    || v.getText().contains("MISSING")), "each with its evidence");
            var subgroups = browser.findElements(By.cssSelector("#verdicts tr.subgroup-charts[data-specialist='risk-fairness'] svg.subgroups"));
            assertEquals(Set.of("age", "foreign_worker", "personal_status"), subgroups.stream()
                    .map(g -> g.getAttribute("data-attribute")).collect(Collectors.toSet()), "subgroup rates side by side");
            assertTrue(subgroups.stream().allMatch(g -> g.findElements(By.cssSelector("rect.bar")).size() >= 2));
            assertTrue(browser.findElement(By.id("decision")).getText().contains("SHIP"),
                    browser.findElement(By.id("decision")).getText());
            assertTrue(browser.findElements(By.id("awaiting")).isEmpty(), "no decision is asked of anyone");
            var costs = browser.findElements(By.cssSelector("#costs tr.cost"));
            assertTrue(costs.stream().anyMatch(c -> "sweep-orchestrator".equals(c.getAttribute("data-grantee"))
                    && Integer.parseInt(c.getAttribute("data-indent")) > 0), "the sweep's grant, under the operator's: "
                    + costs.stream().map(c -> c.getAttribute("data-grantee") + "@" + c.getAttribute("data-indent")).toList());
            var lanes = browser.findElements(By.cssSelector("#timeline-chart rect.lane"));
            assertEquals(Stages.NIGHTLY.size() + 24, lanes.size(), "a lane per stage and per cell on the timeline");
            assertEquals(Stages.NIGHTLY.size() * 1L, lanes.stream().filter(l -> !l.getAttribute("class").contains("cell")).count());
            var rates = browser.findElements(By.cssSelector("#reliability-table tr.stage-rate"));
            assertEquals(Stages.NIGHTLY, rates.stream().map(r -> r.getAttribute("data-stage")).toList(),
                    "the pipeline's reliability, stage by stage");
            assertTrue(browser.findElement(By.id("end-to-end")).getText().contains("predicted"));
            var costChart = browser.findElements(By.cssSelector(
                    "#verdicts tr.subgroup-charts[data-specialist='cost'] svg.thresholds"));
            assertEquals(1, costChart.size(), "the cost against the budget, drawn");
            assertEquals(1, costChart.get(0).findElements(By.cssSelector("rect.bar")).size());
            assertEquals(1, costChart.get(0).findElements(By.cssSelector("line.mark")).size());

            // every page of the console: labelled, named, and readable at 1280 px and on a phone; a screenshot of each
            Path target = ROOT.resolve("tools/meshctl/target");
            List<String> problems = new ArrayList<>(ConsoleChecks.checkAndShoot(browser, target, "run"));
            browser.get(review + "/review/runs");
            wait.until(d -> d.findElements(By.id("runs")).size() == 1);
            problems.addAll(ConsoleChecks.checkAndShoot(browser, target, "runs"));
            browser.get(review + "/review/grants");
            wait.until(d -> d.findElements(By.id("grants")).size() == 1);
            var grants = browser.findElements(By.cssSelector("#grants tr.grant"));
            assertTrue(grants.stream().anyMatch(g -> "sweep-orchestrator".equals(g.getAttribute("data-grantee"))
                    && "1".equals(g.getAttribute("data-indent"))), "the sweep's grant under the operator's");
            problems.addAll(ConsoleChecks.checkAndShoot(browser, target, "grants"));
            browser.get(review + "/review");
            wait.until(d -> d.findElements(By.id("items")).size() == 1);
            problems.addAll(ConsoleChecks.checkAndShoot(browser, target, "queue"));
            var items = browser.findElements(By.cssSelector("#items a[href^='/review/items/']"));
            if (!items.isEmpty()) {
                browser.get(items.get(0).getAttribute("href"));
                wait.until(d -> d.findElements(By.tagName("h1")).size() == 1);
                problems.addAll(ConsoleChecks.checkAndShoot(browser, target, "item"));
            }
            assertEquals(List.of(), problems, "accessibility and layout");
        } catch (RuntimeException | AssertionError e) {
            Files.writeString(ROOT.resolve("tools/meshctl/target/console-failure.html"), browser.getPageSource());
            throw e;
        } finally {
            browser.quit();
        }
    }

    /**
     * The console's run page follows a run that is not over: opened while the gate waits for the principal, it reloads
     * itself when the principal decides, and stops following once the run has ended.
     */
    @Test
    @Order(2)
    void theConsolesRunPageFollowsARunThatIsNotOverUntilItEnds() throws Exception {
        MeshFlowIT.assumeChromium();
        production("credit-g").orElseThrow(() -> new AssertionError("needs the nightly run first"));
        startGate("it-live", "credit-g", CsvRows.read(CREDIT_G), logistic("underfit-live", 0.0005, 1), Map.of());
        assertEquals(RunStatus.AWAITING_PRINCIPAL, awaitGate("it-live").status(), "a worse candidate waits for its principal");
        String review = services.get("review").url();
        var browser = MeshFlowIT.chromium();
        try {
            var wait = MeshFlowIT.signInAt(browser, review + "/review", "alice", "alice-principal");
            browser.get(review + "/review/runs/it-live");
            wait.until(d -> d.findElements(By.id("run-status")).size() == 1);
            assertEquals("AWAITING_PRINCIPAL", browser.findElement(By.id("run-status")).getText());
            assertEquals(1, browser.findElements(By.id("live")).size(), "a run that is not over is followed");
            assertTrue(browser.findElement(By.id("awaiting")).getText().contains("waits for its principal"));
            assertEquals(1, browser.findElements(By.id("decide-approve")).size(), "the principal's decision forms, while it waits");
            var psi = browser.findElements(By.cssSelector(
                    "#verdicts tr.subgroup-charts[data-specialist='risk-fairness'] svg.thresholds[data-chart='PSI per feature']"));
            assertEquals(1, psi.size(), "the shift against the production model's data, drawn");
            assertTrue(psi.get(0).findElements(By.cssSelector("rect.bar")).size() >= 10, "a bar per feature");
            assertEquals(2, psi.get(0).findElements(By.cssSelector("line.mark")).size(), "concern and block");
            String url = browser.getCurrentUrl();
            String watching = browser.getWindowHandle();

            // the principal rejects from the run's page in a second tab; the first only watches
            browser.switchTo().newWindow(WindowType.TAB);
            browser.get(review + "/review/runs/it-live");
            wait.until(d -> d.findElements(By.id("reject-reason")).size() == 1);
            browser.findElement(By.id("reject-reason")).sendKeys("underfit: worse than production");
            browser.findElement(By.id("decide-reject")).click();
            wait.until(d -> d.findElements(By.id("message")).size() == 1);
            assertTrue(browser.findElement(By.id("message")).getText().startsWith("reject recorded"),
                    browser.findElement(By.id("message")).getText());
            browser.close();
            browser.switchTo().window(watching);

            // nobody navigates the first tab: it reloads itself and shows the run ended
            wait.until(d -> d.findElements(By.id("run-status")).size() == 1
                    && "REJECTED".equals(d.findElement(By.id("run-status")).getText()));
            assertEquals(url, browser.getCurrentUrl());
            assertTrue(browser.findElements(By.id("live")).isEmpty(), "an ended run is no longer followed");
            assertTrue(browser.findElements(By.id("awaiting")).isEmpty());
            assertTrue(browser.findElements(By.id("decide-approve")).isEmpty(), "no decision forms once it is decided");
            RunState rejected = runState.get("it-live").orElseThrow();
            assertTrue(rejected.stages().get(Stages.GATE).reason().contains("underfit: worse than production"),
                    rejected.stages().get(Stages.GATE).reason());
        } catch (RuntimeException | AssertionError e) {
            Files.writeString(ROOT.resolve("tools/meshctl/target/console-live-failure.html"), browser.getPageSource());
            throw e;
        } finally {
            browser.quit();
        }
    }

    /**
     * Bring your own dataset: a file that is not in the repository, a contract drafted from it by
     * {@code meshctl contracts infer} and adjusted as a person would, checked, then the whole nightly run.
     */
    @Test
    @Order(3)
    void aDatasetNotInTheRepositoryRunsTheWholeNightlyRunOnADraftedContract() throws Exception {
        Path dir = Files.createDirectories(WORK.resolve("byo"));
        Random random = new Random(11);
        List<String> lines = new ArrayList<>(List.of("Pregnancies,Glucose,BMI,Sex,Age,Outcome"));
        for (int i = 0; i < 600; i++) {
            int glucose = 70 + random.nextInt(130);
            double bmi = 18 + random.nextInt(250) / 10.0;
            boolean diabetic = glucose + bmi * 2 + random.nextGaussian() * 15 > 190;
            // as R, pandas and UCI exports write "no value": NA in a measurement, ? in another
            lines.add(random.nextInt(10) + "," + (i % 17 == 5 ? "NA" : glucose) + "," + (i % 23 == 7 ? "?" : bmi) + ","
                    + (random.nextBoolean() ? "F" : "M") + "," + (21 + random.nextInt(60)) + "," + (diabetic ? 1 : 0));
        }
        Path csv = Files.write(dir.resolve("clinic.csv"), lines);
        Path contract = dir.resolve("clinic.yaml");
        String drafted = MeshFlowIT.meshctl("contracts", "infer", "--csv", csv.toString(), "--name", "clinic", "-o", contract.toString());
        assertTrue(drafted.contains("wrote " + contract), drafted);
        String draft = Files.readString(contract);
        assertTrue(draft.contains("label: 'Outcome'") && draft.contains("sensitive: ['Pregnancies', 'Sex', 'Age']"), draft);
        assertTrue(draft.contains("missing_values: ['?', 'NA']") && draft.contains("{name: 'Glucose', type: integer, required: false")
                && draft.contains("{name: 'BMI', type: number, required: false"), draft);
        // a person confirms the candidates: sex is assessed for fairness here
        Files.writeString(contract, draft.replace("sensitive: ['Pregnancies', 'Sex', 'Age']", "sensitive: ['Sex']"));
        String checked = MeshFlowIT.meshctl("contracts", "check", "--contract", contract.toString(), "--source", csv.toString());
        assertTrue(checked.contains("600 rows, 600 valid"), checked);

        String grid = grid("byo", "[{name: logistic, kind: logistic}]", "[0.05, 0.1]", "[32]", 5,
                "{max_concurrency: 2, cell_timeout: PT60S, max_attempts: 1, min_successes: 2, on_partial: fail,"
                        + " mode: gather, cell_cost_estimate_ms: 100}");
        String runId = MeshFlowIT.meshctl("trigger", "--bootstrap", kafka.bootstrapServers(), "--source", csv.toString(),
                "--contract", contract.toString(), "--run-id", "it-byo", "--grant", operatorGrant.getGrantId(),
                "--sweep-grant", sweepGrant("it-byo", 600_000), "--sweep-grid", grid, "--gate-grant", gateGrant());
        RunState state = awaitTerminal(runId);
        assertEquals(RunStatus.COMPLETED, state.status(), () -> DemoCommand.gateTrail(state));
        assertEquals(600L, state.dataset().counts().get("rows.out"));
        assertEquals("SHIP", state.gate().decision().disposition(), () -> DemoCommand.gateTrail(state));
        assertEquals(state.sweep().outcome().winnerCheckpoint(), production("clinic").orElseThrow().checkpoint(),
                "the model is known by its contract's name, not the file's path");
    }

    @Test
    @Order(2)
    void theSameSeedPicksTheSameWinnerWithTheSameLosses() {
        startSweep("it-seed-a", null, 7, sweepGrant("it-seed-a", 600_000));
        startSweep("it-seed-b", null, 7, sweepGrant("it-seed-b", 600_000));
        SweepState a = awaitTerminal("it-seed-a").sweep();
        SweepState b = awaitTerminal("it-seed-b").sweep();
        assertEquals("SUCCEEDED", a.outcome().outcome());
        assertEquals(a.outcome().winnerCellId(), b.outcome().winnerCellId());
        assertEquals(a.outcome().ranking().subList(0, 5), b.outcome().ranking().subList(0, 5));
        assertEquals(losses(a), losses(b), "every cell's validation loss, exactly");
        assertEquals(24, losses(a).size());
    }

    // ---- stage 3: gate and deploy. Candidates are trained here and published as the sweep would (its winner). ----

    static String gateGrant() {
        return PrincipalTools.issueGateGrant(kafka.bootstrapServers(), KEYS, operatorGrant, "run:*").getGrantId();
    }

    static Optional<ModelRegistry.AliasTarget> production(String contract) {
        return new ModelRegistry(WORK.resolve("artifacts")).alias(contract, GatePolicy.PRODUCTION_ALIAS);
    }

    /** Publishes a run that planned only the gate: its dataset, and a finished sweep whose winner is {@code cell}. */
    static void startGate(String runId, String contractName, CsvRows.Table rows, CellConfig cell, Map<String, String> extra) {
        startGate(runId, contractName, rows, cell, extra, List.of(Stages.GATE));
    }

    /** A run whose sweep (its events published as the orchestrator would) named {@code cell} the winner. */
    static void startGate(String runId, String contractName, CsvRows.Table rows, CellConfig cell, Map<String, String> extra,
                          List<String> plan) {
        DataContract contract = DataContract.load(contractName);
        LocalDataset.Published dataset = LocalDataset.publish(rows, contract, WORK.resolve("datasets").resolve(runId), runId);
        CellTrainer.Trained trained = CellTrainer.train(cell, dataset.schema().names(),
                DatasetReader.read(dataset.written().files().get(Split.TRAIN).toString()),
                DatasetReader.read(dataset.written().files().get(Split.VALIDATION).toString()), StopSignal.NEVER);
        ModelRegistry.Checkpoint checkpoint = new ModelRegistry(WORK.resolve("test-models"))
                .register(runId, cell.getCellId(), 1, trained.model());
        Map<String, String> parameters = new HashMap<>(extra);
        parameters.putIfAbsent(GateDecider.PARAM_GRANT, gateGrant());
        Envelope trigger = new Envelopes("meshctl", "gate-it").origin(runId, operatorGrant.getGrantId());
        Envelopes sweep = new Envelopes("sweep-orchestrator", "gate-it");
        publish(RunEvents.triggered(trigger, "nightly", "gate-it", SourceKind.CSV, "generated", contractName,
                plan, parameters));
        if (plan.contains(Stages.SWEEP)) {
            // the sweep stage is under way before the dataset arrives, so the orchestrator does not plan one of its own
            publish(RunEvents.started(sweep.causedBy(trigger, "sweep-started", 0), Stages.SWEEP));
        }
        publish(new RunEvent(new Envelopes("publisher", "gate-it").causedBy(trigger, "published", 0), dataset.announcement()));
        publish(new RunEvent(sweep.causedBy(trigger, "cell", 0), new CellCompleted(cell.getCellId(), cell,
                trained.validationLoss(), trained.validationAccuracy(), trained.inferenceLatencyMicros(), trained.trainMs(),
                checkpoint.uri(), checkpoint.checksum(), List.of())));
        publish(new RunEvent(sweep.causedBy(trigger, "finished", 0), SweepFinished.newBuilder().setOutcome(SweepOutcome.SUCCEEDED)
                .setWinnerCellId(cell.getCellId()).setWinnerCheckpoint(checkpoint.uri()).setWinnerChecksum(checkpoint.checksum())
                .setWinnerValidationLoss(trained.validationLoss()).setRankingRule(dev.agentmesh.fanout.Ranking.RULE)
                .setCellsSucceeded(1).setCellsFailed(0).setCellsNotRun(0).build()));
        publish(RunEvents.completed(sweep.causedBy(trigger, "sweep-completed", 0), Stages.SWEEP, Map.of(), Map.of()));
    }

    static CellConfig logistic(String id, double lr, int epochs) {
        return new CellConfig(id, "logistic", dev.agentmesh.fanout.SweepGrid.LOGISTIC, 0, lr, 64, epochs, 42L, List.of(), null);
    }

    static RunState awaitGate(String runId) {
        return await(runId, s -> s.status().terminal() || s.status() == RunStatus.AWAITING_PRINCIPAL, "through the gate");
    }

    static String decide(String runId, String decision, String as) throws Exception {
        return MeshFlowIT.meshctl("runs", "decide", runId, decision, "--reason", "reviewed in " + runId, "--as", as,
                "--bootstrap", kafka.bootstrapServers(), "--keys-dir", KEYS.toString());
    }

    @Test
    @Order(14)
    void aThreeStepCellPipelineRecordsEveryStepAndAFailingSecondStepFailsTheCellWithItsReason() throws Exception {
        String grid = grid("pipeline", "[{name: logistic, kind: logistic}]", "[0.1]", "[32]", 3,
                "{max_concurrency: 1, cell_timeout: PT60S, max_attempts: 1, min_successes: 1, on_partial: fail,"
                        + " mode: gather, cell_cost_estimate_ms: 100}");
        Files.writeString(Path.of(grid), Files.readString(Path.of(grid)) + "pipeline: [train, calibrate, evaluate]\n");
        startSweep("it-pipeline", grid, 42, sweepGrant("it-pipeline", 600_000));
        RunState done = awaitTerminal("it-pipeline");
        assertEquals(RunStatus.COMPLETED, done.status(), () -> String.valueOf(done.sweep()));
        List<CellCompleted> completed = RunLog.records(kafka.bootstrapServers(), "it-pipeline", Duration.ofSeconds(30)).stream()
                .map(r -> events.decode(r.value()).getPayload()).filter(p -> p instanceof CellCompleted).map(p -> (CellCompleted) p)
                .toList();
        assertEquals(SweepGrid.STEPS, completed.get(0).getSteps().stream().map(CellStepResult::getStep).toList(),
                "each step's result is recorded under the cell attempt, in order");
        assertTrue(completed.get(0).getSteps().get(2).getMetrics().containsKey("test.loss"));
        SweepState.CellState trained = done.sweep().cells().values().iterator().next();
        assertEquals(SweepGrid.STEPS, trained.steps().stream().map(SweepState.StepResult::step).toList(),
                "run state keeps each step of the deciding attempt");
        assertEquals(completed.get(0).getSteps().get(2).getMetrics().get("test.loss"),
                trained.steps().get(2).metrics().get("test.loss"));
        String page = TriageIT.consolePage(services.get("review").url(), "/review/runs/it-pipeline");
        for (String step : SweepGrid.STEPS) {
            assertTrue(page.contains("<tr class=\"step\" data-step=\"" + step + "\">"), "the winner's steps on its page: " + page);
        }
        assertTrue(page.contains("test.loss"), page);
        String shown = MeshFlowIT.meshctl("runs", "show", "it-pipeline", "--run-state-url", services.get("run-state").url());
        assertTrue(shown.contains("winner steps        train "), shown);
        assertTrue(shown.contains(", calibrate ") && shown.contains(", evaluate ") && shown.contains("test.loss"), shown);

        CsvRows.Table creditG = CsvRows.read(CREDIT_G);
        CsvRows.Table good = new CsvRows.Table(creditG.header(),
                creditG.rows().stream().filter(r -> "good".equals(r.get("class"))).toList());
        startSweep("it-pipeline-one-class", grid, 42, sweepGrant("it-pipeline-one-class", 600_000), good);
        RunState failed = awaitTerminal("it-pipeline-one-class");
        SweepState.CellState cell = failed.sweep().cells().values().iterator().next();
        assertEquals(CellStatus.FAILED, cell.status(), () -> String.valueOf(failed.sweep()));
        assertTrue(cell.reason().startsWith("step calibrate: the validation split holds only [good]"), cell.reason());
        assertEquals(SweepGrid.CALIBRATE, cell.failedStep());
        assertFalse(cell.retryable(), "the same step on the same data fails the same way");
        CellFailed reported = RunLog.records(kafka.bootstrapServers(), "it-pipeline-one-class", Duration.ofSeconds(30)).stream()
                .map(r -> events.decode(r.value()).getPayload()).filter(p -> p instanceof CellFailed).map(p -> (CellFailed) p)
                .findFirst().orElseThrow();
        assertEquals(SweepGrid.CALIBRATE, reported.getStep());
    }

    @Test
    @Order(15)
    void cellsOfAResourceClassAreTrainedOnlyByThatClasssPool() throws Exception {
        Map<String, String> gpu = new HashMap<>(PrincipalTools.serviceConfig(KEYS));
        gpu.put("mesh.trainer.resource-class", "gpu");
        gpu.put("mp.messaging.incoming.cell-tasks.group.id", TrainerPools.group(Optional.of("gpu")));
        services.start("trainer", "trainer-gpu", kafka.bootstrapServers(), gpu, Duration.ofMinutes(2));
        String grid = grid("pools", "[{name: cpu, kind: logistic}, {name: big, kind: logistic, resource_class: gpu}]",
                "[0.05, 0.1]", "[32]", 3, "{max_concurrency: 4, cell_timeout: PT60S, max_attempts: 1, min_successes: 4,"
                        + " on_partial: fail, mode: gather, cell_cost_estimate_ms: 100}");
        startSweep("it-pools", grid, 42, sweepGrant("it-pools", 600_000));
        RunState done = awaitTerminal("it-pools");
        assertEquals(RunStatus.COMPLETED, done.status(), () -> String.valueOf(done.sweep()));
        for (SweepState.CellState cell : done.sweep().cells().values()) {
            boolean onGpu = cell.agentInstance().startsWith("trainer-gpu-");
            assertEquals("gpu".equals(cell.config().resourceClass()), onGpu,
                    cell.cellId() + " (class " + cell.config().resourceClass() + ") trained by " + cell.agentInstance());
        }
        assertEquals(2, done.sweep().cells().values().stream().filter(c -> "gpu".equals(c.config().resourceClass())).count());
    }

    @Test
    @Order(20)
    void aWorseCandidateIsBlockedByModelQualityAndOnlyThePrincipalsDecisionFinishesIt() throws Exception {
        ModelRegistry.AliasTarget before = production("credit-g").orElseThrow(() -> new AssertionError("needs the nightly run first"));
        CsvRows.Table creditG = CsvRows.read(CREDIT_G);
        startGate("it-gate-worse", "credit-g", creditG, logistic("underfit-lr0.0005", 0.0005, 1), Map.of());
        RunState returned = awaitGate("it-gate-worse");
        assertEquals(RunStatus.AWAITING_PRINCIPAL, returned.status(), () -> DemoCommand.gateTrail(returned));
        GateState.Assessment quality = returned.gate().assessments().get(Specialists.MODEL_QUALITY);
        assertEquals("BLOCK", quality.verdict(), quality::summary);
        assertTrue(quality.metrics().get("log-loss.regression") > 0.02, quality.metrics()::toString);
        assertEquals(before.checkpoint(), quality.evidence().get("production.checkpoint"));
        assertTrue(returned.gate().decision().conflicts().stream().anyMatch(c -> c.startsWith("model-quality blocks")));
        assertEquals(before.checkpoint(), production("credit-g").orElseThrow().checkpoint(), "nothing shipped");
        // The conflict was argued before the run went to the principal: the rules' advocates and judge, recommending.
        GateState.Debate debate = returned.gate().debate();
        assertNotNull(debate, () -> DemoCommand.gateTrail(returned));
        assertEquals(4, debate.arguments().size(), () -> DemoCommand.gateTrail(returned));
        assertEquals("HOLD", debate.ruling().ruling());
        assertEquals("rules", debate.ruling().judge());
        assertTrue(returned.gate().decision().reason().contains("the judge (rules) recommends HOLD"),
                returned.gate().decision()::reason);
        String page = TriageIT.consolePage(services.get("review").url(), "/review/runs/it-gate-worse");
        assertEquals(4, page.split("<li class=\"argument ", -1).length - 1, "the debate's four arguments on the run's page");
        assertTrue(page.contains("Ruling: <b>HOLD</b> (a recommendation) by rules"), page);

        // The operator's grant is a root grant but not the principal's: its "approve" must change nothing.
        publish(new RunEvent(new Envelopes("pipeline-operator", "gate-it").origin("it-gate-worse", operatorGrant.getGrantId()),
                new PrincipalDecided(PrincipalDecision.APPROVE, "operator", "ship it anyway")));
        MeshServices.sleep(2_000);
        assertEquals(RunStatus.AWAITING_PRINCIPAL, runState.get("it-gate-worse").orElseThrow().status());
        assertEquals(before.checkpoint(), production("credit-g").orElseThrow().checkpoint(), "a non-principal cannot approve");

        decide("it-gate-worse", "reject", "it-principal");
        RunState rejected = awaitTerminal("it-gate-worse");
        assertEquals(RunStatus.REJECTED, rejected.status(), () -> DemoCommand.gateTrail(rejected));
        assertTrue(rejected.stages().get(Stages.GATE).reason().startsWith("rejected by it-principal"));
        assertEquals("it-principal", rejected.gate().acceptedPrincipalDecision().orElseThrow().getValue().decidedBy());
        assertEquals(before.checkpoint(), production("credit-g").orElseThrow().checkpoint());
    }

    @Test
    @Order(21)
    void plantedDriftAndASubgroupGapAreReturnedByRiskFairnessWithTheNumbersThenApproved() throws Exception {
        CellConfig cell = logistic("logistic-lr0.05", 0.05, 5);
        startGate("it-gate-txn-1", "transactions", TransactionGenerator.generate(
                TransactionGenerator.Spec.parse("rows=4000,seed=1")), cell, Map.of());
        RunState first = awaitGate("it-gate-txn-1");
        assertEquals(RunStatus.COMPLETED, first.status(), () -> DemoCommand.gateTrail(first));
        assertEquals(first.gate().candidate().checkpoint(), production("transactions").orElseThrow().checkpoint());

        startGate("it-gate-txn-2", "transactions", TransactionGenerator.generate(
                TransactionGenerator.Spec.parse("rows=4000,seed=2,drift=0.8,gap=0.6")), cell, Map.of());
        RunState returned = awaitGate("it-gate-txn-2");
        assertEquals(RunStatus.AWAITING_PRINCIPAL, returned.status(), () -> DemoCommand.gateTrail(returned));
        GateState.Assessment risk = returned.gate().assessments().get(Specialists.RISK_FAIRNESS);
        assertEquals("BLOCK", risk.verdict(), risk::summary);
        assertTrue(risk.metrics().get("psi.amount") >= 0.25, risk.metrics()::toString);
        assertTrue(risk.metrics().get("psi.channel") >= 0.25, risk.metrics()::toString);
        assertTrue(risk.metrics().get("gap.positive-rate.customer_region") >= 0.3, risk.metrics()::toString);
        assertTrue(risk.summary().contains("customer_region"), risk.summary());
        assertTrue(risk.evidence().get("shift.reference").contains("it-gate-txn-1"), risk.evidence()::toString);
        assertTrue(returned.gate().decision().conflicts().stream().anyMatch(c -> c.startsWith("risk-fairness blocks")));

        decide("it-gate-txn-2", "approve", "it-principal");
        RunState shipped = awaitTerminal("it-gate-txn-2");
        assertEquals(RunStatus.COMPLETED, shipped.status(), () -> DemoCommand.gateTrail(shipped));
        assertEquals("it-principal", shipped.gate().deployment().decidedBy());
        assertEquals(first.gate().candidate().checkpoint(), shipped.gate().deployment().previousCheckpoint());
        assertEquals(shipped.gate().candidate().checkpoint(), production("transactions").orElseThrow().checkpoint());
    }

    @Test
    @Order(22)
    void anAssessmentRequestedPastTheMaximumDelegationDepthIsRefusedWithAnErrorEvent() {
        Envelope trigger = new Envelopes("meshctl", "gate-it").origin("it-gate-depth", operatorGrant.getGrantId());
        publish(RunEvents.triggered(trigger, "nightly", "gate-it", SourceKind.CSV, "none", "credit-g", List.of(Stages.GATE),
                Map.of()));
        Envelope deep = new Envelopes("coordinator", "gate-it").envelope("it-gate-depth-request", "it-gate-depth",
                trigger.getEventId(), gateGrant(), 9, 1, 0, null);
        publish(new RunEvent(deep, new AssessmentRequested(Specialists.COST, new Candidate("c", "file:/none", "sha256:none",
                0.5, 10.0, "credit-g", "file:/none/"), Instant.now().plus(Duration.ofDays(1)))));
        RunState state = await("it-gate-depth", s -> s.gate() != null && !s.gate().refusals().isEmpty(), "refused");
        GateState.Refusal refusal = state.gate().refusals().values().iterator().next();
        assertEquals(Specialists.COST, refusal.agentRole());
        assertEquals(9, refusal.delegationDepth());
        assertEquals(4, refusal.maxDepth());
        assertEquals("it-gate-depth-request", refusal.refusedEventId());
        assertTrue(state.gate().assessments().isEmpty(), "no assessment was made");
    }

    @Test
    @Order(29)
    void aSpecialistThatNeverAnswersIsFlaggedForAPersonNeverApproved() throws Exception {
        services.kill("cost");
        String current = production("credit-g").orElseThrow().checkpoint();
        startGate("it-gate-silent", "credit-g", CsvRows.read(CREDIT_G), logistic("logistic-lr0.03", 0.03, 5),
                Map.of(GateDecider.PARAM_TIMEOUT, "PT3S"));
        RunState flagged = awaitGate("it-gate-silent");
        assertEquals(RunStatus.AWAITING_PRINCIPAL, flagged.status(), () -> DemoCommand.gateTrail(flagged));
        assertEquals(List.of(Specialists.COST), flagged.gate().decision().missing());
        assertTrue(flagged.gate().decision().reason().startsWith("flagged for a person"), flagged.gate().decision()::reason);
        assertNull(flagged.gate().deployment());
        assertEquals(current, production("credit-g").orElseThrow().checkpoint());
    }

    @Test
    @Order(30)
    void aGateFlaggedForASilentSpecialistIsResumedOnceTheSpecialistIsBackAndShips() throws Exception {
        // cost is still down (see the test before); a policy that ships with up to two concerns
        Path lenient = WORK.resolve("lenient-gate.yaml");
        Files.writeString(lenient, "name: lenient\nspecialists: [model-quality, risk-fairness, cost, deployment-engineer]\n"
                + "assessment_timeout: PT60S\nreturn_when: {any_block: true, concerns_at_least: 3}\n");
        String previous = production("credit-g").orElseThrow().checkpoint();
        startGate("it-gate-resume", "credit-g", CsvRows.read(CREDIT_G), logistic("logistic-lr0.03", 0.03, 5),
                Map.of(GateDecider.PARAM_TIMEOUT, "PT3S", GateDecider.PARAM_POLICY, lenient.toString()),
                List.of(Stages.SWEEP, Stages.GATE));
        RunState flagged = awaitGate("it-gate-resume");
        assertEquals(RunStatus.AWAITING_PRINCIPAL, flagged.status(), () -> DemoCommand.gateTrail(flagged));
        assertEquals(List.of(Specialists.COST), flagged.gate().decision().missing());
        assertNull(flagged.sweep().plannedBy(), "the orchestrator did not sweep a run whose sweep stage was already done");

        services.start("cost", kafka.bootstrapServers(), PrincipalTools.serviceConfig(KEYS), Duration.ofMinutes(2));
        String out = MeshFlowIT.meshctl("runs", "resume", "it-gate-resume", "--from", "gate", "--bootstrap", kafka.bootstrapServers());
        assertTrue(out.contains("resumed run it-gate-resume from gate as attempt 2"), out);

        RunState shipped = await("it-gate-resume", s -> s.status() == RunStatus.COMPLETED, "shipped after the resume");
        assertEquals(2, shipped.gate().attempt());
        assertEquals(2, shipped.stages().get(Stages.GATE).attempt());
        assertEquals(new TreeSet<>(Specialists.ALL), new TreeSet<>(shipped.gate().assessments().keySet()),
                () -> DemoCommand.gateTrail(shipped));
        assertEquals("SHIP", shipped.gate().decision().disposition(), shipped.gate().decision()::reason);
        assertEquals(List.of(), shipped.gate().decision().missing());
        assertEquals(previous, shipped.gate().deployment().previousCheckpoint());
        assertEquals(shipped.gate().candidate().checkpoint(), production("credit-g").orElseThrow().checkpoint());
    }

    static final String MIXED_ARCHITECTURES = "[{name: fm, kind: factorization-machine, factors: 4},"
            + " {name: slow, kind: logistic, epochs: 1000000}]";

    @Test
    @Order(3)
    void failingAndTimedOutCellsGiveAPartialSuccessThatKeepsEveryReason() throws Exception {
        String grid = grid("mixed-partial", MIXED_ARCHITECTURES, "[0.05, 1.0e300]", "[32]", 3,
                "{max_concurrency: 4, cell_timeout: PT2S, max_attempts: 2, min_successes: 1, on_partial: rank_available,"
                        + " mode: gather, cell_cost_estimate_ms: 100}");
        startSweep("it-partial", grid, 42, sweepGrant("it-partial", 600_000));
        RunState state = awaitTerminal("it-partial");
        SweepState.Outcome outcome = state.sweep().outcome();
        assertEquals("PARTIAL", outcome.outcome(), outcome::toString);
        assertEquals(RunStatus.COMPLETED, state.status(), "a partial success under rank_available completes the stage");
        assertEquals("fm-lr0.05-b32", outcome.winnerCellId());
        assertEquals(1, outcome.cellsSucceeded());
        assertEquals(3, outcome.cellsFailed());
        assertEquals(3, outcome.failures().size());
        assertTrue(outcome.failures().get("fm-lr1.0E300-b32").contains("diverged"), outcome.failures().toString());
        assertTrue(outcome.failures().get("slow-lr0.05-b32").contains("timed out"), outcome.failures().toString());
        SweepState.CellState slow = state.sweep().cells().get("slow-lr0.05-b32");
        assertEquals(CellStatus.TIMED_OUT, slow.status());
        assertEquals(2, slow.attempt(), "a timed-out cell is retried up to max_attempts");
        assertEquals(1, state.sweep().cells().get("fm-lr1.0E300-b32").attempt(), "a diverged cell is not retried");
    }

    @Test
    @Order(4)
    void theSameCellsFailTheSweepUnderOnPartialFail() throws Exception {
        String grid = grid("mixed-fail", MIXED_ARCHITECTURES, "[0.05, 1.0e300]", "[32]", 3,
                "{max_concurrency: 4, cell_timeout: PT2S, max_attempts: 1, min_successes: 1, on_partial: fail,"
                        + " mode: gather, cell_cost_estimate_ms: 100}");
        startSweep("it-fail", grid, 42, sweepGrant("it-fail", 600_000));
        RunState state = awaitTerminal("it-fail");
        assertEquals(RunStatus.FAILED, state.status());
        SweepState.Outcome outcome = state.sweep().outcome();
        assertEquals("FAILED", outcome.outcome());
        assertNull(outcome.winnerCellId(), "a failed sweep publishes no winner");
        assertEquals(3, outcome.failures().size(), "every failed cell's reason is kept: " + outcome.failures());
        assertTrue(state.stages().get(Stages.SWEEP).reason().contains("on_partial is fail"), state.stages().get(Stages.SWEEP).reason());
    }

    @Test
    @Order(5)
    void raceModeStopsAtTheFirstCellThatMeetsTheTargetAndCancelsTheRest() throws Exception {
        String grid = grid("race", "[{name: logistic, kind: logistic}]", "[0.01, 0.03, 0.1, 0.3]", "[16, 32, 64]", 3,
                "{max_concurrency: 2, cell_timeout: PT60S, max_attempts: 1, min_successes: 1, on_partial: rank_available,"
                        + " mode: race, target_validation_loss: 5.0, cell_cost_estimate_ms: 100}");
        startSweep("it-race", grid, 42, sweepGrant("it-race", 600_000));
        RunState state = awaitTerminal("it-race");
        SweepState.Outcome outcome = state.sweep().outcome();
        assertEquals("SUCCEEDED", outcome.outcome());
        assertTrue(outcome.dispatchStopped().startsWith("race won by " + outcome.winnerCellId()), outcome.dispatchStopped());
        assertTrue(outcome.cellsNotRun() >= 12 - 2 - 1, "no more cells dispatched after the win: " + outcome);
        long dispatched = state.sweep().cells().values().stream().filter(c -> c.status() != CellStatus.PENDING).count();
        assertTrue(dispatched <= 3, "at most the cells in flight when the first result came: " + dispatched);
        assertTrue(outcome.failures().values().stream().allMatch(r -> r.startsWith("not run: race won")
                        || r.startsWith("cancelled in flight: race won") || r.startsWith("CANCELLED")),
                outcome.failures().toString());
    }

    @Test
    @Order(6)
    void aBudgetTooSmallForTheGridStopsDispatchAndRunStateSaysSo() throws Exception {
        String grid = grid("budget", "[{name: logistic, kind: logistic}]", "[0.01, 0.03, 0.1, 0.3]", "[16, 32, 64]", 40,
                "{max_concurrency: 2, cell_timeout: PT60S, max_attempts: 1, min_successes: 1, on_partial: rank_available,"
                        + " mode: gather, cell_cost_estimate_ms: 50}");
        startSweep("it-budget", grid, 42, sweepGrant("it-budget", 300));
        RunState state = awaitTerminal("it-budget");
        SweepState sweep = state.sweep();
        assertEquals(300L, sweep.budgetComputeMs());
        assertNotNull(sweep.outcome().dispatchStopped(), sweep.outcome().toString());
        assertTrue(sweep.outcome().dispatchStopped().startsWith("budget: dispatch stopped"), sweep.outcome().dispatchStopped());
        assertTrue(sweep.outcome().cellsNotRun() > 0, "cells were left undispatched: " + sweep.outcome());
        assertTrue(sweep.outcome().failures().values().stream().anyMatch(r -> r.startsWith("not run: budget")));
    }

    @Test
    @Order(7)
    void revokingTheOrchestratorsGrantMidSweepStopsItAndTheRunEndsRevoked() throws Exception {
        String grid = grid("revocable", "[{name: logistic, kind: logistic}, {name: fm, kind: factorization-machine, factors: 4}]",
                "[0.005, 0.01, 0.03, 0.1]", "[16, 32, 64]", 150,
                "{max_concurrency: 2, cell_timeout: PT60S, max_attempts: 1, min_successes: 1, on_partial: rank_available,"
                        + " mode: gather, cell_cost_estimate_ms: 100}");
        String grant = sweepGrant("it-revoked", 600_000);
        startSweep("it-revoked", grid, 42, grant);
        await("it-revoked", s -> s.sweep() != null && s.sweep().count(CellStatus.SUCCEEDED) >= 2, "two cells in");
        try (GrantPublisher publisher = new GrantPublisher(kafka.bootstrapServers(),
                SerdeSettings.kafkaTopicStore(kafka.bootstrapServers()), "principal")) {
            publisher.publish(Grants.revoke(grant, GrantKeys.load(KEYS, PrincipalTools.PRINCIPAL), "principal",
                    "sweep overspending, stop it"));
        }
        Instant revokedAt = Instant.now();
        awaitTerminal("it-revoked");
        // SweepFinished ends the run; the sweep stage's failure follows it in the same transaction, folded a moment later
        RunState state = await("it-revoked", s -> s.stages().get(Stages.SWEEP) != null
                && s.stages().get(Stages.SWEEP).reason() != null, "the sweep stage failed");
        assertEquals(RunStatus.REVOKED, state.status());
        SweepState.Outcome outcome = state.sweep().outcome();
        assertEquals("REVOKED", outcome.outcome());
        assertTrue(outcome.reason().contains("revoked") && outcome.reason().contains("sweep overspending, stop it"), outcome.reason());
        assertTrue(state.stages().get(Stages.SWEEP).reason().startsWith("revoked: "), state.stages().get(Stages.SWEEP).reason());
        assertTrue(outcome.cellsNotRun() > 0);

        List<RunEvent> run = TopicProbe.readUntil(kafka.bootstrapServers(), Topics.RUN_EVENTS.name(), Duration.ofSeconds(3), seen -> false)
                .stream().filter(r -> "it-revoked".equals(new String(r.key()))).map(r -> events.decode(r.value())).toList();
        List<Instant> starts = run.stream().filter(e -> e.getPayload() instanceof CellStarted)
                .map(e -> e.getEnvelope().getOccurredAt()).toList();
        assertFalse(starts.isEmpty());
        assertTrue(starts.stream().allMatch(t -> t.isBefore(revokedAt.plusMillis(500))),
                "no cell started after the revocation (" + revokedAt + "): " + starts);
    }

    @Test
    @Order(8)
    void killingOneOfTwoTrainersMidSweepStillCompletesItAndCountsEveryCellOnce() throws Exception {
        String grid = grid("crash", "[{name: logistic, kind: logistic}, {name: fm, kind: factorization-machine, factors: 4}]",
                "[0.005, 0.01, 0.03, 0.1]", "[16, 32, 64]", 60,
                "{max_concurrency: 4, cell_timeout: PT15S, max_attempts: 3, min_successes: 24, on_partial: fail,"
                        + " mode: gather, cell_cost_estimate_ms: 100}");
        startSweep("it-crash", grid, 42, sweepGrant("it-crash", 3_600_000));
        RunState busy = await("it-crash", s -> s.sweep() != null && s.sweep().count(CellStatus.SUCCEEDED) >= 3
                && s.sweep().cells().values().stream().anyMatch(c -> c.status() == CellStatus.RUNNING
                && c.agentInstance().startsWith("trainer-2-")), "trainer-2 busy after three cells");
        String busyCell = busy.sweep().cells().values().stream().filter(c -> c.status() == CellStatus.RUNNING
                && c.agentInstance().startsWith("trainer-2-")).findFirst().orElseThrow().cellId();
        Instant killedAt = Instant.now();
        services.kill("trainer-2");
        // trainer-2's partitions go to the other trainer as soon as its death is seen: its cell is started again in
        // about 2 s, where waiting out trainer-2's static membership (10 s sessions) took 7.7 s in the same test
        Instant pickedUpAt = null;
        for (long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos(); pickedUpAt == null && System.nanoTime() < deadline; ) {
            pickedUpAt = RunLog.read(kafka.bootstrapServers(), events, "it-crash", Duration.ofSeconds(10)).stream()
                    .filter(e -> e.getPayload() instanceof CellStarted started && started.getCellId().equals(busyCell)
                            && !e.getEnvelope().getAgentInstance().startsWith("trainer-2-"))
                    .map(e -> e.getEnvelope().getOccurredAt()).findFirst().orElse(null);
            Thread.sleep(100);
        }
        assertNotNull(pickedUpAt, "no other trainer started " + busyCell + " again");
        Duration pickup = Duration.between(killedAt, pickedUpAt);
        System.out.println("killed trainer's cell " + busyCell + " started again by another trainer after " + pickup.toMillis() + " ms");
        assertTrue(pickup.compareTo(Duration.ofSeconds(6)) < 0, "picked up after " + pickup);
        RunState state = awaitTerminal("it-crash");
        SweepState sweep = state.sweep();
        assertEquals("SUCCEEDED", sweep.outcome().outcome(), sweep.outcome().toString());
        assertEquals(24, sweep.outcome().cellsSucceeded(), "every cell counted once");
        assertEquals(24, sweep.outcome().ranking().stream().distinct().count());
        assertEquals(24, sweep.count(CellStatus.SUCCEEDED));
        assertTrue(sweep.cells().values().stream().anyMatch(c -> !c.agentInstance().startsWith("trainer-2-")));
        for (SweepState.CellState cell : sweep.cells().values()) {
            assertEquals(cell.checkpointChecksum(), ModelRegistry.sha256(Path.of(URI.create(cell.checkpoint()))),
                    "the checksum run state recorded for " + cell.cellId() + " matches the bytes on disk");
        }
    }

    // Replay (issue 8), on the nightly run of the first test.

    static String[] connection(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--bootstrap", kafka.bootstrapServers(), "--run-state-url", services.get("run-state").url()));
        return all.toArray(String[]::new);
    }

    @Test
    @Order(9)
    void replayRebuildsTheNightlyRunAndVerifiesItAgainstTheLiveStateByteForByte() throws Exception {
        String out = MeshFlowIT.meshctl(connection("replay", "--run", "it-nightly", "--verify"));
        assertTrue(out.contains("verified: identical to the live state sha256:"), out);
        assertTrue(out.contains("RunTriggered nightly"), "the timeline names each event: " + out.lines().limit(3).toList());
        assertTrue(out.contains("SweepFinished SUCCEEDED"), out);
        assertTrue(out.contains("status: RUNNING -> COMPLETED"), "and what it changed");
        String live = RunReplayHashes.live(runState, "it-nightly");
        assertTrue(out.contains("verified: identical to the live state " + live), out);
    }

    @Test
    @Order(10)
    void aRebuildUpToAMidRunOffsetShowsTheMidRunState() throws Exception {
        List<dev.agentmesh.core.LoggedRecord> records = dev.agentmesh.kafka.RunLog.records(kafka.bootstrapServers(), "it-nightly", WAIT);
        long published = records.stream().filter(r -> events.decode(r.value()).getPayload() instanceof dev.agentmesh.run.DatasetPublished)
                .findFirst().orElseThrow().offset();
        String out = MeshFlowIT.meshctl(connection("replay", "--run", "it-nightly", "--until", Long.toString(published), "--state", "--quiet"));
        RunState mid = dev.agentmesh.runstate.RunStateJson.fromBytes(out.substring(out.indexOf("\n{") + 1).getBytes());
        assertEquals(RunStatus.RUNNING, mid.status());
        assertNotNull(mid.dataset(), "the dataset was published at that offset");
        assertNull(mid.sweep(), "and the sweep not yet planned");
        assertEquals(records.stream().filter(r -> r.offset() <= published).count(), mid.eventCount());
    }

    @Test
    @Order(11)
    void anExportedBundleReplaysWithNoBrokerToTheSameHash() throws Exception {
        Path bundle = WORK.resolve("it-nightly.bundle.json.gz");
        String exported = MeshFlowIT.meshctl(connection("replay", "export", "--run", "it-nightly", "-o", bundle.toString()));
        assertTrue(exported.contains("24 cell tasks"), exported);
        assertTrue(exported.contains("values of [age, foreign_worker, personal_status] masked"), exported);
        String live = RunReplayHashes.live(runState, "it-nightly");
        // No --bootstrap and no run-state: everything comes from the file.
        String imported = MeshFlowIT.meshctl("replay", "import", bundle.toString());
        assertTrue(imported.contains("rebuilt: COMPLETED " + live), imported);
        String out = MeshFlowIT.meshctl("replay", "--bundle", bundle.toString(), "--verify", "--quiet");
        assertTrue(out.contains("verified: identical to the live state " + live), out);

        // A live state that differs from what the log rebuilds: exit 1, and the difference is shown.
        ReplayBundle b = ReplayBundle.read(bundle);
        Path tampered = WORK.resolve("tampered.bundle.json.gz");
        new ReplayBundle(b.format(), b.runId(), b.exportedAt(), b.runEvents(), b.cellTasks(), b.deadLetters(), b.schemas(),
                b.liveState().replace("\"status\":\"COMPLETED\"", "\"status\":\"FAILED\""), null, b.maskedColumns()).write(tampered);
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                ROOT.resolve("tools/meshctl/target/meshctl.jar").toString(), "replay", "--bundle", tampered.toString(),
                "--verify", "--quiet").redirectErrorStream(true).start();
        String mismatch = new String(p.getInputStream().readAllBytes());
        assertEquals(1, p.waitFor(), mismatch);
        assertTrue(mismatch.contains("MISMATCH") && mismatch.contains("status: FAILED -> COMPLETED"), mismatch);
    }

    @Test
    @Order(12)
    void replayingTheRowValidatorAndATrainerCellReproducesTheirRecordedOutputs() throws Exception {
        String rows = MeshFlowIT.meshctl(connection("replay", "agent", "row-validator", "--run", "it-nightly"));
        assertTrue(rows.contains("compared 1000 valid rows and 0 rejections"), rows);
        assertTrue(rows.contains("identical: the row-validator reproduced every recorded output"), rows);
        String winner = runState.get("it-nightly").orElseThrow().sweep().outcome().winnerCellId();
        String cell = MeshFlowIT.meshctl(connection("replay", "agent", "trainer", "--run", "it-nightly", "--cell", winner));
        assertTrue(cell.contains("scored 155 validation rows with the recorded checkpoint and the replayed model: 0 differ"), cell);
        assertTrue(cell.contains("identical: the trainer reproduced every recorded output"), cell);
    }

    static final String RESUMABLE_POLICY = "{max_concurrency: 2, cell_timeout: PT2S, max_attempts: 1, min_successes: 2,"
            + " on_partial: fail, mode: gather, cell_cost_estimate_ms: 100}";

    @Test
    @Order(13)
    void aFailedSweepResumedAfterItsGridIsFixedKeepsTheCellThatSucceededAndTrainsOnlyTheOther() throws Exception {
        String runId = "it-resume-sweep";
        String grid = grid("resumable", "[{name: logistic, kind: logistic}, {name: slow, kind: logistic, epochs: 1000000}]",
                "[0.05]", "[32]", 3, RESUMABLE_POLICY);
        // A run planned publish → sweep: its dataset announced and its publish stage completed, as the publisher does.
        LocalDataset.Published dataset = LocalDataset.publish(CREDIT_G, DataContract.load("credit-g"),
                WORK.resolve("datasets").resolve(runId), runId);
        Envelope trigger = new Envelopes("meshctl", "sweep-it").origin(runId, operatorGrant.getGrantId());
        Envelopes publisher = new Envelopes("publisher", "sweep-it");
        publish(RunEvents.triggered(trigger, "nightly", "sweep-it", SourceKind.CSV, CREDIT_G.toString(), "credit-g",
                List.of(Stages.PUBLISH, Stages.SWEEP), Map.of(SweepDecider.PARAM_SEED, "42", SweepDecider.PARAM_GRID, grid,
                        SweepDecider.PARAM_GRANT, sweepGrant(runId, 600_000))));
        publish(new RunEvent(publisher.causedBy(trigger, "published", 0), dataset.announcement()));
        publish(RunEvents.completed(publisher.causedBy(trigger, "finished", 0), Stages.PUBLISH, Map.of(), Map.of()));

        RunState failed = awaitTerminal(runId);
        assertEquals(RunStatus.FAILED, failed.status(), () -> failed.sweep().toString());
        SweepState.CellState kept = failed.sweep().cells().get("logistic-lr0.05-b32");
        assertEquals(CellStatus.SUCCEEDED, kept.status());
        assertEquals(CellStatus.TIMED_OUT, failed.sweep().cells().get("slow-lr0.05-b32").status());

        // The operator gives the slow cell a sane number of epochs and resumes the run from its sweep.
        grid("resumable", "[{name: logistic, kind: logistic}, {name: slow, kind: logistic, epochs: 3}]", "[0.05]", "[32]", 3,
                RESUMABLE_POLICY);
        String out = MeshFlowIT.meshctl("runs", "resume", runId, "--from", "sweep", "--bootstrap", kafka.bootstrapServers());
        assertTrue(out.contains("resumed run " + runId + " from sweep as attempt 2"), out);

        RunState done = await(runId, s -> s.status() == RunStatus.COMPLETED, "completed after the resume");
        assertEquals(2, done.stages().get(Stages.SWEEP).attempt());
        assertEquals(2, done.sweep().attempt());
        assertEquals("SUCCEEDED", done.sweep().outcome().outcome(), done.sweep().outcome()::toString);
        SweepState.CellState keptAfter = done.sweep().cells().get("logistic-lr0.05-b32");
        assertEquals(kept.decidingEventId(), keptAfter.decidingEventId(), "not trained again: the first attempt's result");
        assertEquals(kept.checkpoint(), keptAfter.checkpoint());
        assertEquals(1, keptAfter.completions());
        SweepState.CellState slow = done.sweep().cells().get("slow-lr0.05-b32");
        assertEquals(CellStatus.SUCCEEDED, slow.status());
        assertEquals(2, slow.attempt(), "a cell's attempts continue across sweep attempts");
        assertEquals(3, slow.config().epochs(), "trained with the fixed grid");
        assertTrue(Files.isRegularFile(Path.of(java.net.URI.create(slow.checkpoint()))), slow.checkpoint());
        String summary = DemoCommand.summary(done); // what `meshctl watch` and the demo print at the end
        assertTrue(summary.contains("sweep               COMPLETED (attempt 2)"), summary);
    }

    /** The hash of what run-state serves, computed as replay computes it. */
    static final class RunReplayHashes {
        static String live(RunStateClient client, String runId) {
            return dev.agentmesh.replay.RunReplay.sha256(client.get(runId).orElseThrow());
        }
    }

    // ---- hostile input and unauthorised actions, against the running mesh (issue: trustworthy under faults) ----

    @Test
    @Order(40)
    void anUngrantedCancellationCancelsNothingAndReviewDeadLettersItOnce() throws Exception {
        String grid = grid("hostile-control", "[{name: logistic, kind: logistic}]", "[0.01, 0.03, 0.1]", "[16, 32]", 20,
                "{max_concurrency: 2, cell_timeout: PT60S, max_attempts: 1, min_successes: 6, on_partial: fail,"
                        + " mode: gather, cell_cost_estimate_ms: 100}");
        startSweep("it-hostile-control", grid, 42, sweepGrant("it-hostile-control", 600_000));
        await("it-hostile-control", s -> s.sweep() != null && s.sweep().count(CellStatus.SUCCEEDED) >= 1, "one cell in");
        MeshCodec<dev.agentmesh.sweep.SweepControl> controls = new MeshCodec<>(Topics.SWEEP_CONTROL,
                SerdeSettings.kafkaTopicStore(kafka.bootstrapServers()));
        Envelope envelope = new Envelopes("mallory", "it").origin("it-hostile-control", "forged-grant");
        TopicProbe.send(kafka.bootstrapServers(), Topics.SWEEP_CONTROL.name(), "it-hostile-control".getBytes(),
                controls.encode(new dev.agentmesh.sweep.SweepControl(envelope, true, Map.of(), "mallory says stop")));
        RunState state = awaitTerminal("it-hostile-control");
        assertEquals(RunStatus.COMPLETED, state.status(), () -> String.valueOf(state));
        assertEquals(6, state.sweep().count(CellStatus.SUCCEEDED), "no cell was cancelled by the ungranted message");

        var dead = TopicProbe.readUntil(kafka.bootstrapServers(), Topics.DEAD_LETTER.name(), WAIT,
                seen -> seen.stream().anyMatch(r -> Topics.SWEEP_CONTROL.name().equals(TopicProbe.header(r, MeshHeaders.DLQ_TOPIC))));
        var letters = dead.stream().filter(r -> Topics.SWEEP_CONTROL.name().equals(TopicProbe.header(r, MeshHeaders.DLQ_TOPIC))).toList();
        assertEquals(1, letters.size(), "dead-lettered once, by review, not once per trainer");
        assertEquals("review", TopicProbe.header(letters.get(0), MeshHeaders.DLQ_SERVICE));
        assertTrue(TopicProbe.header(letters.get(0), MeshHeaders.DLQ_REASON).startsWith("unauthorised cancellation: grant forged-grant"),
                TopicProbe.header(letters.get(0), MeshHeaders.DLQ_REASON));
    }

    @Test
    @Order(41)
    void anExpiredGrantIsRefusedEvenWhenTheEventBackDatesItselfIntoTheGrantsLifetime() throws Exception {
        KeyPair operator = GrantKeys.loadOrCreate(KEYS, PrincipalTools.OPERATOR);
        Instant issued = Instant.now();
        GrantIssued shortLived = Grants.delegate(operatorGrant, operator, "short-lived", GrantKeys.generate().getPublic(),
                Grants.scope(List.of(dev.agentmesh.grants.Actions.SCHEDULE_RUNS), List.of("pipeline:nightly"), 1_000L),
                issued.plusSeconds(2), operatorGrant.getMaxDepth());
        try (GrantPublisher publisher = new GrantPublisher(kafka.bootstrapServers(),
                SerdeSettings.kafkaTopicStore(kafka.bootstrapServers()), "principal")) {
            publisher.publish(shortLived);
        }
        MeshServices.sleep(3_000);
        Envelope now = new Envelopes("meshctl", "it").origin("it-back-dated", shortLived.getGrantId());
        Envelope backDated = Envelope.newBuilder(now).setOccurredAt(issued.plusMillis(500)).build();
        publish(RunEvents.triggered(backDated, "nightly", "it", SourceKind.CSV, CREDIT_G.toString(), "credit-g",
                List.of(Stages.ROW_VALIDATION), Map.of()));
        RunState state = awaitTerminal("it-back-dated");
        assertEquals(RunStatus.FAILED, state.status(), () -> String.valueOf(state));
        String reason = state.stages().get(Stages.ROW_VALIDATION).reason();
        assertTrue(reason.startsWith("unauthorised: grant " + shortLived.getGrantId() + " expired"), reason);
    }

    @Test
    @Order(42)
    void oversizedAndPoisonedRecordsTakeNoServiceDownAndAProcessStartedAfterThemWorks() throws Exception {
        int restartsBefore = services.restarts().size();
        byte[] huge = new byte[700 * 1024];
        Arrays.fill(huge, (byte) 7);
        TopicProbe.send(kafka.bootstrapServers(), Topics.RUN_EVENTS.name(), "it-huge".getBytes(), huge);
        TopicProbe.send(kafka.bootstrapServers(), Topics.SCHEMAS.name(), "not-a-schema-id".getBytes(), "{}".getBytes());
        TopicProbe.send(kafka.bootstrapServers(), Topics.GRANTS.name(), "g".getBytes(), "garbage".getBytes());
        // and a battery on every topic of the mesh: no value, empty, not the wire format, an unknown schema id, no key,
        // headers nobody in the mesh wrote (one with no value, a malformed trace context)
        RecordHeaders odd = new RecordHeaders();
        odd.add(MeshHeaders.EVENT_ID, null);
        odd.add(MeshHeaders.TRACE_PARENT, "00-not-a-trace-zz".getBytes());
        for (Topic<?, ?> topic : Topics.ALL) {
            for (byte[] poison : Arrays.asList(null, new byte[0], new byte[]{1, 2, 3, 4, 5, 6, 7},
                    new byte[]{0, 0, 0x0f, 0x42, 0x3f, 9, 9})) {
                TopicProbe.send(kafka.bootstrapServers(), topic.name(), "it-poison".getBytes(), poison);
            }
            TopicProbe.send(kafka.bootstrapServers(), topic.name(), "it-poison".getBytes(), new byte[]{0, 0, 0, 0, 1}, odd);
            if (topic.cleanup() == Topic.Cleanup.DELETE) {
                TopicProbe.send(kafka.bootstrapServers(), topic.name(), null, new byte[]{0, 0, 0, 0, 1, 2});
            }
        }

        // every consumer of the run events dead-letters the huge record by reference; review reports the poison once
        Predicate<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> byReference = r -> r.value() == null
                && "it-huge".equals(TopicProbe.key(r)) && Long.parseLong(TopicProbe.header(r, MeshHeaders.DLQ_SIZE)) >= 700 * 1024;
        List<String> consumers = List.of("run-state", "sweep-orchestrator", "coordinator", "row-validator", "feature-extractor");
        var dead = TopicProbe.readUntil(kafka.bootstrapServers(), Topics.DEAD_LETTER.name(), WAIT, seen ->
                consumers.stream().allMatch(service -> seen.stream().filter(byReference)
                        .anyMatch(r -> service.equals(TopicProbe.header(r, MeshHeaders.DLQ_SERVICE))))
                        && seen.stream().anyMatch(r -> Topics.SCHEMAS.name().equals(TopicProbe.header(r, MeshHeaders.DLQ_TOPIC)))
                        && seen.stream().anyMatch(r -> Topics.GRANTS.name().equals(TopicProbe.header(r, MeshHeaders.DLQ_TOPIC))));
        for (String service : consumers) {
            assertTrue(dead.stream().filter(byReference).anyMatch(r -> service.equals(TopicProbe.header(r, MeshHeaders.DLQ_SERVICE))),
                    service + " dead-lettered the huge record by reference instead of stopping");
        }
        assertTrue(dead.stream().anyMatch(r -> Topics.GRANTS.name().equals(TopicProbe.header(r, MeshHeaders.DLQ_TOPIC))
                && "review".equals(TopicProbe.header(r, MeshHeaders.DLQ_SERVICE))), "review dead-lettered the garbage grant");
        assertTrue(dead.stream().anyMatch(r -> r.value() == null && "run-state".equals(TopicProbe.header(r, MeshHeaders.DLQ_SERVICE))),
                "run-state dead-lettered the huge record by reference instead of stopping");
        var schemaLetter = dead.stream().filter(r -> Topics.SCHEMAS.name().equals(TopicProbe.header(r, MeshHeaders.DLQ_TOPIC)))
                .findFirst().orElseThrow();
        assertEquals("a schema record whose key is no schema id", TopicProbe.header(schemaLetter, MeshHeaders.DLQ_REASON));

        for (String name : MeshServices.SERVICES) {
            if (services.get(name) != null) {
                assertTrue(services.get(name).process().isAlive(), name + " is still running");
            }
        }
        // a process started after the poison reads the schema store and decodes the log
        services.start("trainer", "trainer-3", kafka.bootstrapServers(), PrincipalTools.serviceConfig(KEYS), Duration.ofMinutes(2));
        try {
            startSweep("it-after-poison", grid("after-poison", "[{name: logistic, kind: logistic}]", "[0.1]", "[32]", 3,
                    "{max_concurrency: 2, cell_timeout: PT60S, max_attempts: 1, min_successes: 1, on_partial: fail,"
                            + " mode: gather, cell_cost_estimate_ms: 100}"), 42, sweepGrant("it-after-poison", 600_000));
            assertEquals(RunStatus.COMPLETED, awaitTerminal("it-after-poison").status());
            assertEquals(List.of(), services.restarts().subList(restartsBefore, services.restarts().size()),
                    "no service went down over the poison");
        } finally {
            services.kill("trainer-3");
        }
    }

    @Test
    @Order(43)
    void aRunWhoseStageServiceIsDownIsFlaggedStalledForAPersonAndGoesOnWhenTheServiceIsBack() throws Exception {
        services.kill("feature-extractor");
        RunState stalled;
        try {
            Envelope trigger = new Envelopes("meshctl", "it").origin("it-stalled", operatorGrant.getGrantId());
            publish(RunEvents.triggered(trigger, "nightly", "it", SourceKind.CSV, CREDIT_G.toString(), "credit-g",
                    Stages.INGEST, Map.of()));
            stalled = await("it-stalled", s -> s.status() == RunStatus.STALLED, "flagged as stalled");
        } finally {
            // the service comes back: it takes the hand-off it missed, the run goes on and the flag clears
            services.start("feature-extractor", kafka.bootstrapServers(), PrincipalTools.serviceConfig(KEYS), Duration.ofMinutes(2));
        }
        assertEquals(Stages.FEATURE_EXTRACTION, stalled.stall().stage());
        assertEquals(dev.agentmesh.runstate.StageState.Status.COMPLETED, stalled.stages().get(Stages.ROW_VALIDATION).status(),
                "row validation had finished");
        assertTrue(Duration.between(stalled.lastEventAt(), stalled.stall().at()).compareTo(STALL_AFTER) >= 0,
                stalled.lastEventAt() + " -> " + stalled.stall().at());
        RunState done = awaitTerminal("it-stalled");
        assertEquals(RunStatus.COMPLETED, done.status(), () -> String.valueOf(done));
        assertNull(done.stall());
    }

    @Test
    @Order(44)
    void aSupervisedServiceThatCrashesIsStartedAgainAndTheMeshGoesOn() throws Exception {
        List<String> said = new java.util.concurrent.CopyOnWriteArrayList<>();
        services.supervise(said::add);
        long pid = services.get("publisher").process().pid();
        services.get("publisher").process().destroyForcibly();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (services.restarts().stream().noneMatch(r -> r.name().equals("publisher")) && System.nanoTime() < deadline) {
            MeshServices.sleep(200);
        }
        MeshServices.Restart restart = services.restarts().stream().filter(r -> r.name().equals("publisher")).findFirst()
                .orElseThrow(() -> new AssertionError("publisher not restarted; supervisor said " + said));
        assertNotEquals(pid, services.get("publisher").process().pid());
        assertTrue(said.stream().anyMatch(m -> m.startsWith("supervisor: publisher exited")), said.toString());
        System.out.println("publisher restarted, ready " + restart.downFor().toMillis() + " ms after it died");
        var state = new com.fasterxml.jackson.databind.ObjectMapper().readTree(WORK.resolve(MeshServices.STATE_FILE).toFile());
        assertTrue(java.util.stream.StreamSupport.stream(state.path("services").spliterator(), false)
                .anyMatch(s -> s.path("name").asText().equals("publisher") && s.path("restarts").asInt() == 1
                        && s.path("pid").asLong() != pid), state.toString());

        Envelope trigger = new Envelopes("meshctl", "it").origin("it-after-restart", operatorGrant.getGrantId());
        publish(RunEvents.triggered(trigger, "nightly", "it", SourceKind.CSV, CREDIT_G.toString(), "credit-g",
                Stages.INGEST, Map.of()));
        assertEquals(RunStatus.COMPLETED, awaitTerminal("it-after-restart").status());
    }

    @Test
    @Order(45)
    void everyMetricTheDashboardChartsIsOneTheServicesExpose() throws Exception {
        Set<String> exposed = new TreeSet<>();
        HttpClient http = HttpClient.newHttpClient();
        for (String name : services.names()) {
            String body = http.send(HttpRequest.newBuilder(URI.create(services.get(name).url() + "/q/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            body.lines().filter(l -> !l.startsWith("#") && !l.isBlank())
                    .map(l -> l.split("[{ ]", 2)[0]).forEach(exposed::add);
        }
        JsonNode dashboard = new ObjectMapper().readTree(ROOT.resolve("deploy/grafana/agent-mesh-dashboard.json").toFile());
        Set<String> charted = new TreeSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                Matcher m = Pattern.compile("\\b((?:mesh|kafka)_[a-z0-9_]+)\\b").matcher(target.path("expr").asText());
                while (m.find()) {
                    charted.add(m.group(1));
                }
            }
        }
        assertTrue(charted.size() >= 15, "the dashboard charts the mesh: " + charted);
        Set<String> missing = new TreeSet<>(charted);
        missing.removeAll(exposed);
        assertEquals(Set.of(), missing, "charted but exposed by no service; exposed: "
                + exposed.stream().filter(n -> n.startsWith("mesh_")).toList());
    }

    @Test
    @Order(46)
    void counterfactualReplayWithAStricterGatePolicyListsTheRunsItWouldDecideDifferentlyAndExitsNonZero() throws Exception {
        List<RunState> gated = new ArrayList<>();
        for (Map<String, Object> run : runState.list()) {
            runState.get(String.valueOf(run.get("runId"))).filter(s -> s.gate() != null && s.gate().decision() != null)
                    .ifPresent(gated::add);
        }
        List<RunState> three = new ArrayList<>(gated.stream().filter(s -> s.gate().decision().disposition().equals("SHIP")).limit(1).toList());
        gated.stream().filter(s -> !three.contains(s)).limit(3 - three.size()).forEach(three::add);
        assertEquals(3, three.size(), "three decided runs, one of them shipped: " + gated.size() + " decided");
        Path strict = WORK.resolve("strict-gate.yaml");
        Files.writeString(strict, "name: strict\nspecialists: [model-quality, risk-fairness, cost, deployment-engineer, security-review]\n"
                + "assessment_timeout: PT60S\nreturn_when:\n  any_block: true\n  concerns_at_least: 2\n");

        MeshFlowIT.Result result = MeshFlowIT.meshctlResult("replay", "counterfactual", "coordinator", "--runs",
                String.join(",", three.stream().map(RunState::runId).toList()), "--with", "gate-policy=" + strict,
                "--bootstrap", kafka.bootstrapServers());
        List<String> shipped = three.stream().filter(s -> s.gate().decision().disposition().equals("SHIP")).map(RunState::runId).toList();
        assertEquals(1, result.exit(), "a changed decision fails the release gate: " + result);
        for (RunState run : three) {
            String line = result.out().lines().filter(l -> l.startsWith(run.runId())).findFirst().orElseThrow(() -> new AssertionError(result.out()));
            if (shipped.contains(run.runId())) {
                assertTrue(line.contains("RETURN_TO_PRINCIPAL") && line.contains("no assessment from security-review"), line);
            } else {
                assertTrue(line.contains("(same)"), "a run already returned stays returned: " + line);
            }
        }
        assertTrue(result.out().contains(shipped.size() + " of 3 decided run(s) would be decided differently"), result.out());
        MeshFlowIT.Result tolerated = MeshFlowIT.meshctlResult("replay", "counterfactual", "coordinator", "--runs",
                String.join(",", three.stream().map(RunState::runId).toList()), "--with", "gate-policy=" + strict,
                "--tolerate", "3", "--bootstrap", kafka.bootstrapServers());
        assertEquals(0, tolerated.exit(), tolerated.toString());
    }

    @Test
    @Order(47)
    void aShadowRiskFairnessReportsWhereItDisagreesAndNothingItComputedWasActedOn() throws Exception {
        MeshFlowIT.Result report = MeshFlowIT.meshctlResult("shadow", "report", "--role", "risk-fairness", "--version",
                SHADOW_VERSION, "--bootstrap", kafka.bootstrapServers());
        assertEquals(0, report.exit(), report.toString());
        Matcher paired = Pattern.compile("risk-fairness strict in shadow: (\\d+) answer\\(s\\) paired with production's, (\\d+) agree")
                .matcher(report.out());
        assertTrue(paired.find(), report.out());
        assertTrue(Integer.parseInt(paired.group(1)) >= 3, "the shadow answered every gate beside production: " + report.out());
        assertTrue(Integer.parseInt(paired.group(2)) < Integer.parseInt(paired.group(1)), "its stricter thresholds disagree: " + report.out());
        assertTrue(report.out().contains("DISAGREEMENTS") && report.out().lines().anyMatch(l -> l.contains(" APPROVE ")
                && (l.contains(" CONCERN ") || l.contains(" BLOCK "))), report.out());

        List<RunEvent> live = new ArrayList<>();
        for (var r : TopicProbe.readUntil(kafka.bootstrapServers(), Topics.RUN_EVENTS.name(), Duration.ofSeconds(3), seen -> false)) {
            try {
                live.add(events.decode(r.value()));
            } catch (RuntimeException hostile) {
                // the poisoned records earlier tests planted
            }
        }
        assertEquals(List.of(), live.stream().filter(e -> e.getEnvelope().getAgentInstance().startsWith(SHADOW))
                .map(e -> e.getEnvelope().getEventId()).toList(), "nothing the shadow computed is on the live topic");
        Map<String, Long> deployments = live.stream().filter(e -> e.getPayload() instanceof ModelDeployed)
                .collect(Collectors.groupingBy(e -> e.getEnvelope().getRunId(), Collectors.counting()));
        assertTrue(deployments.values().stream().allMatch(n -> n == 1), "one deployment per shipped run: " + deployments);
    }
}
