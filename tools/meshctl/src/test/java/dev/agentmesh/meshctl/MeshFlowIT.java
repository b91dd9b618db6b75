package dev.agentmesh.meshctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.GrantKeys;
import dev.agentmesh.grants.Grants;
import dev.agentmesh.grants.Resources;
import dev.agentmesh.kafka.GrantPublisher;
import dev.agentmesh.serde.SerdeSettings;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import java.security.KeyPair;
import java.time.Instant;
import java.util.Set;
import java.util.stream.Collectors;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.embedded.EmbeddedKafka;
import dev.agentmesh.review.ReviewAction;
import dev.agentmesh.review.ReviewActionKind;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunTriggered;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SchemaStore;
import dev.agentmesh.testing.TopicProbe;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The walking skeleton across real processes: one embedded broker in this JVM, row-validator and run-state
 * each in its own JVM, and meshctl in yet another. Nothing is shared but the broker.
 */
class MeshFlowIT {

    static final Path ROOT = MeshServices.repoRoot();
    static final Path CREDIT_G = ROOT.resolveSibling("shared").resolve("data").resolve("credit-g.csv");
    static final Duration WAIT = Duration.ofSeconds(90);

    static final Path KEYS = ROOT.resolve("tools/meshctl/target/it-keys-" + ProcessHandle.current().pid());
    static EmbeddedKafka kafka;
    static String grant;
    static MeshServices services;
    static RunStateClient runState;

    @BeforeAll
    static void startMesh() throws Exception {
        kafka = EmbeddedKafka.start();
        services = new MeshServices(ROOT, ROOT.resolve("tools/meshctl/target/it-" + ProcessHandle.current().pid()));
        java.util.Map<String, java.util.Map<String, String>> config = new java.util.HashMap<>(MeshServices.INGEST_SERVICES.stream()
                .collect(java.util.stream.Collectors.toMap(s -> s, s -> PrincipalTools.serviceConfig(KEYS))));
        config.put(REVIEW, PrincipalTools.reviewConfig(KEYS, kafka.bootstrapServers()));
        // this IT runs the services with the OpenTelemetry SDK on, exporting to a receiver in this JVM
        traces = new OtlpReceiver();
        config.replaceAll((service, own) -> {
            java.util.Map<String, String> traced = new java.util.HashMap<>(own);
            traced.put("quarkus.otel.sdk.disabled", "false");
            traced.put("quarkus.otel.exporter.otlp.traces.endpoint", traces.endpoint());
            traced.put("quarkus.otel.exporter.otlp.traces.protocol", "http/protobuf");
            traced.put("quarkus.otel.bsp.schedule.delay", "PT0.2S");
            return traced;
        });
        // The publisher writes datasets to an S3-compatible store (S3Proxy, in this JVM); the rest read them from there.
        s3 = dev.agentmesh.testing.EmbeddedS3.start("it-artifacts");
        java.util.Map<String, String> s3Config = java.util.Map.of("mesh.artifacts.s3.bucket", s3.bucket(),
                "mesh.artifacts.s3.endpoint", s3.endpoint(), "mesh.artifacts.s3.access-key", dev.agentmesh.testing.EmbeddedS3.ACCESS_KEY,
                "mesh.artifacts.s3.secret-key", dev.agentmesh.testing.EmbeddedS3.SECRET_KEY);
        java.util.Map<String, String> publisher = new java.util.HashMap<>(config.get("publisher"));
        publisher.putAll(s3Config);
        config.put("publisher", publisher);
        dev.agentmesh.artifacts.Artifacts.register(new dev.agentmesh.artifacts.s3.S3ArtifactStore(
                new dev.agentmesh.artifacts.s3.S3ArtifactStore.Settings(s3.endpoint(), s3.bucket(), "us-east-1",
                        dev.agentmesh.testing.EmbeddedS3.ACCESS_KEY, dev.agentmesh.testing.EmbeddedS3.SECRET_KEY, true),
                ROOT.resolve("tools/meshctl/target/it-s3-cache-" + ProcessHandle.current().pid())));
        java.util.List<String> started = new java.util.ArrayList<>(MeshServices.INGEST_SERVICES);
        started.add(REVIEW);
        services.startAll(started, kafka.bootstrapServers(), config, Duration.ofMinutes(3));
        grant = PrincipalTools.issueNightlyGrant(kafka.bootstrapServers(), KEYS).getGrantId();
        runState = new RunStateClient(services.get("run-state").url());
    }

    @AfterAll
    static void stopMesh() throws Exception {
        services.close();
        kafka.close();
        s3.close();
        traces.close();
    }

    static final String REVIEW = "review";
    static OtlpReceiver traces;
    static dev.agentmesh.testing.EmbeddedS3 s3;

    /** Stage 1 only: the sweep and later stages have their own ITs. */
    static final String INGEST = String.join(",", dev.agentmesh.core.Stages.INGEST);

    /** Runs meshctl as its own process, the way a person does. */
    static String meshctl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", ROOT.resolve("tools/meshctl/target/meshctl.jar").toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "meshctl did not finish");
        assertEquals(0, process.exitValue(), "meshctl " + String.join(" ", args));
        return new String(out, StandardCharsets.UTF_8).trim();
    }

    /** A meshctl command's exit code, standard output and standard error. */
    static String[] concat(String[] first, String[] then) {
        String[] all = Arrays.copyOf(first, first.length + then.length);
        System.arraycopy(then, 0, all, first.length, then.length);
        return all;
    }

    record Result(int exit, String out, String err) {
    }

    static Result meshctlResult(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", ROOT.resolve("tools/meshctl/target/meshctl.jar").toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "meshctl did not finish");
        return new Result(process.exitValue(), out, err.join());
    }

    @Test
    void triggerRefusesAtTheDoorWhatWouldFailTheRunAndPublishesNothing() throws Exception {
        Path dir = ROOT.resolve("tools/meshctl/target/it-" + ProcessHandle.current().pid()).resolve("door");
        Files.createDirectories(dir);
        Path empty = Files.writeString(dir.resolve("empty.csv"), "");
        Map<String, List<String>> cases = new java.util.LinkedHashMap<>();
        cases.put("it-door-missing", List.of("--source", dir.resolve("missing.csv").toString()));
        cases.put("it-door-contract", List.of("--source", CREDIT_G.toString(), "--contract", "no-such-contract"));
        cases.put("it-door-header", List.of("--source", CREDIT_G.toString(), "--contract", "transactions"));
        cases.put("it-door-empty", List.of("--source", empty.toString()));
        cases.put("it-door-stage", List.of("--source", CREDIT_G.toString(), "--stage", "row-validation,polishing"));
        Map<String, String> expected = Map.of("it-door-missing", "no file ", "it-door-contract",
                "no data contract named 'no-such-contract'", "it-door-header", "does not match contract transactions",
                "it-door-empty", "is empty", "it-door-stage", "unknown stage 'polishing'");
        for (var c : cases.entrySet()) {
            List<String> args = new ArrayList<>(List.of("trigger", "--bootstrap", kafka.bootstrapServers(), "--run-id", c.getKey(),
                    "--grant", grant));
            args.addAll(c.getValue());
            Result result = meshctlResult(args.toArray(String[]::new));
            assertEquals(2, result.exit(), c.getKey() + ": " + result);
            assertTrue(result.err().contains("run not triggered") && result.err().contains(expected.get(c.getKey())),
                    c.getKey() + ": " + result.err());
            assertEquals("", result.out(), "no run id printed");
        }
        var events = TopicProbe.readUntil(kafka.bootstrapServers(), Topics.RUN_EVENTS.name(), Duration.ofSeconds(3), seen -> false);
        assertTrue(events.stream().noneMatch(r -> new String(r.key(), StandardCharsets.UTF_8).startsWith("it-door-")),
                "nothing was published for a refused trigger");

        Result check = meshctlResult("contracts", "check", "--contract", "credit-g", "--source", CREDIT_G.toString());
        assertEquals(0, check.exit(), check.toString());
        assertTrue(check.out().contains("1000 rows, 1000 valid, 0 would be rejected"), check.out());
        Result mismatch = meshctlResult("contracts", "check", "--contract", "transactions", "--source", CREDIT_G.toString());
        assertEquals(2, mismatch.exit(), mismatch.toString());
    }

    @Test
    void grantsIssueSaysWhatTheLedgerDecidesAndAChildExpiresWithItsParent() throws Exception {
        Result child = meshctlResult("grants", "issue", "--bootstrap", kafka.bootstrapServers(), "--keys-dir", KEYS.toString(),
                "--parent", grant, "--grantee", "it-child", "--action", "spend-compute", "--resource", "run:*");
        assertEquals(0, child.exit(), child.toString());
        assertTrue(child.out().matches("[0-9a-f-]{36}"), "the new grant's id: " + child.out());

        Result wider = meshctlResult("grants", "issue", "--bootstrap", kafka.bootstrapServers(), "--keys-dir", KEYS.toString(),
                "--parent", grant, "--grantee", "it-wider", "--action", "review", "--resource", "run:*");
        assertEquals(2, wider.exit(), wider.toString());
        assertTrue(wider.err().contains("the ledger refuses it: widens actions"), wider.err());
        assertEquals("", wider.out(), "no id for a grant that was not issued");

        Result longer = meshctlResult("grants", "issue", "--bootstrap", kafka.bootstrapServers(), "--keys-dir", KEYS.toString(),
                "--parent", grant, "--grantee", "it-longer", "--action", "spend-compute", "--resource", "run:*",
                "--expires-in", "P30D");
        assertEquals(2, longer.exit(), longer.toString());
        assertTrue(longer.err().contains("widens expiry"), longer.err());

        Result unknown = meshctlResult("watch", "it-no-such-run", "--run-state-url", services.get("run-state").url());
        assertEquals(2, unknown.exit(), unknown.toString());
        assertTrue(unknown.err().contains("knows no run it-no-such-run") && !unknown.err().contains("Exception"), unknown.err());
    }

    @Test
    void rowsPublishedAsABatchRunAsATopicSourceAndACompletedRunIsNeitherResumedNorDecidedByAccident() throws Exception {
        String published = meshctl("rows", "publish", "--bootstrap", kafka.bootstrapServers(), "--csv", CREDIT_G.toString(),
                "--batch", "it-batch");
        assertTrue(published.startsWith("published 1000 rows to mesh.rows.raw as batch it-batch"), published);
        meshctl("trigger", "--bootstrap", kafka.bootstrapServers(), "--source-kind", "TOPIC", "--source",
                "mesh.rows.raw?key=it-batch", "--run-id", "it-topic", "--grant", grant, "--stage", INGEST);
        RunState done = awaitTerminal("it-topic");
        assertEquals(RunStatus.COMPLETED, done.status(), done::toString);
        assertEquals(1000L, done.dataset().counts().get("rows.out"));
        String url = services.get("run-state").url();
        String shown = meshctl("runs", "show", "it-topic", "--run-state-url", url);
        assertTrue(shown.startsWith("run it-topic: COMPLETED") && shown.contains("row-validation"), shown);
        assertEquals("it-topic", JSON.readTree(meshctl("runs", "show", "it-topic", "-o", "json", "--run-state-url", url))
                .path("runId").asText());

        Result resume = meshctlResult("runs", "resume", "it-topic", "--from", "publish", "--bootstrap", kafka.bootstrapServers());
        assertEquals(2, resume.exit(), resume.toString());
        assertTrue(resume.err().contains("it completed") && resume.err().contains("--force"), resume.err());
        Result decide = meshctlResult("runs", "decide", "it-topic", "approve", "--reason", "by mistake",
                "--bootstrap", kafka.bootstrapServers(), "--keys-dir", KEYS.toString());
        assertEquals(2, decide.exit(), decide.toString());
        assertTrue(decide.err().contains("is COMPLETED, not waiting for the principal"), decide.err());
        MeshServices.sleep(1_000);
        assertEquals(done.eventCount(), runState.get("it-topic").orElseThrow().eventCount(), "nothing was published");
    }

    static RunState awaitTerminal(String runId) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<RunState> state = runState.poll(runId);
            if (state.isPresent() && state.get().status().terminal()) {
                return state.get();
            }
            MeshServices.sleep(250);
        }
        fail("run " + runId + " not finished within " + WAIT + "; last: " + runState.get(runId));
        return null;
    }

    @Test
    void aTriggerFromTheCliBecomesCompletedRunStateOverRest() throws Exception {
        assertTrue(Files.isRegularFile(CREDIT_G), CREDIT_G + " missing");
        String runId = meshctl("trigger", "--bootstrap", kafka.bootstrapServers(), "--source", CREDIT_G.toString(),
                "--run-id", "it-run-1", "--requested-by", "it", "--grant", grant, "--stage", INGEST);
        assertEquals("it-run-1", runId);

        RunState state = awaitTerminal(runId);
        assertEquals(RunStatus.COMPLETED, state.status());
        assertEquals("it", state.requestedBy());
        assertEquals(1000L, state.stages().get("row-validation").counts().get("rows.in"));
        assertEquals(1000L, state.stages().get("row-validation").counts().get("rows.out"));
        assertEquals(List.of("feature-extraction", "publish", "row-validation", "schema-check"),
                List.copyOf(state.stages().keySet()));
        assertEquals(1000L, state.stages().get("feature-extraction").counts().get("rows.out"));
        assertTrue(state.stages().get("schema-check").audit().get("schema.check").startsWith("passed"));
        assertNotNull(state.dataset(), "the dataset is announced");
        assertTrue(state.dataset().checksum().startsWith("sha256:"));
        assertEquals(1000L, state.dataset().counts().get("rows.out"));
        assertEquals("s3://it-artifacts/datasets/it-run-1/", state.dataset().location(), "published to the configured S3 store");
        java.util.List<java.nio.file.Path> splits = java.util.Arrays.stream(dev.agentmesh.data.Split.values())
                .map(sp -> dev.agentmesh.artifacts.Artifacts.local(state.dataset().splits().get(sp.name().toLowerCase()))).toList();
        assertEquals(state.dataset().checksum(), dev.agentmesh.dataset.DatasetWriter.checksum(splits),
                "the bytes in the bucket are the bytes announced");
        assertEquals(10, state.eventCount(), "trigger, 4 x (started, completed), dataset published");

        String listed = meshctl("runs", "list", "--run-state-url", services.get("run-state").url());
        assertTrue(listed.lines().anyMatch(l -> l.startsWith("it-run-1") && l.contains("COMPLETED")), listed);

        String watched = meshctl("watch", "it-run-1", "--run-state-url", services.get("run-state").url(), "--timeout", "PT30S");
        assertTrue(watched.contains("[####################] 4/4 stages  COMPLETED"), watched);
        assertTrue(watched.contains("run it-run-1: COMPLETED"), "then the summary: " + watched);
    }

    @Test
    void aForgedGrantWrittenStraightToTheTopicIsRefusedAndAuthorisesNothing() throws Exception {
        KeyPair mallory = GrantKeys.generate();
        GrantIssued forged = Grants.root(mallory, "principal", "mallory", mallory.getPublic(),
                Grants.scope(List.of(Actions.SCHEDULE_RUNS), List.of("*"), null), Instant.now().plusSeconds(3600), 3);
        try (GrantPublisher publisher = new GrantPublisher(kafka.bootstrapServers(),
                SerdeSettings.kafkaTopicStore(kafka.bootstrapServers()), "mallory")) {
            publisher.publish(forged);
        }
        String listed = meshctl("grants", "list", "--bootstrap", kafka.bootstrapServers(), "--keys-dir", KEYS.toString());
        assertTrue(listed.lines().anyMatch(l -> l.startsWith(forged.getGrantId())
                && l.contains("REFUSED: root grant not signed by the principal")), listed);
        assertTrue(listed.lines().anyMatch(l -> l.startsWith(grant) && l.endsWith("VALID")), listed);

        meshctl("trigger", "--bootstrap", kafka.bootstrapServers(), "--source", CREDIT_G.toString(),
                "--run-id", "it-forged", "--grant", forged.getGrantId(), "--stage", INGEST);
        RunState state = awaitTerminal("it-forged");
        assertEquals(RunStatus.FAILED, state.status());
        assertTrue(state.stages().get("row-validation").reason().contains("root grant not signed by the principal"),
                state.stages().get("row-validation").reason());
        assertTrue(state.stages().get("row-validation").counts().isEmpty(), "no rows were processed");
    }

    @Test
    void oneRunIsOneTraceAcrossEveryServiceThatHandledIt() throws Exception {
        meshctl("trigger", "--bootstrap", kafka.bootstrapServers(), "--source", CREDIT_G.toString(), "--run-id", "it-trace",
                "--grant", grant, "--stage", INGEST);
        awaitTerminal("it-trace");
        MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(kafka.bootstrapServers()));
        List<ConsumerRecord<byte[], byte[]>> run = TopicProbe.readUntil(kafka.bootstrapServers(), Topics.RUN_EVENTS.name(),
                        WAIT, seen -> seen.stream().filter(r -> "it-trace".equals(new String(r.key()))).count() >= 10)
                .stream().filter(r -> "it-trace".equals(new String(r.key()))).toList();
        String traceId = dev.agentmesh.core.Traces.traceId("it-trace");
        java.util.Set<String> roles = new java.util.TreeSet<>();
        for (ConsumerRecord<byte[], byte[]> r : run) {
            RunEvent e = codec.decode(r.value());
            List<String> headers = new java.util.ArrayList<>();
            r.headers().headers(dev.agentmesh.core.MeshHeaders.TRACE_PARENT)
                    .forEach(h -> headers.add(new String(h.value(), StandardCharsets.UTF_8)));
            assertFalse(headers.isEmpty(), "no traceparent header on " + e.getPayload().getClass().getSimpleName() + " from "
                    + e.getEnvelope().getAgentRole());
            assertEquals(1, headers.size(), "exactly one traceparent on " + e.getPayload().getClass().getSimpleName()
                    + " from " + e.getEnvelope().getAgentRole() + ": " + headers);
            headers.forEach(h -> assertEquals(traceId, dev.agentmesh.core.Traces.traceIdOf(h), "one run, one trace"));
            roles.add(e.getEnvelope().getAgentRole());
        }
        assertEquals(java.util.Set.of("meshctl", "row-validator", "feature-extractor", "schema-checker", "publisher"), roles,
                "the run's trace spans the CLI and every stage-1 service");
        assertEquals(run.size(), run.stream().map(r -> codec.decode(r.value()).getEnvelope().getTraceParent()).distinct().count(),
                "each event is its own span");

        // with the SDK on, the spans the services export: the run's one trace, across services, with messaging spans
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<OtlpReceiver.Received> spans = List.of();
        java.util.Set<String> services = java.util.Set.of();
        while (System.nanoTime() < deadline) {
            spans = traces.spans().stream().filter(span -> traceId.equals(span.traceId())).toList();
            services = spans.stream().map(OtlpReceiver.Received::service).collect(Collectors.toCollection(java.util.TreeSet::new));
            if (services.containsAll(java.util.Set.of("row-validator", "feature-extractor", "schema-checker", "publisher"))) {
                break;
            }
            MeshServices.sleep(250);
        }
        assertTrue(services.containsAll(java.util.Set.of("row-validator", "feature-extractor", "schema-checker", "publisher")),
                "services with spans in the run's trace: " + services + " (" + traces.spans().size() + " spans received in " + traces.requests() + ")");
        List<OtlpReceiver.Received> messaging = spans.stream()
                .filter(span -> "kafka".equals(span.attributes().get("messaging.system"))
                        && Topics.RUN_EVENTS.name().equals(span.attributes().get("messaging.destination.name"))).toList();
        assertTrue(messaging.stream().anyMatch(span -> span.kind().equals("SPAN_KIND_PRODUCER"))
                        && messaging.stream().anyMatch(span -> span.kind().equals("SPAN_KIND_CONSUMER")),
                "producer and consumer spans on mesh.run-events with the messaging attributes: " + spans);
    }

    @Test
    void recordsWrittenByOneProcessAreReadByOthersWithTheSameSchemaId() throws Exception {
        meshctl("trigger", "--bootstrap", kafka.bootstrapServers(), "--source", CREDIT_G.toString(), "--run-id", "it-run-2", "--grant", grant, "--stage", INGEST);
        awaitTerminal("it-run-2");

        long expectedId = SchemaStore.idFor(RunEvent.getClassSchema().toString());
        MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(kafka.bootstrapServers()));
        List<ConsumerRecord<byte[], byte[]>> records = TopicProbe.readUntil(kafka.bootstrapServers(), Topics.RUN_EVENTS.name(),
                WAIT, seen -> seen.stream().filter(r -> "it-run-2".equals(new String(r.key()))).count() >= 10);
        List<ConsumerRecord<byte[], byte[]>> run = records.stream().filter(r -> "it-run-2".equals(new String(r.key()))).toList();
        assertEquals(10, run.size());
        for (ConsumerRecord<byte[], byte[]> r : run) {
            assertEquals(0, r.value()[0], "magic byte");
            assertEquals(expectedId, ByteBuffer.wrap(r.value(), 1, 4).getInt(), "schema id");
        }
        List<RunEvent> decoded = run.stream().map(r -> codec.decode(r.value())).toList();
        assertEquals("meshctl", decoded.get(0).getEnvelope().getAgentRole(), "written by the meshctl process");
        assertInstanceOf(RunTriggered.class, decoded.get(0).getPayload());
        assertTrue(decoded.stream().anyMatch(e -> e.getEnvelope().getAgentRole().equals("row-validator")
                && e.getPayload() instanceof StageCompleted), "written by the row-validator process");
        assertTrue(decoded.stream().anyMatch(e -> e.getEnvelope().getAgentRole().equals("publisher")
                && e.getPayload() instanceof StageCompleted), "written by the publisher process");

        List<ConsumerRecord<byte[], byte[]>> schemas = TopicProbe.readUntil(kafka.bootstrapServers(), Topics.SCHEMAS.name(),
                Duration.ofSeconds(5), seen -> false);
        assertTrue(schemas.stream().anyMatch(r -> Long.parseLong(new String(r.key())) == expectedId),
                "the schema is in the shared store topic");
    }

    @Test
    void malformedBytesAreDeadLetteredByEveryConsumerAndTheMeshCarriesOn() throws Exception {
        byte[] garbage = "\u0000garbage".getBytes(StandardCharsets.UTF_8);
        TopicProbe.send(kafka.bootstrapServers(), Topics.RUN_EVENTS.name(), "it-run-3".getBytes(), garbage);
        meshctl("trigger", "--bootstrap", kafka.bootstrapServers(), "--source", CREDIT_G.toString(), "--run-id", "it-run-3", "--grant", grant, "--stage", INGEST);
        assertEquals(RunStatus.COMPLETED, awaitTerminal("it-run-3").status());

        List<ConsumerRecord<byte[], byte[]>> dead = TopicProbe.readUntil(kafka.bootstrapServers(), Topics.DEAD_LETTER.name(),
                WAIT, seen -> seen.stream().filter(r -> Arrays.equals(garbage, r.value())).count() >= MeshServices.INGEST_SERVICES.size());
        List<ConsumerRecord<byte[], byte[]>> ours = dead.stream().filter(r -> Arrays.equals(garbage, r.value())).toList();
        assertEquals(MeshServices.INGEST_SERVICES.size(), ours.size(),
                "one from each consumer of run events: four SmallRye DLQs and run-state's Streams handler");
        for (ConsumerRecord<byte[], byte[]> r : ours) {
            assertEquals(Topics.RUN_EVENTS.name(), TopicProbe.header(r, MeshHeaders.DLQ_TOPIC));
            assertNotNull(TopicProbe.header(r, MeshHeaders.DLQ_REASON));
            assertNotNull(TopicProbe.header(r, MeshHeaders.DLQ_OFFSET));
            assertNotNull(TopicProbe.header(r, MeshHeaders.DLQ_PARTITION));
        }
    }

    @Test
    void aRunThatFailedAtRowValidationResumesFromThatStageOnceItsInputArrives() throws Exception {
        Path late = ROOT.resolve("tools/meshctl/target/it-" + ProcessHandle.current().pid() + "/late/credit-g.csv");
        meshctl("trigger", "--bootstrap", kafka.bootstrapServers(), "--source", late.toString(), "--run-id", "it-resume",
                "--grant", grant, "--stage", INGEST, "--skip-source-check");
        RunState failed = awaitTerminal("it-resume");
        assertEquals(RunStatus.FAILED, failed.status());
        assertEquals(1, failed.stages().get("row-validation").attempt());
        Result early = meshctlResult("runs", "resume", "it-resume", "--from", "row-validation", "--bootstrap",
                kafka.bootstrapServers());
        assertEquals(DoorChecks.REFUSED, early.exit(), "the source is still missing: refused at the door " + early);
        assertTrue(early.err().contains(late.toString()), early.err());

        Files.createDirectories(late.getParent());
        Files.copy(CREDIT_G, late);
        String url = services.get("run-state").url();
        String out = meshctl("runs", "resume", "it-resume", "--from", "row-validation", "--bootstrap", kafka.bootstrapServers(),
                "--run-state-url", url);
        assertTrue(out.contains("resumed run it-resume from row-validation as attempt 2"), out);
        assertTrue(out.contains("run-state shows run it-resume under way again"), "resume waits for run-state to show it: " + out);
        String watched = meshctl("watch", "it-resume", "--run-state-url", url, "--timeout", "PT90S");
        assertTrue(watched.contains("COMPLETED"), "a watch right after the resume follows the new attempt to its end: " + watched);
        long deadline = System.nanoTime() + WAIT.toNanos();
        RunState state = failed;
        while (state.status() != RunStatus.COMPLETED && System.nanoTime() < deadline) {
            MeshServices.sleep(250);
            state = runState.get("it-resume").orElseThrow();
        }
        assertEquals(RunStatus.COMPLETED, state.status(), state::toString);
        assertEquals(2, state.stages().get("row-validation").attempt(), "the new attempt decides the stage");
        assertEquals(2, state.stages().get("publish").attempt(), "and the stages after it ran as that attempt");
        assertEquals(1000L, state.dataset().counts().get("rows.out"));

        String reliability = meshctl("runs", "reliability", "--window", "100", "--run-state-url", url);
        Matcher rowValidation = Pattern.compile("row-validation\\s+row-validator\\s+(\\d+)/(\\d+)").matcher(reliability);
        assertTrue(rowValidation.find(), reliability);
        assertTrue(Long.parseLong(rowValidation.group(1)) < Long.parseLong(rowValidation.group(2)),
                "the resumed run's row validation is not a first-attempt success: " + reliability);
        assertTrue(reliability.contains("end to end, predicted") && reliability.contains("end to end, measured"), reliability);
    }

    // ---- review: dead letters and returned runs ----

    /** credit-g with the age of data row {@code badRow} (0-based) replaced by text. */
    static Path plantedAge(String name, int badRow) throws IOException {
        List<String> lines = Files.readAllLines(CREDIT_G);
        String[] cells = lines.get(badRow + 1).split(",", -1);
        cells[12] = "abc";
        lines.set(badRow + 1, String.join(",", cells));
        Path file = ROOT.resolve("tools/meshctl/target/it-" + ProcessHandle.current().pid()).resolve("review").resolve(name + ".csv");
        Files.createDirectories(file.getParent());
        Files.write(file, lines);
        return file;
    }

    static java.net.http.HttpResponse<String> review(String method, String path, String user, String password, String body)
            throws Exception {
        java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(services.get(REVIEW).url() + path)).header("Accept", "application/json");
        if (user != null) {
            request.header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                    (user + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
        request.method(method, body == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
                : java.net.http.HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return java.net.http.HttpClient.newHttpClient().send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** The review item of run {@code runId}'s rejected row, once the review service has folded it. */
    static com.fasterxml.jackson.databind.JsonNode reviewItemOf(String runId) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            var items = JSON.readTree(review("GET", "/api/items", "alice", "alice-principal", null).body());
            for (var item : items) {
                if (runId.equals(item.path("runId").asText()) && item.path("kind").asText().equals("DEAD_LETTER")) {
                    return item;
                }
            }
            MeshServices.sleep(300);
        }
        return fail("no review item for run " + runId);
    }

    static long validatedCopies(String runId, long rowIndex) {
        MeshCodec<dev.agentmesh.data.DataRow> rows = new MeshCodec<>(Topics.ROWS_VALIDATED, SerdeSettings.kafkaTopicStore(kafka.bootstrapServers()));
        return TopicProbe.readUntil(kafka.bootstrapServers(), Topics.ROWS_VALIDATED.name(), Duration.ofSeconds(5), seen -> false)
                .stream().filter(r -> runId.equals(new String(r.key()))).map(r -> rows.decode(r.value()))
                .filter(r -> r.getRowIndex() == rowIndex).count();
    }

    @Test
    void aBadRowIsReviewedFixedAndReDrivenAndAppliesOnceEvenWhenReDrivenTwice() throws Exception {
        Path csv = plantedAge("review-api", 4);
        meshctl("trigger", "--bootstrap", kafka.bootstrapServers(), "--source", csv.toString(), "--run-id", "it-review",
                "--grant", grant, "--stage", "row-validation");
        RunState validated = awaitTerminal("it-review");
        assertEquals(1L, validated.stages().get("row-validation").counts().get("rows.rejected"));

        var item = reviewItemOf("it-review");
        String id = item.path("id").asText();
        assertTrue(item.path("reason").asText().contains("age"), item.toString());
        assertEquals("row-validator", item.path("agent").asText());
        assertEquals("DataRow", item.path("payloadType").asText());
        assertTrue(item.path("originalTopic").asText().startsWith("csv:"), item.toString());
        assertEquals("4", item.path("originalOffset").asText(), "the row's position in its file");
        assertTrue(item.path("headers").has("dead-letter-reason"));

        assertEquals(401, review("GET", "/api/items", null, null, null).statusCode(), "reading needs a login");
        assertEquals(401, review("GET", "/api/items", "alice", "wrong", null).statusCode());
        assertEquals(403, review("POST", "/api/runs/it-review/decide", "bob", "bob-reviewer",
                "{\"decision\":\"approve\",\"reason\":\"looks fine\"}").statusCode(), "only the principal decides");
        assertEquals(400, review("POST", "/api/items/" + id + "/redrive", "bob", "bob-reviewer",
                JSON.writeValueAsString(java.util.Map.of("reason", "bad edit", "payload", "{\"not\": \"a DataRow\"}"))).statusCode(),
                "an edit is parsed against the schema before anything is sent");

        // age is sensitive in credit-g's contract: the reviewer sees it masked and types the corrected value over the mask
        String fixed = withAge(item.path("payloadJson").asText(), "35");
        var first = review("POST", "/api/items/" + id + "/redrive", "bob", "bob-reviewer",
                JSON.writeValueAsString(java.util.Map.of("reason", "age typo, checked with the applicant", "payload", fixed)));
        assertEquals(200, first.statusCode(), first.body());
        RunState applied = await("it-review", s -> s.redrivenRows().containsKey("4"));
        assertTrue(applied.redrivenRows().get("4").valid(), applied.redrivenRows().toString());
        assertEquals(1, validatedCopies("it-review", 4), "the fixed row went on once");

        var second = review("POST", "/api/items/" + id + "/redrive", "alice", "alice-principal",
                JSON.writeValueAsString(java.util.Map.of("reason", "again, by mistake", "payload", fixed)));
        assertEquals(200, second.statusCode(), second.body());
        assertEquals(1, JSON.readTree(second.body()).path("previousRedrives").asInt(), "review says it was re-driven before");
        String[] login = {"--review-url", services.get(REVIEW).url(), "--user", "bob", "--password", "bob-reviewer"};
        Result shown = meshctlResult(concat(new String[] {"dlq", "show", id}, login));
        assertEquals(0, shown.exit(), shown.toString());
        assertTrue(shown.out().contains("reason") && shown.out().contains("age") && shown.out().contains("history"),
                "a person reads the item, not one line of JSON: " + shown.out());
        Result payload = meshctlResult(concat(new String[] {"dlq", "show", id, "--payload"}, login));
        assertEquals(0, payload.exit(), payload.toString());
        assertTrue(payload.out().contains("\"***\"") && !payload.out().contains("\"abc\""),
                "the payload as it failed, its sensitive columns masked, ready to edit: " + payload.out());
        Path edited = Files.writeString(ROOT.resolve("tools/meshctl/target/it-" + ProcessHandle.current().pid())
                .resolve("review").resolve("fixed.json"), withAge(payload.out(), "35"));
        Result third = meshctlResult("dlq", "redrive", id, "--reason", "once more", "--payload", edited.toString(),
                "--review-url", services.get(REVIEW).url(), "--user", "bob", "--password", "bob-reviewer");
        assertEquals(3, third.exit(), "meshctl says a re-drive that changes nothing changed nothing: " + third);
        assertTrue(third.err().contains("was re-driven before"), third.err());
        MeshServices.sleep(3_000);
        assertEquals(1, validatedCopies("it-review", 4), "a second re-drive applies nothing");
        assertEquals(applied.eventCount(), runState.get("it-review").orElseThrow().eventCount(), "and reports nothing new");
        var history = JSON.readTree(review("GET", "/api/items/" + id, "alice", "alice-principal", null).body()).path("history");
        assertEquals(3, history.size(), "every re-drive is recorded, with who did it");
        assertEquals("bob", history.get(0).path("actor").asText());
        assertEquals("REDRIVE", history.get(0).path("action").asText());
        assertEquals("alice", history.get(1).path("actor").asText());
    }

    @Test
    void aReviewActionWithoutAValidGrantChangesNothingAndReviewDeadLettersIt() throws Exception {
        Path csv = plantedAge("review-forged", 2);
        meshctl("trigger", "--bootstrap", kafka.bootstrapServers(), "--source", csv.toString(), "--run-id", "it-review-forged",
                "--grant", grant, "--stage", "row-validation");
        awaitTerminal("it-review-forged");
        String id = reviewItemOf("it-review-forged").path("id").asText();

        // written straight to the topic by someone with write access but no grant: one names none, one a forged id
        MeshCodec<ReviewAction> actions = new MeshCodec<>(Topics.REVIEW_ACTIONS, SerdeSettings.kafkaTopicStore(kafka.bootstrapServers()));
        for (String forged : Arrays.asList(null, "forged-grant")) {
            TopicProbe.send(kafka.bootstrapServers(), Topics.REVIEW_ACTIONS.name(), id.getBytes(StandardCharsets.UTF_8),
                    actions.encode(new ReviewAction("forged-" + forged, id, ReviewActionKind.DISCARD, "mallory",
                            "make it go away", null, false, Instant.now(), forged)));
        }
        var dead = TopicProbe.readUntil(kafka.bootstrapServers(), Topics.DEAD_LETTER.name(), WAIT, seen -> seen.stream()
                .filter(r -> Topics.REVIEW_ACTIONS.name().equals(TopicProbe.header(r, MeshHeaders.DLQ_TOPIC))).count() >= 2);
        var letters = dead.stream().filter(r -> Topics.REVIEW_ACTIONS.name().equals(TopicProbe.header(r, MeshHeaders.DLQ_TOPIC))).toList();
        assertEquals(2, letters.size(), "each forged action dead-lettered once");
        assertTrue(letters.stream().allMatch(r -> "review".equals(TopicProbe.header(r, MeshHeaders.DLQ_SERVICE))
                && TopicProbe.header(r, MeshHeaders.DLQ_REASON).startsWith("unauthorised review action:")),
                () -> letters.stream().map(r -> TopicProbe.header(r, MeshHeaders.DLQ_REASON)).toList().toString());
        var item = JSON.readTree(review("GET", "/api/items/" + id, "alice", "alice-principal", null).body());
        assertEquals("OPEN", item.path("status").asText(), "the forged discards changed nothing: " + item);
        assertEquals(0, item.path("history").size());

        var discarded = review("POST", "/api/items/" + id + "/discard", "bob", "bob-reviewer", "{\"reason\":\"duplicate\"}");
        assertEquals(200, discarded.statusCode(), discarded.body());
        ConsumerRecord<byte[], byte[]> recorded = TopicProbe.readUntil(kafka.bootstrapServers(), Topics.REVIEW_ACTIONS.name(),
                WAIT, seen -> seen.stream().anyMatch(r -> "bob".equals(actions.decode(r.value()).getActor()))).stream()
                .filter(r -> "bob".equals(actions.decode(r.value()).getActor())).findFirst().orElseThrow();
        assertNotNull(actions.decode(recorded.value()).getGrantId(), "recorded under the review service's grant");
        assertEquals(org.apache.kafka.common.record.TimestampType.LOG_APPEND_TIME, recorded.timestampType(),
                "stamped by the broker: the grant is judged at the time the action was appended");
        assertEquals("DISCARDED", JSON.readTree(review("GET", "/api/items/" + id, "alice", "alice-principal", null).body())
                .path("status").asText());

        // a forged action's dead letter is not a row: nothing on it is masked, so a reveal is refused and not recorded
        JsonNode forgedItem = null;
        for (JsonNode i : JSON.readTree(review("GET", "/api/items", "alice", "alice-principal", null).body())) {
            if (Topics.REVIEW_ACTIONS.name().equals(i.path("originalTopic").asText())) {
                forgedItem = i;
            }
        }
        assertNotNull(forgedItem, "review lists the forged action's dead letter");
        var reveal = review("POST", "/api/items/" + forgedItem.path("id").asText() + "/reveal", "alice", "alice-principal",
                "{\"reason\": \"curious\"}");
        assertTrue(reveal.statusCode() / 100 == 4 && reveal.body().contains("nothing on this item is masked"),
                reveal.statusCode() + " " + reveal.body());
        assertEquals(forgedItem.path("history").size(), JSON.readTree(review("GET", "/api/items/" + forgedItem.path("id").asText(),
                "alice", "alice-principal", null).body()).path("history").size(), "no reveal recorded");
    }

    static RunState await(String runId, java.util.function.Predicate<RunState> condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            var state = runState.poll(runId);
            if (state.isPresent() && condition.test(state.get())) {
                return state.get();
            }
            MeshServices.sleep(300);
        }
        return fail("run " + runId + " never reached the condition; last: " + runState.get(runId));
    }

    @Test
    void thePrincipalDecidesAReturnedRunFromReviewAsThemselves() throws Exception {
        var decided = review("POST", "/api/runs/it-review-decision/decide", "alice", "alice-principal",
                "{\"decision\":\"reject\",\"reason\":\"numbers do not convince me\"}");
        assertEquals(200, decided.statusCode(), decided.body());
        MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(kafka.bootstrapServers()));
        RunEvent event = TopicProbe.readUntil(kafka.bootstrapServers(), Topics.RUN_EVENTS.name(), WAIT,
                        seen -> seen.stream().anyMatch(r -> "it-review-decision".equals(new String(r.key()))))
                .stream().filter(r -> "it-review-decision".equals(new String(r.key()))).map(r -> codec.decode(r.value()))
                .findFirst().orElseThrow();
        var payload = (dev.agentmesh.gate.PrincipalDecided) event.getPayload();
        assertEquals("alice", payload.getDecidedBy(), "the acting identity is recorded");
        assertEquals(dev.agentmesh.gate.PrincipalDecision.REJECT, payload.getDecision());
        assertNotNull(event.getEnvelope().getGrantId(), "under the principal's decision grant");
    }

    @Test
    void anAssistantAsksOverMcpWithinItsGrantAndIsRefusedBeyondIt() throws Exception {
        Path missing = ROOT.resolve("tools/meshctl/target/it-" + ProcessHandle.current().pid() + "/mcp/absent.csv");
        meshctl("trigger", "--bootstrap", kafka.bootstrapServers(), "--source", missing.toString(), "--run-id", "it-mcp-failed",
                "--grant", grant, "--stage", "row-validation", "--skip-source-check");
        meshctl("trigger", "--bootstrap", kafka.bootstrapServers(), "--source", plantedAge("mcp", 7).toString(),
                "--run-id", "it-mcp-bad-row", "--grant", grant, "--stage", "row-validation");
        assertEquals(RunStatus.FAILED, awaitTerminal("it-mcp-failed").status());
        awaitTerminal("it-mcp-bad-row");
        reviewItemOf("it-mcp-bad-row");

        // the operator's own view of the same diagnosis, with the command that would act on it
        String diagnosis = meshctl("runs", "diagnose", "it-mcp-failed", "--run-state-url", services.get("run-state").url(),
                "--review-url", services.get(REVIEW).url(), "--user", "bob", "--password", "bob-reviewer");
        assertTrue(diagnosis.contains("stage row-validation failed") && diagnosis.contains("absent.csv")
                && diagnosis.contains("meshctl runs resume it-mcp-failed --from row-validation"), diagnosis);

        // the principal lets an assistant read these two runs, and nothing else
        KeyPair principal = GrantKeys.load(KEYS, PrincipalTools.PRINCIPAL);
        GrantIssued reader = Grants.root(principal, PrincipalTools.PRINCIPAL, "assistant", GrantKeys.generate().getPublic(),
                Grants.scope(List.of(Actions.READ), List.of(Resources.run("it-mcp-failed"), Resources.run("it-mcp-bad-row")), null),
                Instant.now().plus(Duration.ofHours(1)), 0);
        try (GrantPublisher publisher = new GrantPublisher(kafka.bootstrapServers(),
                SerdeSettings.kafkaTopicStore(kafka.bootstrapServers()), "it")) {
            publisher.publish(reader);
        }

        // a real MCP client starts `meshctl mcp` and speaks to it over stdio
        ServerParameters command = ServerParameters.builder(Path.of(System.getProperty("java.home"), "bin", "java").toString())
                .args("-jar", ROOT.resolve("tools/meshctl/target/meshctl.jar").toString(), "mcp",
                        "--grant", reader.getGrantId(), "--bootstrap", kafka.bootstrapServers(), "--keys-dir", KEYS.toString(),
                        "--run-state-url", services.get("run-state").url(), "--review-url", services.get(REVIEW).url(),
                        "--user", "bob", "--password", "bob-reviewer")
                .build();
        McpSyncClient client = McpClient.sync(new StdioClientTransport(command, new JacksonMcpJsonMapper(JSON)))
                .requestTimeout(Duration.ofSeconds(60)).initializationTimeout(Duration.ofSeconds(60)).build();
        try {
            client.initialize();
            assertEquals(Set.of("list_runs", "show_run", "why_did_run_fail", "run_costs", "list_dead_letters"),
                    client.listTools().tools().stream().map(McpSchema.Tool::name).collect(Collectors.toSet()));

            JsonNode listed = structured(callTool(client, "list_runs", Map.of()));
            List<String> runs = new ArrayList<>();
            listed.path("runs").forEach(r -> runs.add(r.path("runId").asText()));
            assertEquals(Set.of("it-mcp-failed", "it-mcp-bad-row"), Set.copyOf(runs), "only the runs the grant reads: " + listed);

            McpSchema.CallToolResult why = callTool(client, "why_did_run_fail", Map.of("runId", "it-mcp-failed"));
            assertNotEquals(Boolean.TRUE, why.isError(), text(why));
            assertTrue(text(why).contains("stage row-validation failed") && text(why).contains("absent.csv"), text(why));

            JsonNode letters = structured(callTool(client, "list_dead_letters", Map.of("runId", "it-mcp-bad-row")));
            assertTrue(letters.path("groups").size() >= 1 && letters.path("groups").get(0).path("items").asLong() >= 1,
                    "the bad row's dead letter, grouped by its reason: " + letters);

            McpSchema.CallToolResult beyond = callTool(client, "show_run", Map.of("runId", "it-review-ui"));
            assertEquals(Boolean.TRUE, beyond.isError(), text(beyond));
            assertTrue(text(beyond).startsWith("refused"), text(beyond));

            try (GrantPublisher publisher = new GrantPublisher(kafka.bootstrapServers(),
                    SerdeSettings.kafkaTopicStore(kafka.bootstrapServers()), "it")) {
                publisher.publish(Grants.revoke(reader.getGrantId(), principal, PrincipalTools.PRINCIPAL, "assistant retired"));
            }
            McpSchema.CallToolResult revoked = callTool(client, "show_run", Map.of("runId", "it-mcp-failed"));
            assertEquals(Boolean.TRUE, revoked.isError(), "a revoked grant reads nothing from the next question on: " + text(revoked));
            assertTrue(text(revoked).contains("revoked"), text(revoked));
        } finally {
            client.closeGracefully();
        }
    }

    static McpSchema.CallToolResult callTool(McpSyncClient client, String tool, Map<String, Object> arguments) {
        return client.callTool(new McpSchema.CallToolRequest(tool, arguments, null));
    }

    static String text(McpSchema.CallToolResult result) {
        return result.content().stream().filter(McpSchema.TextContent.class::isInstance)
                .map(c -> ((McpSchema.TextContent) c).text()).collect(Collectors.joining("\n"));
    }

    static JsonNode structured(McpSchema.CallToolResult result) {
        assertNotEquals(Boolean.TRUE, result.isError(), text(result));
        return JSON.valueToTree(result.structuredContent());
    }

    @Test
    void aReviewerWorksTheQueueByRunAndReasonDiscardsAGroupAndSignsOutInHeadlessChromium() throws Exception {
        assumeChromium();
        List<String> lines = Files.readAllLines(CREDIT_G);
        for (int row : List.of(3, 5, 9)) {
            String[] cells = lines.get(row + 1).split(",", -1);
            cells[12] = "abc";
            lines.set(row + 1, String.join(",", cells));
        }
        assertEquals(3, validateWithDeadLetters("it-review-group", lines, 3).size());

        var browser = chromium();
        try {
            var wait = signIn(browser, "/review");
            browser.get(services.get(REVIEW).url() + "/review?run=it-review-group");
            wait.until(d -> d.findElements(org.openqa.selenium.By.id("summary")).size() == 1
                    && d.getCurrentUrl().contains("run=it-review-group"));
            List<org.openqa.selenium.WebElement> groups = browser.findElements(org.openqa.selenium.By.cssSelector("tr.group"));
            assertEquals(1, groups.size(), "three dead letters of one run with one reason are one row");
            assertTrue(groups.get(0).findElement(org.openqa.selenium.By.className("count")).getText().startsWith("3"));
            Files.write(ROOT.resolve("tools/meshctl/target/review-queue.png"),
                    ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
            groups.get(0).findElement(org.openqa.selenium.By.name("reason")).sendKeys("source fixed upstream");
            groups.get(0).findElement(org.openqa.selenium.By.className("discard-group")).click();
            wait.until(d -> d.findElements(org.openqa.selenium.By.id("message")).size() == 1);
            assertTrue(browser.findElement(org.openqa.selenium.By.id("message")).getText()
                    .contains("discard recorded for 3 of 3 items"), browser.findElement(org.openqa.selenium.By.id("message")).getText());
            wait.until(d -> d.findElements(org.openqa.selenium.By.cssSelector("tr.group")).isEmpty());

            browser.findElement(org.openqa.selenium.By.id("logout")).click();
            wait.until(d -> d.findElements(org.openqa.selenium.By.id("username")).size() == 1);
            browser.get(services.get(REVIEW).url() + "/review");
            wait.until(d -> d.findElements(org.openqa.selenium.By.id("username")).size() == 1);
            assertTrue(browser.findElements(org.openqa.selenium.By.id("items")).isEmpty(), "signed out: the queue asks for a login");
        } catch (RuntimeException | AssertionError e) {
            Files.writeString(ROOT.resolve("tools/meshctl/target/review-queue-failure.html"), browser.getPageSource());
            throw e;
        } finally {
            browser.quit();
        }
        // one event per item, each with the acting identity
        for (JsonNode item : deadLettersOf("it-review-group")) {
            assertEquals("DISCARDED", item.path("status").asText(), item.toString());
            assertEquals(1, item.path("history").size(), item.toString());
            assertEquals("bob", item.path("history").get(0).path("actor").asText());
        }
    }

    @Test
    void aRowsSensitiveColumnsAreMaskedForEveryoneAndRevealedOnlyToThePrincipalWithTheRevealRecorded() throws Exception {
        List<String> lines = Files.readAllLines(CREDIT_G);
        String[] cells = lines.get(4).split(",", -1);
        String age = cells[12];
        String personalStatus = cells[8];
        cells[1] = "abc"; // duration: not a number; the row is dead-lettered with its values
        lines.set(4, String.join(",", cells));
        String[] badAge = lines.get(6).split(",", -1);
        badAge[12] = "6x7"; // a sensitive column's own bad value: the reason names the rule, not the value
        lines.set(6, String.join(",", badAge));
        List<JsonNode> items = validateWithDeadLetters("it-review-mask", lines, 2);
        assertEquals(2, items.size(), items.toString());
        JsonNode item = items.stream().filter(i -> i.path("reason").asText().contains("duration")).findFirst().orElseThrow();
        String id = item.path("id").asText();
        JsonNode ageItem = items.stream().filter(i -> i.path("reason").asText().contains("age:")).findFirst().orElseThrow();
        String ageShown = review("GET", "/api/items/" + ageItem.path("id").asText(), "alice", "alice-principal", null).body();
        assertTrue(JSON.readTree(ageShown).path("reason").asText().contains("age: a sensitive value is not an integer"), ageShown);
        assertFalse(ageShown.contains("6x7"), "neither the reason, the headers nor the payload show the value: " + ageShown);

        for (String[] who : List.of(new String[] {"bob", "bob-reviewer"}, new String[] {"alice", "alice-principal"})) {
            JsonNode shown = JSON.readTree(review("GET", "/api/items/" + id, who[0], who[1], null).body());
            JsonNode values = JSON.readTree(shown.path("payloadJson").asText()).path("values");
            assertEquals("***", values.path("age").path("string").asText(), who[0] + ": " + values);
            assertEquals("***", values.path("personal_status").path("string").asText(), who[0] + ": " + values);
            assertEquals("abc", values.path("duration").path("string").asText(), "a column that is not sensitive is shown");
        }
        assertEquals(403, review("POST", "/api/items/" + id + "/reveal", "bob", "bob-reviewer",
                "{\"reason\": \"curious\"}").statusCode(), "a reviewer cannot reveal");

        var revealed = review("POST", "/api/items/" + id + "/reveal", "alice", "alice-principal",
                "{\"reason\": \"checking the applicant's age band\"}");
        assertEquals(200, revealed.statusCode(), revealed.body());
        JsonNode clear = JSON.readTree(JSON.readTree(revealed.body()).path("payloadJson").asText()).path("values");
        assertEquals(age, clear.path("age").path("string").asText());
        assertEquals(personalStatus, clear.path("personal_status").path("string").asText());

        JsonNode after = JSON.readTree(review("GET", "/api/items/" + id, "alice", "alice-principal", null).body());
        assertEquals("OPEN", after.path("status").asText(), "a reveal changes no status");
        JsonNode reveal = after.path("history").get(after.path("history").size() - 1);
        assertEquals("REVEAL", reveal.path("action").asText(), after.toString());
        assertEquals("alice", reveal.path("actor").asText());
        assertEquals("***", JSON.readTree(after.path("payloadJson").asText()).path("values").path("age").path("string").asText(),
                "the next look is masked again");

        // from a terminal: the principal reveals with a reason; a reviewer is refused
        Result cli = meshctlResult("dlq", "show", id, "--payload", "--reveal", "checking the age band from a terminal",
                "--review-url", services.get(REVIEW).url(), "--user", "alice", "--password", "alice-principal");
        assertEquals(0, cli.exit(), cli.toString());
        assertEquals(age, JSON.readTree(cli.out()).path("values").path("age").path("string").asText(), cli.out());
        Result refused = meshctlResult("dlq", "show", id, "--reveal", "curious",
                "--review-url", services.get(REVIEW).url(), "--user", "bob", "--password", "bob-reviewer");
        assertNotEquals(0, refused.exit(), "a reviewer cannot reveal from a terminal either: " + refused);

        if (Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER)) {
            var browser = chromium();
            try {
                var wait = signIn(browser, "/review", "alice", "alice-principal");
                browser.get(services.get(REVIEW).url() + "/review/items/" + id);
                wait.until(d -> d.findElements(org.openqa.selenium.By.id("masked")).size() == 1);
                String masked = browser.findElement(org.openqa.selenium.By.id("payload")).getAttribute("value");
                assertEquals("***", JSON.readTree(masked).path("values").path("age").path("string").asText(), masked);
                browser.findElement(org.openqa.selenium.By.id("reveal-reason")).sendKeys("the applicant asked");
                browser.findElement(org.openqa.selenium.By.id("reveal")).click();
                wait.until(d -> d.findElements(org.openqa.selenium.By.id("revealed")).size() == 1);
                String clearText = browser.findElement(org.openqa.selenium.By.id("payload")).getAttribute("value");
                assertEquals(age, JSON.readTree(clearText).path("values").path("age").path("string").asText(), clearText);
                assertTrue(browser.findElement(org.openqa.selenium.By.id("history")).getText().contains("REVEAL"));
                Files.write(ROOT.resolve("tools/meshctl/target/review-reveal.png"),
                        ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
            } catch (RuntimeException | AssertionError e) {
                Files.writeString(ROOT.resolve("tools/meshctl/target/review-reveal-failure.html"), browser.getPageSource());
                throw e;
            } finally {
                browser.quit();
            }
            JsonNode history = JSON.readTree(review("GET", "/api/items/" + id, "bob", "bob-reviewer", null).body()).path("history");
            assertEquals(3, history.size(), "each reveal, in the browser, the API or meshctl, is one recorded action: " + history);
        }
    }

    /** Runs row validation on {@code lines} as run {@code runId} and waits for {@code expected} dead letters of it. */
    static List<JsonNode> validateWithDeadLetters(String runId, List<String> lines, int expected) throws Exception {
        Path csv = ROOT.resolve("tools/meshctl/target/it-" + ProcessHandle.current().pid()).resolve("review").resolve(runId + ".csv");
        Files.createDirectories(csv.getParent());
        Files.write(csv, lines);
        meshctl("trigger", "--bootstrap", kafka.bootstrapServers(), "--source", csv.toString(), "--run-id", runId,
                "--grant", grant, "--stage", "row-validation");
        awaitTerminal(runId);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (deadLettersOf(runId).size() < expected && System.nanoTime() < deadline) {
            MeshServices.sleep(250);
        }
        return deadLettersOf(runId);
    }

    /** A dead-lettered credit-g row's Avro JSON with its age set to {@code age} (over the mask a reviewer sees). */
    static String withAge(String avroJson, String age) throws IOException {
        JsonNode root = JSON.readTree(avroJson);
        ((ObjectNode) root.path("values")).set("age", JSON.createObjectNode().put("string", age));
        return JSON.writeValueAsString(root);
    }

    static List<JsonNode> deadLettersOf(String runId) throws Exception {
        List<JsonNode> found = new ArrayList<>();
        for (JsonNode item : JSON.readTree(review("GET", "/api/items", "alice", "alice-principal", null).body())) {
            if (runId.equals(item.path("runId").asText()) && item.path("kind").asText().equals("DEAD_LETTER")) {
                found.add(item);
            }
        }
        return found;
    }

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    static void assumeChromium() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "Chromium and ChromeDriver are not installed (Debian packages chromium and chromium-driver; .ci/run installs them)");
    }

    static org.openqa.selenium.chrome.ChromeDriver chromium() throws IOException {
        var options = new org.openqa.selenium.chrome.ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,1000", "--user-data-dir=" + Files.createTempDirectory("chromium-review"));
        var service = new org.openqa.selenium.chrome.ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
        return new org.openqa.selenium.chrome.ChromeDriver(service, options);
    }

    /** Opens {@code path} of the review service, signs in as the reviewer bob, and waits for the queue. */
    static org.openqa.selenium.support.ui.WebDriverWait signIn(org.openqa.selenium.chrome.ChromeDriver browser, String path) {
        return signIn(browser, path, "bob", "bob-reviewer");
    }

    static org.openqa.selenium.support.ui.WebDriverWait signIn(org.openqa.selenium.chrome.ChromeDriver browser, String path,
                                                               String user, String password) {
        return signInAt(browser, services.get(REVIEW).url() + path, user, password);
    }

    /** Opens {@code url} of a review service, signs in as {@code user}, and waits for the queue. */
    static org.openqa.selenium.support.ui.WebDriverWait signInAt(org.openqa.selenium.chrome.ChromeDriver browser, String url,
                                                                 String user, String password) {
        var wait = new org.openqa.selenium.support.ui.WebDriverWait(browser, Duration.ofSeconds(60));
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class); // the page is replaced after a submit
        browser.get(url);
        wait.until(d -> d.findElements(org.openqa.selenium.By.id("username")).size() == 1);
        browser.findElement(org.openqa.selenium.By.id("username")).sendKeys(user);
        browser.findElement(org.openqa.selenium.By.id("password")).sendKeys(password);
        browser.findElement(org.openqa.selenium.By.id("login")).click();
        wait.until(d -> d.findElements(org.openqa.selenium.By.id("items")).size() == 1);
        return wait;
    }

    @Test
    void aReviewerFixesAndReDrivesADeadLetterInHeadlessChromium() throws Exception {
        assumeChromium();
        Path csv = plantedAge("review-ui", 7);
        meshctl("trigger", "--bootstrap", kafka.bootstrapServers(), "--source", csv.toString(), "--run-id", "it-review-ui",
                "--grant", grant, "--stage", "row-validation");
        awaitTerminal("it-review-ui");
        String id = reviewItemOf("it-review-ui").path("id").asText();

        var browser = chromium();
        try {
            var wait = signIn(browser, "/review");
            browser.findElement(org.openqa.selenium.By.linkText(id)).click();
            wait.until(d -> d.findElements(org.openqa.selenium.By.id("payload")).size() == 1);
            assertTrue(browser.findElement(org.openqa.selenium.By.id("reason")).getText().contains("age"));
            var payload = browser.findElement(org.openqa.selenium.By.id("payload"));
            String fixed = withAge(payload.getAttribute("value"), "41");
            ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("arguments[0].value = arguments[1];", payload, fixed);
            browser.findElement(org.openqa.selenium.By.id("redrive-reason")).sendKeys("age was mistyped");
            browser.findElement(org.openqa.selenium.By.id("redrive")).click();
            wait.until(d -> d.findElement(org.openqa.selenium.By.id("status")).getText().equals("REDRIVEN"));
            assertTrue(browser.findElement(org.openqa.selenium.By.id("message")).getText().contains("redrive recorded"));
            assertTrue(browser.findElement(org.openqa.selenium.By.id("history")).getText().contains("bob"));
            Path shot = ROOT.resolve("tools/meshctl/target/review-redrive.png");
            Files.write(shot, ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
        } catch (RuntimeException | AssertionError e) {
            Files.writeString(ROOT.resolve("tools/meshctl/target/review-failure.html"), browser.getPageSource());
            throw e;
        } finally {
            browser.quit();
        }
        RunState applied = await("it-review-ui", s -> s.redrivenRows().containsKey("7"));
        assertTrue(applied.redrivenRows().get("7").valid(), "the row fixed in the browser is valid now");
    }
}
