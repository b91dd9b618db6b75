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

    /** Assessment metrics a reader draws: risk-fairness's PSI per column and its thresholds, cost's month against budget. */
    public static final class Metrics {
        public static final String PSI_PREFIX = "psi.";
        public static final String PSI_CONCERN = "psi-threshold.concern";
        public static final String PSI_BLOCK = "psi-threshold.block";
        public static final String COST_PER_MONTH = "cost-per-month";
        public static final String BUDGET_PER_MONTH = "budget-per-month";

        private Metrics() {
        }
    }
}
