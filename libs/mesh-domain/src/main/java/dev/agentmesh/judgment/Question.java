package dev.agentmesh.judgment;

/**
 * What a role asks: {@code purpose} names the call in the trail ({@code assessment:risk-fairness},
 * {@code debate:judge}); the system prompt fixes the role, {@code facts} is the evidence it judges.
 */
public record Question(String purpose, String system, String facts, AnswerSchema schema) {
}
