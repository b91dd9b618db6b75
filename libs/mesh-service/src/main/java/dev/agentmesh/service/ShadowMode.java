package dev.agentmesh.service;

import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.team.ShadowComparison;
import dev.agentmesh.topics.Topics;

import java.util.Map;
import java.util.TreeMap;

/**
 * An agent deployed a second time beside production ({@code mesh.agent.shadow=true}, {@code mesh.agent.version}):
 * it consumes the same inputs in a group of its own and answers only on {@code mesh.shadow}, which nothing acts on.
 * A shadow whose configuration would let it act (its answers on the live topic, or its group shared with production,
 * taking inputs away from it) refuses to start.
 */
public final class ShadowMode {

    private ShadowMode() {
    }

    static void check(String role, String outTopic, String group) {
        if (!Topics.SHADOW.name().equals(outTopic)) {
            throw new IllegalStateException("a shadow " + role + " answers only on " + Topics.SHADOW.name()
                    + ": set mp.messaging.outgoing.run-events-out.topic=" + Topics.SHADOW.name() + " (it is " + outTopic + ")");
        }
        if (role.equals(group)) {
            throw new IllegalStateException("a shadow " + role + " needs a consumer group of its own (it is " + group
                    + ", production's): set mp.messaging.incoming.run-events.group.id, e.g. " + role + "-shadow");
        }
    }

    static AssessmentReturned label(AssessmentReturned answer, String version) {
        Map<String, String> evidence = new TreeMap<>(answer.getEvidence());
        evidence.put(ShadowComparison.VERSION_KEY, version);
        return AssessmentReturned.newBuilder(answer).setEvidence(evidence).build();
    }
}
