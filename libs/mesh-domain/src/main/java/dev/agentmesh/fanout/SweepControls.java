package dev.agentmesh.fanout;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.grants.ActionRequest;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.Resources;
import dev.agentmesh.sweep.SweepControl;

import java.time.Instant;

/** What a cancellation must be authorised for: compute on its own run, under the grant it names. */
public final class SweepControls {

    private SweepControls() {
    }

    /** Judged with {@code GrantLedger.authorizeStop}: a grant that started the work may still stop it. */
    public static ActionRequest requiredAuthority(SweepControl control, Instant now) {
        Envelope envelope = control.getEnvelope();
        return new ActionRequest(envelope.getGrantId(), Actions.SPEND_COMPUTE, Resources.run(envelope.getRunId()),
                envelope.getDelegationDepth(), 0, now);
    }
}
