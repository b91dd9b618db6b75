package dev.agentmesh.judgment;

/** What a model answered, and what it reported spending. */
public record ModelReply(String text, long inputTokens, long outputTokens, long latencyMs) {
}
