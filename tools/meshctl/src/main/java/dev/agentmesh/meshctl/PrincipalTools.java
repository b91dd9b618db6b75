package dev.agentmesh.meshctl;

import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.GrantKeys;
import dev.agentmesh.grants.GrantPublisher;
import dev.agentmesh.grants.Grants;
import dev.agentmesh.serde.SerdeSettings;

import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The principal's side of the demo: its keys, the services' trust in them, and the nightly root grant. */
final class PrincipalTools {

    static final String PRINCIPAL = "principal";
    static final String OPERATOR = "pipeline-operator";
    static final String PRINCIPAL_KEY_PROPERTY = "mesh.grants.principal-public-key";

    private PrincipalTools() {
    }

    /** Config that makes a service trust the principal whose key is in {@code keys}. */
    static Map<String, String> serviceConfig(Path keys) {
        return Map.of(PRINCIPAL_KEY_PROPERTY, GrantKeys.toBase64(GrantKeys.loadOrCreate(keys, PRINCIPAL).getPublic()));
    }

    /** principal → pipeline operator: schedule nightly runs and what they need, for a day. */
    static GrantIssued issueNightlyGrant(String bootstrap, Path keys) {
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
