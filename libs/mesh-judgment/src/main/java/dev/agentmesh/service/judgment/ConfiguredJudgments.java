package dev.agentmesh.service.judgment;

import dev.agentmesh.judgment.Judgment;
import dev.agentmesh.judgment.ModelJudgment;
import dev.agentmesh.judgment.ModelSettings;
import dev.agentmesh.service.Judgments;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import io.opentelemetry.api.trace.Tracer;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Locale;

/**
 * The judgment of each purpose as configured: {@code mesh.judgment.mode} ({@code rules} or {@code model}) for the
 * role, {@code mesh.judgment."purpose".mode} for one purpose. A model is the chat model of
 * {@code quarkus.langchain4j.openai.*}, over the extension's client: base URL, API key (from a secret), model name,
 * temperature, max tokens and timeout are read from there, so what is recorded with each call is what was sent. {@code mesh.judgment.max-attempts}
 * bounds the attempts per answer; {@code mesh.judgment.price.input-per-million} and {@code .output-per-million} price
 * the tokens.
 */
@ApplicationScoped
public class ConfiguredJudgments implements Judgments {

    private static final Logger LOG = Logger.getLogger(ConfiguredJudgments.class);
    static final String OPENAI = "quarkus.langchain4j.openai.";

    private final Config config;
    private volatile ModelJudgment model;

    private final Tracer tracer;

    public ConfiguredJudgments(Config config, Tracer tracer) {
        this.config = config;
        this.tracer = tracer;
    }

    @Override
    public Judgment judgment(String purpose) {
        String mode = config.getOptionalValue("mesh.judgment.\"" + purpose + "\".mode", String.class)
                .or(() -> config.getOptionalValue("mesh.judgment." + purpose + ".mode", String.class))
                .orElse(config.getOptionalValue("mesh.judgment.mode", String.class).orElse("rules"))
                .toLowerCase(Locale.ROOT);
        return switch (mode) {
            case "rules" -> Judgment.rules();
            case "model" -> model();
            default -> throw new IllegalArgumentException("mesh.judgment mode for " + purpose + " must be rules or model, was "
                    + mode);
        };
    }

    private ModelJudgment model() {
        if (model == null) {
            synchronized (this) {
                if (model == null) {
                    ModelSettings settings = settings(config);
                    LOG.infof("judgment by model %s at %s", settings.model(),
                            config.getOptionalValue(OPENAI + "base-url", String.class).orElse("(the default endpoint)"));
                    model = new ModelJudgment(new LangChain4jModelPort(chatModel(config, settings), tracer), settings);
                }
            }
        }
        return model;
    }

    /**
     * The chat model over the extension's OpenAI client, built here rather than injected: the extension's bean
     * retries a timed-out request inside one call ({@code max-retries} must be at least 1), and every attempt must be
     * the mesh's own, recorded as an event.
     */
    static ChatModel chatModel(Config config, ModelSettings settings) {
        return OpenAiChatModel.builder()
                .baseUrl(config.getOptionalValue(OPENAI + "base-url", String.class).orElse("https://api.openai.com/v1/"))
                .apiKey(config.getOptionalValue(OPENAI + "api-key", String.class).orElse("dummy"))
                .modelName(settings.model())
                .timeout(settings.timeout())
                .maxRetries(0)
                .build();
    }

    static ModelSettings settings(Config config) {
        return ModelSettings.builder(config.getOptionalValue(OPENAI + "chat-model.model-name", String.class).orElse("gpt-4o-mini"))
                .temperature(config.getOptionalValue(OPENAI + "chat-model.temperature", Double.class).orElse(0.0))
                .maxTokens(config.getOptionalValue(OPENAI + "chat-model.max-tokens", Integer.class).orElse(512))
                .timeout(config.getOptionalValue(OPENAI + "timeout", Duration.class).orElse(Duration.ofSeconds(10)))
                .maxAttempts(config.getOptionalValue("mesh.judgment.max-attempts", Integer.class).orElse(3))
                .prices(config.getOptionalValue("mesh.judgment.price.input-per-million", Double.class).orElse(0.0),
                        config.getOptionalValue("mesh.judgment.price.output-per-million", Double.class).orElse(0.0))
                .build();
    }
}
