package dev.agentmesh.runstate;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;

/**
 * A run's triage: the requests people made, the refusals, and each triage the supervisor opened (one per failure,
 * stall or request, by its cause's event id) with the investigators' findings and the synthesis. The latest opened
 * triage is the current one.
 */
public record TriageState(
        SortedMap<String, Request> requests,
        SortedMap<String, Refusal> refusals,
        SortedMap<String, Opened> opened,
        SortedMap<String, Finding> findings,
        SortedMap<String, Diagnosis> diagnoses) {

    /** A person's request, by its event id. */
    public record Request(String requestedBy, String note, String grantId, int depth, Instant at, String eventId) {
    }

    /** A triage refused before any investigation: past its grant's depth, or without a grant that allows it. */
    public record Refusal(String refusedEventId, int depth, int maxDepth, String reason, String eventId) {
    }

    public record Opened(String triageId, List<String> classes, List<String> investigators, int maxSteps,
                         Instant deadline, String grantId, int depth, Instant at, String eventId, String classifiedBy) {
    }

    /** One investigator's answer; exactly one of data, training, access and infra is set. */
    public record Finding(String triageId, String investigator, String failureClass, String summary, Data data,
                          Training training, Access access, Infra infra, String agentInstance, Instant at, String eventId) {

        /** The finding's evidence, a line each, as a person reads it (CLI, console). */
        public List<String> evidenceLines() {
            if (data != null) {
                return List.of("rejected by column " + data.rejectedByColumn() + " of " + data.rowsIn() + " rows",
                        "sample rows " + data.sampleRows(), String.join("; ", data.evidence()));
            }
            if (training != null) {
                return training.failed().stream().map(c -> c.cellId() + " " + c.status() + " (attempt " + c.attempt()
                        + ", " + c.architecture() + ", learning rate " + c.learningRate() + ", batch " + c.batchSize() + ", "
                        + c.epochs() + " epochs" + (c.step() == null ? "" : ", step " + c.step()) + "): " + c.reason()
                        + " [event " + c.evidence() + "]").toList();
            }
            if (access != null) {
                return access.refusals().stream().map(r -> (r.grantId() == null ? "" : "grant " + r.grantId() + " ")
                        + r.what() + ": " + r.reason() + " [" + r.evidence() + "]").toList();
            }
            if (infra != null) {
                return List.of(infra.stage() + " " + infra.status() + " on " + infra.agent() + ", silent "
                        + infra.silentForMs() / 1000 + " s [" + String.join(", ", infra.evidence()) + "]");
            }
            return List.of();
        }
    }

    public record Data(long rowsIn, long rowsRejected, SortedMap<String, Long> rejectedByColumn, List<String> sampleRows,
                       List<String> evidence) {
    }

    public record Training(int cellsSucceeded, List<Cell> failed) {
    }

    public record Cell(String cellId, String status, String reason, String step, String architecture, double learningRate,
                       int batchSize, int epochs, int attempt, String evidence) {
    }

    public record Access(List<AccessRefusal> refusals) {
    }

    public record AccessRefusal(String grantId, String what, String reason, String evidence) {
    }

    public record Infra(String stage, String status, String reason, String agent, long silentForMs, List<String> evidence) {
    }

    public record Diagnosis(String triageId, List<String> classes, String summary, List<String> answered,
                            List<String> missing, String remediationKind, String remediation, String command,
                            Instant at, String eventId) {
    }

    /** The triage opened last (by time, then id), if any. */
    public Optional<Opened> current() {
        return opened.values().stream()
                .max((a, b) -> a.at().equals(b.at()) ? a.triageId().compareTo(b.triageId()) : a.at().compareTo(b.at()));
    }

    public Optional<Diagnosis> currentDiagnosis() {
        return current().map(o -> diagnoses.get(o.triageId()));
    }

    /** The current triage's findings, by investigator. */
    public List<Finding> currentFindings() {
        return current().map(o -> findings.values().stream().filter(f -> f.triageId().equals(o.triageId())).toList())
                .orElse(List.of());
    }

    /** Requests the supervisor has neither opened a triage for nor refused. */
    public List<Request> pendingRequests() {
        return requests.values().stream()
                .filter(r -> !opened.containsKey(r.eventId()) && refusals.values().stream()
                        .noneMatch(x -> x.refusedEventId().equals(r.eventId())))
                .toList();
    }
}
