package dev.agentmesh.judgment;

/** A language model behind an OpenAI-compatible endpoint, or a recording of one (replay). */
@FunctionalInterface
public interface ModelPort {

    /** @throws ModelCallException when no answer came back */
    ModelReply complete(ModelPrompt prompt);
}
