package dev.agentmesh.testing;

import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.GrantKeys;
import dev.agentmesh.kafka.GrantPublisher;
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

    /** principal → operator → sweep orchestrator, each signed by its grantor; returns the two grant ids, root first. */
    public static List<String> publishChain(String bootstrap, KeyPair principal, Long budgetComputeMs) {
        KeyPair operator = GrantKeys.generate();
        List<String> actions = List.of(Actions.SCHEDULE_RUNS, Actions.SPEND_COMPUTE, Actions.WRITE_CHECKPOINTS);
        GrantIssued root = Grants.root(principal, "principal", "pipeline-operator", operator.getPublic(),
                Grants.scope(actions, List.of("pipeline:nightly", "run:*"), budgetComputeMs), Instant.now().plusSeconds(3600), 3);
        GrantIssued child = Grants.delegate(root, operator, "sweep-orchestrator", GrantKeys.generate().getPublic(),
                Grants.scope(List.of(Actions.SPEND_COMPUTE, Actions.WRITE_CHECKPOINTS), List.of("run:*"), budgetComputeMs),
                root.getExpiresAt(), 3);
        try (GrantPublisher publisher = new GrantPublisher(bootstrap, SerdeSettings.kafkaTopicStore(bootstrap), "test")) {
            publisher.publish(root);
            publisher.publish(child);
        }
        return List.of(root.getGrantId(), child.getGrantId());
    }

    /** A root grant from {@code principal} for {@code actions} on nightly runs, within an optional budget. */
    public static String publishRoot(String bootstrap, KeyPair principal, List<String> actions, Long budgetComputeMs) {
        return publishRoot(bootstrap, principal, actions, budgetComputeMs, null);
    }

    /** As above, with a budget of language-model tokens too. */
    public static String publishRoot(String bootstrap, KeyPair principal, List<String> actions, Long budgetComputeMs,
                                     Long budgetTokens) {
        GrantIssued grant = Grants.root(principal, "principal", "pipeline-operator", GrantKeys.generate().getPublic(),
                Grants.scope(actions, List.of("pipeline:nightly", "run:*"), budgetComputeMs, budgetTokens, null),
                Instant.now().plusSeconds(3600), 2);
        try (GrantPublisher publisher = new GrantPublisher(bootstrap, SerdeSettings.kafkaTopicStore(bootstrap), "test")) {
            publisher.publish(grant);
        }
        return grant.getGrantId();
    }
}
