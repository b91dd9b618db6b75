package dev.agentmesh.judgment;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Answers model calls from the log's {@link ModelCalled} events, in their order per prompt: replay spends nothing
 * and calls nothing. A prompt that was never recorded fails loudly.
 */
public final class RecordedModelPort implements ModelPort {

    private final Map<String, Deque<ModelCalled>> byPrompt = new HashMap<>();
    private int answered;

    public RecordedModelPort(List<ModelCalled> recorded) {
        for (ModelCalled call : recorded) {
            if (call.getOutcome() != ModelCallOutcome.REFUSED_BUDGET) {
                byPrompt.computeIfAbsent(call.getPromptHash(), h -> new ArrayDeque<>()).add(call);
            }
        }
    }

    @Override
    public ModelReply complete(ModelPrompt prompt) {
        Deque<ModelCalled> queue = byPrompt.get(prompt.hash());
        if (queue == null || queue.isEmpty()) {
            throw new ReplayMismatchException("the prompt rendered now (" + prompt.hash() + ") matches no recorded call"
                    + (queue == null ? "" : " left") + "; recorded prompts: " + byPrompt.keySet());
        }
        ModelCalled call = queue.poll();
        answered++;
        return switch (call.getOutcome()) {
            case ANSWERED, MALFORMED -> new ModelReply(call.getResponse(), call.getInputTokens(), call.getOutputTokens(),
                    call.getLatencyMs());
            default -> throw new ModelCallException(call.getOutcome(), call.getReason(), call.getLatencyMs());
        };
    }

    /** How many calls were answered from the recording. */
    public int answered() {
        return answered;
    }
}
