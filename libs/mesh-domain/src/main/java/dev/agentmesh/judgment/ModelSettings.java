package dev.agentmesh.judgment;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a role calls its model: which model, its sampling parameters, how many attempts an answer gets, and the price
 * of its tokens (per million, in the configured currency; so also millionths per token).
 */
public record ModelSettings(String model, int maxTokens, double temperature, Duration timeout, int maxAttempts,
                            double inputPricePerMillion, double outputPricePerMillion) {

    public ModelSettings {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("a model name is required");
        }
        if (maxTokens <= 0 || maxAttempts <= 0 || timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("max tokens, attempts and the timeout must be positive");
        }
    }

    /** The settings a recorded call was made with (its model and parameters), for replay. */
    public static ModelSettings recorded(String model, Map<String, String> parameters, int maxAttempts) {
        return builder(model)
                .maxTokens(Integer.parseInt(parameters.getOrDefault("max_tokens", "512")))
                .temperature(Double.parseDouble(parameters.getOrDefault("temperature", "0.0")))
                .timeout(Duration.parse(parameters.getOrDefault("timeout", "PT30S")))
                .maxAttempts(maxAttempts)
                .prices(Double.parseDouble(parameters.getOrDefault("price_input_per_million", "0.0")),
                        Double.parseDouble(parameters.getOrDefault("price_output_per_million", "0.0")))
                .build();
    }

    public static Builder builder(String model) {
        return new Builder(model);
    }

    /** What was sent besides the prompt, as recorded with each call. */
    public Map<String, String> parameters() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("temperature", String.valueOf(temperature));
        p.put("max_tokens", String.valueOf(maxTokens));
        p.put("timeout", timeout.toString());
        p.put("price_input_per_million", String.valueOf(inputPricePerMillion));
        p.put("price_output_per_million", String.valueOf(outputPricePerMillion));
        return p;
    }

    public long moneyMicros(long inputTokens, long outputTokens) {
        return Math.round(inputTokens * inputPricePerMillion + outputTokens * outputPricePerMillion);
    }

    public static final class Builder {
        private final String model;
        private int maxTokens = 512;
        private double temperature = 0.0;
        private Duration timeout = Duration.ofSeconds(30);
        private int maxAttempts = 3;
        private double inputPrice;
        private double outputPrice;

        private Builder(String model) {
            this.model = model;
        }

        public Builder maxTokens(int maxTokens) {
            this.maxTokens = maxTokens;
            return this;
        }

        public Builder temperature(double temperature) {
            this.temperature = temperature;
            return this;
        }

        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        public Builder prices(double inputPerMillion, double outputPerMillion) {
            this.inputPrice = inputPerMillion;
            this.outputPrice = outputPerMillion;
            return this;
        }

        public ModelSettings build() {
            return new ModelSettings(model, maxTokens, temperature, timeout, maxAttempts, inputPrice, outputPrice);
        }
    }
}
