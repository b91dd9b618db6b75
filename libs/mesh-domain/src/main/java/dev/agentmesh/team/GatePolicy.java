package dev.agentmesh.team;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.agentmesh.core.ShippedYaml;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;

/** The coordinator's gate policy, read from YAML ({@code gates/<name>.yaml} on the classpath, or a file path). */
public record GatePolicy(
        String name,
        List<String> specialists,
        @JsonProperty("assessment_timeout") Duration assessmentTimeout,
        @JsonProperty("return_when") ReturnWhen returnWhen,
        Debate debate) {

    public static final String DEFAULT = "default";
    /** The model registry alias the gate moves when it ships, and the specialists compare against. */
    public static final String PRODUCTION_ALIAS = "production";

    /** The conflict rule: a block, or at least this many concerns, returns the run to the principal. */
    public record ReturnWhen(@JsonProperty("any_block") boolean anyBlock,
                             @JsonProperty("concerns_at_least") int concernsAtLeast) {
        public String describe() {
            return (anyBlock ? "any block" : "no block rule") + ", or at least " + concernsAtLeast + " concerns";
        }
    }

    /**
     * When the assessments conflict (one approves, another's verdict would return the run), advocates for shipping
     * and for holding argue for {@code rounds} rounds and a judge rules. A judge that may only recommend leaves the
     * run with the principal, carrying the ruling; one that decides ships, holds or returns it.
     */
    public record Debate(@JsonProperty("open_when") OpenWhen openWhen, int rounds, JudgeMay judge) {
        public enum OpenWhen { CONFLICT, NEVER }

        public enum JudgeMay { RECOMMEND, DECIDE }

        public static final Debate NEVER = new Debate(OpenWhen.NEVER, 1, JudgeMay.RECOMMEND);

        public String describe() {
            return openWhen == OpenWhen.NEVER ? "no debate" : "debate on conflict, " + rounds + " round"
                    + (rounds == 1 ? "" : "s") + ", the judge " + (judge == JudgeMay.DECIDE ? "decides" : "recommends");
        }
    }

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .registerModule(new JavaTimeModule())
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
            .configure(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS, true);

    public static GatePolicy load(String nameOrPath) {
        return ShippedYaml.load("gates", nameOrPath, "gate policy", GatePolicy::read);
    }

    public static GatePolicy read(InputStream yaml) {
        try {
            return YAML.readValue(yaml, GatePolicy.class).checked();
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid gate policy: " + e.getMessage(), e);
        }
    }

    public GatePolicy withTimeout(Duration timeout) {
        return new GatePolicy(name, specialists, timeout, returnWhen, debate).checked();
    }

    /** The debate settings; a policy that names none never debates. */
    public Debate debateOrNever() {
        return debate == null ? Debate.NEVER : debate;
    }

    GatePolicy checked() {
        require(debate == null || (debate.openWhen() != null && debate.judge() != null && debate.rounds() >= 1
                && debate.rounds() <= 5), "debate needs open_when, judge, and 1 to 5 rounds");
        require(specialists != null && !specialists.isEmpty() && specialists.stream().distinct().count() == specialists.size(),
                "at least one specialist, each named once");
        require(assessmentTimeout != null && !assessmentTimeout.isNegative() && !assessmentTimeout.isZero(),
                "assessment_timeout must be positive");
        require(returnWhen != null && returnWhen.concernsAtLeast() > 0, "return_when.concerns_at_least must be positive");
        return this;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("invalid gate policy: " + message);
        }
    }
}
