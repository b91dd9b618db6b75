package dev.agentmesh.meshctl;

import dev.agentmesh.runstate.TriageState;

/** The triage supervisor's diagnosis of a run, as text: findings with their evidence, who is missing, the proposal. */
final class TriageReport {

    private TriageReport() {
    }

    static String text(TriageState triage) {
        StringBuilder out = new StringBuilder();
        if (triage == null) {
            return "";
        }
        triage.refusals().values().forEach(r -> out.append("  triage refused (depth ").append(r.depth()).append(", max ")
                .append(r.maxDepth()).append("): ").append(r.reason()).append('\n'));
        triage.current().ifPresent(opened -> {
            out.append("  triage ").append(opened.triageId()).append(": ").append(String.join(", ", opened.classes()))
                    .append(" -> ").append(String.join(", ", opened.investigators())).append('\n');
            for (TriageState.Finding f : triage.currentFindings()) {
                out.append("    ").append(f.investigator()).append(": ").append(f.summary()).append('\n');
                f.evidenceLines().forEach(e -> out.append("      evidence: ").append(e).append('\n'));
            }
            TriageState.Diagnosis d = triage.currentDiagnosis().orElse(null);
            if (d == null) {
                out.append("    investigating until ").append(opened.deadline()).append('\n');
                return;
            }
            d.missing().forEach(m -> out.append("    ").append(m).append(": MISSING (no answer by ").append(opened.deadline())
                    .append(")\n"));
            out.append("  proposed (").append(d.remediationKind()).append("): ").append(d.remediation()).append('\n');
            if (d.command() != null) {
                out.append("    apply: ").append(d.command()).append("   (or: meshctl runs diagnose RUN --apply)\n");
            }
        });
        return out.toString();
    }
}
