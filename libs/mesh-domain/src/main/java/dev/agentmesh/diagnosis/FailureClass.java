package dev.agentmesh.diagnosis;

/** What kind of failure a run had, and the investigator each kind is routed to. */
public enum FailureClass {
    DATA(Investigators.DATA),
    SCHEMA(Investigators.DATA),
    TRAINING(Investigators.TRAINING),
    AUTHORISATION(Investigators.ACCESS),
    BUDGET(Investigators.ACCESS),
    INFRASTRUCTURE(Investigators.INFRA);

    private final String investigator;

    FailureClass(String investigator) {
        this.investigator = investigator;
    }

    public String investigator() {
        return investigator;
    }

    /** The investigators' roles: each answers the investigations addressed to it. */
    public static final class Investigators {
        public static final String DATA = "triage-data";
        public static final String TRAINING = "triage-training";
        public static final String ACCESS = "triage-access";
        public static final String INFRA = "triage-infra";

        private Investigators() {
        }
    }
}
