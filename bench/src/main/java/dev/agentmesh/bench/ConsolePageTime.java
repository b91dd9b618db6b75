package dev.agentmesh.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.agentmesh.contract.CsvRows;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.data.DataRow;
import dev.agentmesh.embedded.EmbeddedKafka;
import dev.agentmesh.kafka.KafkaRecords;
import dev.agentmesh.meshctl.MeshServices;
import dev.agentmesh.meshctl.PrincipalTools;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How long the console takes to answer for a run with 24 sweep cells and many dead letters: run-state and review as
 * their own JVMs on an embedded broker, a nightly run's events (the replay harness's generator) and {@code N} of its
 * rows dead-lettered as the row-validator writes them (a credit-g row, age not a number, reasons in the old form that
 * quotes the value, so review masks every one). Each page is loaded signed in, as a browser would, after warm-up
 * loads. Baseline, same run: a static file from the same server (the login page). Times are the request's on
 * loopback as the client sees it, an upper bound of the server's time.
 *
 * <p>Arguments: the JSON result file, dead letters, measured loads per page.
 */
public final class ConsolePageTime {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static void main(String[] args) throws Exception {
        Path resultFile = Path.of(args[0]);
        int deadLetters = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        int loads = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        Path root = MeshServices.repoRoot();
        Path work = resultFile.getParent().resolve("console-page-" + ProcessHandle.current().pid());
        Path keys = work.resolve("keys");
        Files.createDirectories(work);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("deadLetters", deadLetters);
        result.put("loads", loads);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(); MeshServices services = new MeshServices(root, work)) {
            String bootstrap = kafka.bootstrapServers();
            services.startAll(List.of("run-state", "review"), bootstrap, PrincipalTools.meshConfig(keys, bootstrap),
                    Duration.ofMinutes(4));
            List<RunEvent> run = ReplayRebuildRate.nightlyRun(0);
            String runId = run.get(0).getEnvelope().getRunId();
            publish(bootstrap, run, deadLetters);
            String review = services.get("review").url();
            String runState = services.get("run-state").url();
            awaitLoaded(runState, review, runId, deadLetters);

            HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager())
                    .followRedirects(HttpClient.Redirect.NORMAL).build();
            signIn(browser, review);
            // what is timed is the whole page: every cell drawn, every dead letter listed, each reason masked
            String runPage = get(browser, review + "/review/runs/" + runId);
            String queue = get(browser, review + "/review?run=" + runId);
            int points = runPage.split("<circle class=\"cell", -1).length - 1;
            int listed = queue.split("href=\"/review/items/", -1).length - 1;
            if (points != 24 || listed != deadLetters || queue.contains("'abc'")) {
                throw new IllegalStateException("the pages are not what is to be timed: " + points + " points, "
                        + listed + " dead letters listed" + (queue.contains("'abc'") ? ", a sensitive value shown" : ""));
            }
            Map<String, String> pages = new LinkedHashMap<>();
            pages.put("baseline: /login.html (static)", "/login.html");
            pages.put("run page: /review/runs/" + runId, "/review/runs/" + runId);
            pages.put("queue of the run: /review?run=" + runId, "/review?run=" + runId);
            pages.put("runs list: /review/runs", "/review/runs");
            pages.put("grants: /review/grants", "/review/grants");
            Map<String, Object> byPage = new LinkedHashMap<>();
            double baselineP50 = 0;
            for (Map.Entry<String, String> page : pages.entrySet()) {
                boolean baseline = byPage.isEmpty();
                List<Long> micros = time(browser, review + page.getValue(), loads, baseline);
                double p50 = ConcurrentRuns.Stats.percentile(micros, 50);
                double p99 = ConcurrentRuns.Stats.percentile(micros, 99);
                if (baseline) {
                    baselineP50 = p50;
                }
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("p50Ms", p50 / 1000.0);
                entry.put("p99Ms", p99 / 1000.0);
                entry.put("p50OverBaseline", p50 / baselineP50);
                byPage.put(page.getKey(), entry);
                System.out.printf("%-60s p50 %7.1f ms  p99 %7.1f ms  %5.1fx baseline%n", page.getKey(),
                        p50 / 1000.0, p99 / 1000.0, p50 / baselineP50);
            }
            result.put("pages", byPage);
        }
        JSON.writeValue(resultFile.toFile(), result);
        System.out.println("result: " + resultFile);
    }

    /** The run's events, then its dead-lettered rows as the row-validator writes them. */
    static void publish(String bootstrap, List<RunEvent> run, int deadLetters) throws Exception {
        MeshCodec<RunEvent> events = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
        MeshCodec<DataRow> rows = new MeshCodec<>(Topics.ROWS_VALIDATED, SerdeSettings.kafkaTopicStore(bootstrap));
        String runId = run.get(0).getEnvelope().getRunId();
        Map<String, String> values = new LinkedHashMap<>(CsvRows.read(
                MeshServices.repoRoot().resolveSibling("shared").resolve("data").resolve("credit-g.csv")).rows().get(0));
        values.put("age", "abc");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            for (RunEvent e : run) {
                producer.send(new ProducerRecord<>(Topics.RUN_EVENTS.name(), null, runId, events.encode(e),
                        KafkaRecords.headers(e.getEnvelope())));
            }
            for (int i = 0; i < deadLetters; i++) {
                DataRow row = new DataRow(run.get(1).getEnvelope(), (long) i, new LinkedHashMap<>(values));
                String violation = "age: 'abc' is not an integer";
                RecordHeaders headers = KafkaRecords.deadLetter(null, "row " + i + " violates the data contract: " + violation,
                        "csv:credit-g.csv", "-1", Integer.toString(i), "row-validator");
                headers.add(MeshHeaders.RUN_ID, runId.getBytes(StandardCharsets.UTF_8));
                headers.add(MeshHeaders.ROW_REJECTIONS, violation.getBytes(StandardCharsets.UTF_8));
                producer.send(new ProducerRecord<>(Topics.DEAD_LETTER.name(), null, runId, rows.encode(row), headers));
            }
            producer.flush();
        }
    }

    /** Until run-state serves the run with its 24 cells and review holds every dead letter. */
    static void awaitLoaded(String runState, String review, String runId, int deadLetters) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> state = http.send(HttpRequest.newBuilder(URI.create(runState + "/runs/" + runId))
                    .header("Authorization", basic("operator", "operator-local")).build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> items = http.send(HttpRequest.newBuilder(URI.create(review + "/api/items"))
                    .header("Authorization", basic("bob", "bob-reviewer")).build(), HttpResponse.BodyHandlers.ofString());
            if (state.statusCode() == 200 && items.statusCode() == 200
                    && JSON.readTree(state.body()).path("sweep").path("cells").size() == 24) {
                int ofRun = 0;
                for (JsonNode item : JSON.readTree(items.body())) {
                    ofRun += runId.equals(item.path("runId").asText()) ? 1 : 0;
                }
                if (ofRun >= deadLetters) {
                    return;
                }
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("run-state and review did not load the run and its dead letters within 3 minutes");
    }

    static void signIn(HttpClient browser, String review) throws Exception {
        String form = "j_username=bob&j_password=" + URLEncoder.encode("bob-reviewer", StandardCharsets.UTF_8);
        HttpResponse<String> response = browser.send(HttpRequest.newBuilder(URI.create(review + "/j_security_check"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200 || !response.body().contains("id=\"items\"")) {
            throw new IllegalStateException("could not sign in to review: " + response.statusCode());
        }
    }

    /** Warm-up loads, then {@code loads} measured ones: each one's time in microseconds; a page that fails stops the bench. */
    static List<Long> time(HttpClient browser, String url, int loads, boolean loginPage) throws Exception {
        List<Long> micros = new ArrayList<>();
        for (int i = 0; i < loads + 5; i++) {
            long t0 = System.nanoTime();
            HttpResponse<String> response = browser.send(HttpRequest.newBuilder(URI.create(url)).build(),
                    HttpResponse.BodyHandlers.ofString());
            long took = (System.nanoTime() - t0) / 1000;
            if (response.statusCode() != 200 || (!loginPage && response.body().contains("id=\"username\""))) {
                throw new IllegalStateException(url + " answered " + response.statusCode() + " (or the login page)");
            }
            if (i >= 5) {
                micros.add(took);
            }
        }
        return micros;
    }

    static String get(HttpClient browser, String url) throws Exception {
        return browser.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
