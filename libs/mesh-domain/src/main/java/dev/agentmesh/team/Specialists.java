package dev.agentmesh.team;

import java.util.List;

/** The specialist roles of the gate, as they are named in policies, requests and assessments. */
public final class Specialists {

    private Specialists() {
    }

    public static final String MODEL_QUALITY = "model-quality";
    public static final String RISK_FAIRNESS = "risk-fairness";
    public static final String COST = "cost";
    public static final String DEPLOYMENT_ENGINEER = "deployment-engineer";

    public static final List<String> ALL = List.of(MODEL_QUALITY, RISK_FAIRNESS, COST, DEPLOYMENT_ENGINEER);
}
