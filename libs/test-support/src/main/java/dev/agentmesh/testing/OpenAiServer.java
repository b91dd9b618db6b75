package dev.agentmesh.testing;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.net.URI;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;

/**
 * An OpenAI-compatible chat-completions endpoint started by the test (WireMock), answering from recorded responses:
 * no language model can run on these machines, so the real client path (LangChain4j through Quarkus) is exercised
 * against it. Configures the service under test for model-backed judgment at it. Tests stub and count requests
 * through {@link #client(String)}, over WireMock's admin API.
 */
public class OpenAiServer implements QuarkusTestResourceLifecycleManager {

    public static final String COMPLETIONS = "/v1/chat/completions";

    private WireMockServer server;

    @Override
    public Map<String, String> start() {
        server = new WireMockServer(WireMockConfiguration.options().dynamicPort());
        server.start();
        return Map.of(
                "quarkus.langchain4j.openai.base-url", "http://localhost:" + server.port() + "/v1/",
                "quarkus.langchain4j.openai.api-key", "test-key",
                "quarkus.langchain4j.openai.chat-model.model-name", "recorded-model",
                "quarkus.langchain4j.openai.timeout", "2s",
                "mesh.judgment.mode", "model",
                "mesh.judgment.max-attempts", "3",
                "mesh.judgment.price.input-per-million", "2.5",
                "mesh.judgment.price.output-per-million", "10");
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop();
        }
    }

    /** A client of the server whose base URL is {@code baseUrl} (the service's {@code quarkus.langchain4j.openai.base-url}). */
    public static WireMock client(String baseUrl) {
        URI uri = URI.create(baseUrl);
        return new WireMock(uri.getHost(), uri.getPort());
    }

    /** A chat completion whose message is {@code content}, reporting the given token usage. */
    public static ResponseDefinitionBuilder completion(String content, int promptTokens, int completionTokens) {
        String escaped = content.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody("{\"id\":\"chatcmpl-test\","
                + "\"object\":\"chat.completion\",\"created\":1764460800,\"model\":\"recorded-model\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"" + escaped + "\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":" + promptTokens + ",\"completion_tokens\":" + completionTokens
                + ",\"total_tokens\":" + (promptTokens + completionTokens) + "}}");
    }

    /** Requests to the completions endpoint whose body contains {@code needle}. */
    public static MappingBuilder whenAsked(String needle) {
        return post(urlPathEqualTo(COMPLETIONS)).withRequestBody(containing(needle));
    }

    public static int requestsContaining(WireMock client, String needle) {
        return client.find(postRequestedFor(urlPathEqualTo(COMPLETIONS)).withRequestBody(containing(needle))).size();
    }
}
