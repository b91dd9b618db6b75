package dev.agentmesh.meshctl;

import dev.agentmesh.grants.Resources;
import java.util.HashMap;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.diagnosis.TriageDecider;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.GrantKeys;
import dev.agentmesh.kafka.GrantPublisher;
import dev.agentmesh.grants.Grants;
import dev.agentmesh.serde.SerdeSettings;

import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The principal's side of the demo: its keys, the services' trust in them, and the nightly root grant. */
public final class PrincipalTools {

    public static final String PRINCIPAL = Grants.PRINCIPAL;
    public static final String OPERATOR = "pipeline-operator";
    public static final String ORCHESTRATOR = "sweep-orchestrator";
    public static final String COORDINATOR = "coordinator";
    public static final String REVIEW = "review";
    /** Compute the gate's assessments may spend, in ms. */
    static final long GATE_BUDGET_MS = 120_000;
    public static final String PRINCIPAL_KEY_PROPERTY = "mesh.grants.principal-public-key";
    public static final String AGENT_KEYS_PROPERTY = "mesh.grants.agent-keys-dir";

    private PrincipalTools() {
    }

    /** Config that makes a service trust the principal whose key is in {@code keys}. */
    public static Map<String, String> serviceConfig(Path keys) {
        return Map.of(PRINCIPAL_KEY_PROPERTY, GrantKeys.toBase64(GrantKeys.loadOrCreate(keys, PRINCIPAL).getPublic()));
    }

    /** Where agents' own keys live: apart from the principal's and the operator's, so an agent is given only its own. */
    public static Path agentKeys(Path keys) {
        return keys.resolve("agents");
    }

    /** Config for the sweep orchestrator: trust the principal, and sign trainer grants with its own key. */
    public static Map<String, String> orchestratorConfig(Path keys) {
        GrantKeys.loadOrCreate(agentKeys(keys), ORCHESTRATOR);
        Map<String, String> config = new HashMap<>(serviceConfig(keys));
        config.put(AGENT_KEYS_PROPERTY, agentKeys(keys).toAbsolutePath().toString());
        return config;
    }

    /**
     * pipeline operator → sweep orchestrator: spend compute and write checkpoints on {@code resource}, within
     * {@code budgetMs}, signed with the operator's key, naming the orchestrator's own public key.
     */
    public static GrantIssued issueSweepGrant(String bootstrap, Path keys, GrantIssued operatorGrant, String resource, long budgetMs) {
        KeyPair operator = GrantKeys.loadOrCreate(keys, OPERATOR);
        KeyPair orchestrator = GrantKeys.loadOrCreate(agentKeys(keys), ORCHESTRATOR);
        GrantIssued grant = Grants.delegate(operatorGrant, operator, ORCHESTRATOR, orchestrator.getPublic(),
                Grants.scope(List.of(Actions.SPEND_COMPUTE, Actions.WRITE_CHECKPOINTS), List.of(resource), budgetMs),
                operatorGrant.getExpiresAt(), operatorGrant.getMaxDepth());
        try (GrantPublisher publisher = new GrantPublisher(bootstrap, SerdeSettings.kafkaTopicStore(bootstrap), "meshctl")) {
            publisher.publish(grant);
        }
        return grant;
    }

    /**
     * pipeline operator → coordinator: deploy (and spend compute on the specialists' assessments) on {@code resource};
     * the specialists act under it one delegation level below the coordinator.
     */
    public static GrantIssued issueGateGrant(String bootstrap, Path keys, GrantIssued operatorGrant, String resource) {
        KeyPair operator = GrantKeys.loadOrCreate(keys, OPERATOR);
        GrantIssued grant = Grants.delegate(operatorGrant, operator, COORDINATOR, GrantKeys.generate().getPublic(),
                Grants.scope(List.of(Actions.DEPLOY, Actions.SPEND_COMPUTE), List.of(resource), GATE_BUDGET_MS),
                operatorGrant.getExpiresAt(), operatorGrant.getMaxDepth());
        try (GrantPublisher publisher = new GrantPublisher(bootstrap, SerdeSettings.kafkaTopicStore(bootstrap), "meshctl")) {
            publisher.publish(grant);
        }
        return grant;
    }

    /** The principal's own root grant to decide one returned run, for an hour; it cannot be delegated. */
    public static GrantIssued issueDecisionGrant(String bootstrap, Path keys, String runId) {
        KeyPair principal = GrantKeys.loadOrCreate(keys, PRINCIPAL);
        GrantIssued grant = Grants.root(principal, PRINCIPAL, PRINCIPAL, principal.getPublic(),
                Grants.scope(List.of(Actions.DECIDE), List.of(Resources.run(runId)), null),
                Instant.now().plus(Duration.ofHours(1)), 0);
        try (GrantPublisher publisher = new GrantPublisher(bootstrap, SerdeSettings.kafkaTopicStore(bootstrap), "meshctl")) {
            publisher.publish(grant);
        }
        return grant;
    }

    /** The principal's root grant to the review service: act on review items (re-drive, discard, escalate), for a day. */
    public static GrantIssued issueReviewGrant(String bootstrap, Path keys) {
        KeyPair principal = GrantKeys.loadOrCreate(keys, PRINCIPAL);
        GrantIssued grant = Grants.root(principal, PRINCIPAL, REVIEW, GrantKeys.generate().getPublic(),
                Grants.scope(List.of(Actions.REVIEW), List.of(Resources.reviewItem("*")), null),
                Instant.now().plus(Duration.ofDays(1)), 0);
        try (GrantPublisher publisher = new GrantPublisher(bootstrap, SerdeSettings.kafkaTopicStore(bootstrap), "meshctl")) {
            publisher.publish(grant);
        }
        return grant;
    }

    /**
     * principal → triage supervisor: read runs (their state, failures and sources) for a day. The supervisor acts
     * one level below it and its investigators one further, so a person's request at depth 0 fits in max depth 3.
     */
    public static GrantIssued issueTriageGrant(String bootstrap, Path keys) {
        KeyPair principal = GrantKeys.loadOrCreate(keys, PRINCIPAL);
        GrantIssued grant = Grants.root(principal, PRINCIPAL, TriageDecider.ROLE, GrantKeys.generate().getPublic(),
                Grants.scope(List.of(Actions.READ), List.of(Resources.run("*")), null),
                Instant.now().plus(Duration.ofDays(1)), TRIAGE_MAX_DEPTH);
        try (GrantPublisher publisher = new GrantPublisher(bootstrap, SerdeSettings.kafkaTopicStore(bootstrap), "meshctl")) {
            publisher.publish(grant);
        }
        return grant;
    }

    static final int TRIAGE_MAX_DEPTH = 3;

    /** The embedded review service's logins (its application.properties defaults), for the demo's context. */
    public static final String REVIEW_PRINCIPAL_USER = "alice";
    public static final String REVIEW_PRINCIPAL_PASSWORD = "alice-principal";

    /**
     * Config for the review service: trust the principal, act on review items under the principal's review grant, and
     * decide returned runs under the principal's own decision grant.
     */
    public static Map<String, String> reviewConfig(Path keys, String bootstrap) {
        Map<String, String> config = new HashMap<>(serviceConfig(keys));
        config.put("mesh.review.principal-grant", issueDecisionGrant(bootstrap, keys, "*").getGrantId());
        config.put("mesh.review.grant", issueReviewGrant(bootstrap, keys).getGrantId());
        return config;
    }

    /** Every service's config for a whole mesh: trust the principal; the orchestrator's and review's own additions. */
    public static Map<String, Map<String, String>> meshConfig(Path keys, String bootstrap) {
        Map<String, Map<String, String>> config = new HashMap<>();
        MeshServices.SERVICES.forEach(s -> config.put(s, serviceConfig(keys)));
        config.put(ORCHESTRATOR, orchestratorConfig(keys));
        config.put("review", reviewConfig(keys, bootstrap));
        return config;
    }

    /** principal → pipeline operator: schedule nightly runs and what they need, for a day. */
    public static GrantIssued issueNightlyGrant(String bootstrap, Path keys) {
        KeyPair principal = GrantKeys.loadOrCreate(keys, PRINCIPAL);
        KeyPair operator = GrantKeys.loadOrCreate(keys, OPERATOR);
        GrantIssued grant = Grants.root(principal, PRINCIPAL, OPERATOR, operator.getPublic(),
                Grants.scope(List.of(Actions.SCHEDULE_RUNS, Actions.SPEND_COMPUTE, Actions.WRITE_CHECKPOINTS,
                        Actions.DEPLOY, Actions.DECIDE), List.of("pipeline:nightly", "run:*"), Duration.ofHours(1).toMillis()),
                Instant.now().plus(Duration.ofDays(1)), 4);
        try (GrantPublisher publisher = new GrantPublisher(bootstrap, SerdeSettings.kafkaTopicStore(bootstrap), "meshctl")) {
            publisher.publish(grant);
        }
        return grant;
    }
}
