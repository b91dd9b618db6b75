package dev.agentmesh.runstate;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.gate.DelegationRefused;
import dev.agentmesh.triage.AccessFinding;
import dev.agentmesh.triage.DataFinding;
import dev.agentmesh.triage.InfraFinding;
import dev.agentmesh.triage.InvestigationRequested;
import dev.agentmesh.triage.InvestigationReturned;
import dev.agentmesh.triage.RunDiagnosed;
import dev.agentmesh.triage.TrainingFinding;
import dev.agentmesh.triage.TriageOpened;
import dev.agentmesh.triage.TriageRequested;

import java.util.List;
import java.util.SortedMap;
import java.util.function.Function;
import java.util.TreeMap;

/**
 * Folds triage events into {@link TriageState}. Of two versions of one fact (a triage opened again after a restart,
 * a second answer from one investigator) the lowest event id wins, so the fold is order-independent.
 */
final class TriageReducer {

    /** Roles of the triage supervisor and its investigators start with this. */
    static final String ROLE_PREFIX = "triage";

    private TriageReducer() {
    }

    static boolean handles(Object payload) {
        return payload instanceof TriageRequested || payload instanceof TriageOpened
                || payload instanceof InvestigationRequested || payload instanceof InvestigationReturned
                || payload instanceof RunDiagnosed
                || payload instanceof DelegationRefused d && d.getAgentRole().startsWith(ROLE_PREFIX);
    }

    static TriageState empty() {
        return new TriageState(SortedArrayMap.empty(), SortedArrayMap.empty(),
                SortedArrayMap.empty(), SortedArrayMap.empty(), SortedArrayMap.empty());
    }

    static TriageState apply(TriageState triage, Envelope envelope, Object payload) {
        if (triage == null) {
            triage = empty();
        }
        String id = envelope.getEventId();
        if (payload instanceof TriageRequested r) {
            return new TriageState(keepLowest(triage.requests(), id, new TriageState.Request(r.getRequestedBy(), r.getNote(),
                    envelope.getGrantId(), envelope.getDelegationDepth(), envelope.getOccurredAt(), id), TriageState.Request::eventId),
                    triage.refusals(), triage.opened(), triage.findings(), triage.diagnoses());
        }
        if (payload instanceof DelegationRefused d) {
            return new TriageState(triage.requests(), keepLowest(triage.refusals(), d.getRefusedEventId(),
                    new TriageState.Refusal(d.getRefusedEventId(), d.getDelegationDepth(), d.getMaxDepth(), d.getReason(), id),
                    TriageState.Refusal::eventId), triage.opened(), triage.findings(), triage.diagnoses());
        }
        if (payload instanceof TriageOpened o) {
            return new TriageState(triage.requests(), triage.refusals(), keepLowest(triage.opened(), o.getTriageId(),
                    new TriageState.Opened(o.getTriageId(), List.copyOf(o.getClasses()), List.copyOf(o.getInvestigators()),
                            o.getMaxSteps(), o.getDeadline(), envelope.getGrantId(), envelope.getDelegationDepth(),
                            envelope.getOccurredAt(), id, o.getClassifiedBy()), TriageState.Opened::eventId),
                    triage.findings(), triage.diagnoses());
        }
        if (payload instanceof InvestigationReturned r) {
            TriageState.Finding finding = new TriageState.Finding(r.getTriageId(), r.getInvestigator(), r.getFailureClass(),
                    r.getSummary(), data(r.getFinding()), training(r.getFinding()), access(r.getFinding()),
                    infra(r.getFinding()), envelope.getAgentInstance(), envelope.getOccurredAt(), id);
            return new TriageState(triage.requests(), triage.refusals(), triage.opened(),
                    keepLowest(triage.findings(), r.getTriageId() + "/" + r.getInvestigator(), finding,
                            TriageState.Finding::eventId), triage.diagnoses());
        }
        if (payload instanceof RunDiagnosed d) {
            var remedy = d.getRemediation();
            return new TriageState(triage.requests(), triage.refusals(), triage.opened(), triage.findings(),
                    keepLowest(triage.diagnoses(), d.getTriageId(), new TriageState.Diagnosis(d.getTriageId(),
                            List.copyOf(d.getClasses()), d.getSummary(), List.copyOf(d.getAnswered()),
                            List.copyOf(d.getMissing()), remedy.getKind().name(), remedy.getDescription(),
                            remedy.getCommand(), envelope.getOccurredAt(), id), TriageState.Diagnosis::eventId));
        }
        return triage; // InvestigationRequested: its facts are the opened triage's
    }

    private static <V> SortedArrayMap<V> keepLowest(SortedMap<String, V> known, String key, V value,
                                                             Function<V, String> eventId) {
        V before = known.get(key);
        SortedArrayMap<V> map = SortedArrayMap.of(known);
        return before != null && eventId.apply(before).compareTo(eventId.apply(value)) <= 0 ? map : map.with(key, value);
    }

    private static TriageState.Data data(Object finding) {
        if (!(finding instanceof DataFinding d)) {
            return null;
        }
        return new TriageState.Data(d.getRowsIn(), d.getRowsRejected(), SortedArrayMap.of(d.getRejectedByColumn()),
                List.copyOf(d.getSampleRows()), List.copyOf(d.getEvidence()));
    }

    private static TriageState.Training training(Object finding) {
        if (!(finding instanceof TrainingFinding t)) {
            return null;
        }
        return new TriageState.Training(t.getCellsSucceeded(), t.getFailed().stream().map(c -> new TriageState.Cell(
                c.getCellId(), c.getStatus(), c.getReason(), c.getStep(), c.getArchitecture(), c.getLearningRate(),
                c.getBatchSize(), c.getEpochs(), c.getAttempt(), c.getEvidence())).toList());
    }

    private static TriageState.Access access(Object finding) {
        if (!(finding instanceof AccessFinding a)) {
            return null;
        }
        return new TriageState.Access(a.getRefusals().stream().map(r -> new TriageState.AccessRefusal(r.getGrantId(),
                r.getWhat(), r.getReason(), r.getEvidence())).toList());
    }

    private static TriageState.Infra infra(Object finding) {
        if (!(finding instanceof InfraFinding i)) {
            return null;
        }
        return new TriageState.Infra(i.getStage(), i.getStatus(), i.getReason(), i.getAgent(), i.getSilentForMs(),
                List.copyOf(i.getEvidence()));
    }
}
