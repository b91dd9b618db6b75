package dev.agentmesh.meshctl;

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

        @Override
        public Integer call() throws IOException {
            HttpResponse<String> response = review.send("GET", "/api/items", null);
            if (response.statusCode() != 200) {
                return review.print(response);
            }
            List<JsonNode> items = JSON.readValue(response.body(), new TypeReference<>() { });
            System.out.printf("%-14s %-10s %-12s %-28s %s%n", "ITEM", "STATUS", "KIND", "RUN", "REASON");
            for (JsonNode i : items) {
                String status = i.path("status").asText();
                if (all || status.equals("OPEN") || status.equals("ESCALATED")) {
                    System.out.printf("%-14s %-10s %-12s %-28s %s%n", i.path("id").asText(), status, i.path("kind").asText(),
                            i.path("runId").asText(""), i.path("reason").asText());
                }
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

        @Override
        public Integer call() {
            return review.print(review.send("GET", "/api/items/" + item, null));
        }
    }

    @Command(name = "redrive", mixinStandardHelpOptions = true,
            description = "Send an item back to be handled again, keeping its event id; --payload FILE replaces the payload "
                    + "(Avro JSON, as `dlq show` prints it), parsed against the schema first.")
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
