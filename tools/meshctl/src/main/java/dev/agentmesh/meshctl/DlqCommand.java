package dev.agentmesh.meshctl;

import dev.agentmesh.core.Excerpt;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** The dead-letter queue as the review service keeps it: list, show, re-drive (optionally edited), discard. */
@Command(name = "dlq", mixinStandardHelpOptions = true, description = "Dead letters in review.",
        subcommands = {DlqCommand.ListItems.class, DlqCommand.Show.class, DlqCommand.Redrive.class, DlqCommand.Discard.class})
public class DlqCommand {

    static final ObjectMapper JSON = new ObjectMapper();

    /** Where the review service is and who signs in (HTTP Basic). */
    static class Review {
        @Option(names = "--review-url", description = "Review service URL (or MESH_REVIEW_URL; the demo's by default).")
        String url;

        @Option(names = "--user", description = "Review login (or MESH_REVIEW_USER).")
        String user;

        @Option(names = "--password", description = "Review password (or MESH_REVIEW_PASSWORD).")
        String password;

        private String value(String option, String env, String key) {
            if (option != null) {
                return option;
            }
            String fromEnv = System.getenv(env);
            if (fromEnv != null && !fromEnv.isBlank()) {
                return fromEnv;
            }
            String fromContext = Connection.fromContext(key);
            if (fromContext != null) {
                return fromContext;
            }
            throw new IllegalStateException("no " + key + ": pass --" + key.replace("review-", "") + " or set " + env);
        }

        HttpResponse<String> send(String method, String path, Object body) {
            String base = value(url, "MESH_REVIEW_URL", "review-url");
            String auth = value(user, "MESH_REVIEW_USER", "review-user") + ":" + value(password, "MESH_REVIEW_PASSWORD", "review-password");
            try {
                HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(auth.getBytes(StandardCharsets.UTF_8)))
                        .header("Accept", "application/json");
                if (body == null) {
                    request.method(method, HttpRequest.BodyPublishers.noBody());
                } else {
                    request.header("Content-Type", "application/json")
                            .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
                }
                return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new IllegalStateException("review service at " + base + " unreachable: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        int print(HttpResponse<String> response) {
            if (response.statusCode() / 100 != 2) {
                System.err.println("review answered " + response.statusCode() + ": " + response.body());
                return response.statusCode() == 401 || response.statusCode() == 403 ? 3 : 1;
            }
            System.out.println(response.body());
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Review items, open ones first.")
    static class ListItems implements Callable<Integer> {
        @Mixin
        Review review;

        @Option(names = "--all", description = "Include items already re-driven, discarded or decided.")
        boolean all;

        @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text (default) or json, for scripts.")
        String output;

        @Override
        public Integer call() throws IOException {
            HttpResponse<String> response = review.send("GET", "/api/items", null);
            if (response.statusCode() != 200) {
                return review.print(response);
            }
            List<JsonNode> items = JSON.<List<JsonNode>>readValue(response.body(), new TypeReference<>() { }).stream()
                    .filter(i -> all || i.path("status").asText().equals("OPEN") || i.path("status").asText().equals("ESCALATED"))
                    .toList();
            if (output.equals("json")) {
                System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(items));
                return 0;
            }
            System.out.printf("%-14s %-10s %-12s %-28s %s%n", "ITEM", "STATUS", "KIND", "RUN", "REASON");
            for (JsonNode i : items) {
                System.out.printf("%-14s %-10s %-12s %-28s %s%n", i.path("id").asText(), i.path("status").asText(),
                        i.path("kind").asText(), Excerpt.cell(i.path("runId").asText(""), 28),
                        Excerpt.cell(i.path("reason").asText(), 120));
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "One item: reason, origin, headers, payload, history.")
    static class Show implements Callable<Integer> {
        @Mixin
        Review review;

        @Parameters(index = "0", description = "Item id, e.g. dlq-0-12.")
        String item;

        @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text (default) or json, for scripts.")
        String output;

        @Option(names = "--payload", description = "Print only the payload, as Avro JSON: save it, edit it, and pass the "
                + "file to `dlq redrive --payload`.")
        boolean payloadOnly;

        @Option(names = "--reveal", paramLabel = "REASON", description = "Show the row's sensitive columns in the clear "
                + "(masked otherwise), as the principal: the reveal is recorded with who and REASON before anything is shown.")
        String reveal;

        @Override
        public Integer call() throws IOException {
            HttpResponse<String> response = reveal == null ? review.send("GET", "/api/items/" + item, null)
                    : review.send("POST", "/api/items/" + item + "/reveal", Map.of("reason", reveal));
            if (response.statusCode() / 100 != 2) {
                return review.print(response);
            }
            JsonNode shown = JSON.readTree(response.body());
            if (payloadOnly) {
                if (!shown.hasNonNull("payloadJson")) {
                    return DoorChecks.refuse("no payload to edit", List.of("item " + item + "'s record could not be "
                            + "decoded; its raw bytes are in `dlq show " + item + " -o json` (rawBase64)"));
                }
                System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(
                        JSON.readTree(shown.path("payloadJson").asText())));
            } else if (output.equals("json")) {
                System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(shown));
            } else {
                System.out.print(describe(shown));
            }
            return 0;
        }
    }

    /**
     * A review item for people: what it is, why it is here, where it came from, its payload, what was done. What the
     * record carried (key, run id, reason, headers) is shown printable and bounded, so no record drives the terminal.
     */
    static String describe(JsonNode item) throws IOException {
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-9s %s (%s, %s)%n", "item", item.path("id").asText(), item.path("status").asText(),
                item.path("kind").asText()));
        for (String[] field : new String[][] {{"run", "runId"}, {"agent", "agent"}, {"key", "key"}, {"at", "at"},
                {"reason", "reason"}}) {
            if (item.hasNonNull(field[1]) && !item.path(field[1]).asText().isEmpty()) {
                out.append(String.format("%-9s %s%n", field[0], Excerpt.reason(item.path(field[1]).asText())));
            }
        }
        if (item.hasNonNull("originalTopic")) {
            out.append(String.format("%-9s %s, partition %s, offset %s%n", "origin", item.path("originalTopic").asText(),
                    item.path("originalPartition").asText("?"), item.path("originalOffset").asText("?")));
        }
        item.path("headers").fields().forEachRemaining(h ->
                out.append(String.format("%-9s %s: %s%n", "header", Excerpt.cell(h.getKey(), 80),
                        Excerpt.reason(h.getValue().asText()))));
        if (item.hasNonNull("payloadJson")) {
            out.append(String.format("payload   %s (edit it: dlq show %s --payload > payload.json)%n",
                    item.path("payloadType").asText("record"), item.path("id").asText()));
            String pretty = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(
                    JSON.readTree(item.path("payloadJson").asText()));
            pretty.lines().forEach(line -> out.append("  ").append(line).append(System.lineSeparator()));
        } else if (item.hasNonNull("rawBase64")) {
            out.append(String.format("payload   not decodable: %d bytes (base64 in -o json)%n",
                    Base64.getDecoder().decode(item.path("rawBase64").asText()).length));
        }
        JsonNode history = item.path("history");
        if (history.isEmpty()) {
            out.append(String.format("%-9s %s%n", "history", "nothing done yet"));
        }
        for (JsonNode a : history) {
            out.append(String.format("%-9s %s %s by %s: %s%s%s%n", "history", a.path("at").asText(),
                    a.path("action").asText(), a.path("actor").asText(), a.path("reason").asText(),
                    a.path("edited").asBoolean() ? " (payload edited)" : "",
                    a.hasNonNull("redrivenTo") ? " -> " + a.path("redrivenTo").asText() : ""));
        }
        return out.toString();
    }

    @Command(name = "redrive", mixinStandardHelpOptions = true,
            description = "Send an item back to be handled again, keeping its event id; --payload FILE replaces the payload "
                    + "(Avro JSON, as `dlq show ITEM --payload` prints it), parsed against the schema first.")
    static class Redrive implements Callable<Integer> {
        @Mixin
        Review review;

        @Parameters(index = "0")
        String item;

        @Option(names = "--reason", required = true)
        String reason;

        @Option(names = "--payload", description = "File with the edited payload.")
        Path payload;

        @Override
        public Integer call() throws IOException {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("reason", reason);
            if (payload != null) {
                body.put("payload", Files.readString(payload));
            }
            HttpResponse<String> response = review.send("POST", "/api/items/" + item + "/redrive", body);
            int exit = review.print(response);
            if (exit == 0 && JSON.readTree(response.body()).path("previousRedrives").asLong() > 0) {
                System.err.println("meshctl: item " + item + " was re-driven before: the record keeps its event id, so its"
                        + " consumer applies it once; this re-drive is recorded but changes nothing");
                return 3;
            }
            return exit;
        }
    }

    @Command(name = "discard", mixinStandardHelpOptions = true, description = "Close an item without re-driving it.")
    static class Discard implements Callable<Integer> {
        @Mixin
        Review review;

        @Parameters(index = "0")
        String item;

        @Option(names = "--reason", required = true)
        String reason;

        @Override
        public Integer call() {
            return review.print(review.send("POST", "/api/items/" + item + "/discard", Map.of("reason", reason)));
        }
    }
}
