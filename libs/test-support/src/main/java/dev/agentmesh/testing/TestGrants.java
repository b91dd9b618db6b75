package dev.agentmesh.testing;

import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.GrantKeys;
import dev.agentmesh.grants.GrantPublisher;
import dev.agentmesh.grants.Grants;
import dev.agentmesh.serde.SerdeSettings;

import java.security.KeyPair;
import java.time.Instant;
import java.util.List;

/** Grants for service tests, written to the real grants topic. */
public final class TestGrants {

    private TestGrants() {
    }

    /** A root grant from {@code principal} for nightly runs: schedule them and spend compute on them. */
    public static String publishNightlyRoot(String bootstrap, KeyPair principal) {
        return publishRoot(bootstrap, principal, List.of(Actions.SCHEDULE_RUNS, Actions.SPEND_COMPUTE), null);
    }

    /** A root grant from {@code principal} for {@code actions} on nightly runs, within an optional budget. */
    public static String publishRoot(String bootstrap, KeyPair principal, List<String> actions, Long budgetComputeMs) {
        GrantIssued grant = Grants.root(principal, "principal", "pipeline-operator", GrantKeys.generate().getPublic(),
                Grants.scope(actions, List.of("pipeline:nightly", "run:*"), budgetComputeMs),
                Instant.now().plusSeconds(3600), 2);
        try (GrantPublisher publisher = new GrantPublisher(bootstrap, SerdeSettings.kafkaTopicStore(bootstrap), "test")) {
            publisher.publish(grant);
        }
        return grant.getGrantId();
    }
}
