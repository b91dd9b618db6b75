package dev.agentmesh.service;

import dev.agentmesh.judgment.Judgment;

/**
 * Which judgment a role uses for each of its purposes ({@link #ASSESSMENT}, {@link #ADVOCATES}, {@link #JUDGE}):
 * the deterministic rules unless the service is built with libs/mesh-judgment and configured for a model.
 */
public interface Judgments {

    String ASSESSMENT = "assessment";
    String ADVOCATES = "advocates";
    String JUDGE = "judge";

    Judgment judgment(String purpose);
}
