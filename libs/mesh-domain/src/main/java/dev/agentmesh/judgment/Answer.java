package dev.agentmesh.judgment;

import java.util.Map;

/** A judgment: the verdict, one line a person can act on, and the evidence cited. */
public record Answer(String verdict, String summary, Map<String, String> evidence) {

    public Answer {
        evidence = Map.copyOf(evidence);
    }
}
