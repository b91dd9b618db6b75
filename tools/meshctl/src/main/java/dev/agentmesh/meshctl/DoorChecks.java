package dev.agentmesh.meshctl;

import dev.agentmesh.contract.DataContract;
import dev.agentmesh.contract.RowValidator;
import dev.agentmesh.contract.SourceCheck;
import dev.agentmesh.contract.TransactionGenerator;
import dev.agentmesh.core.Stages;
import dev.agentmesh.fanout.SweepGrid;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.team.GatePolicy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * What meshctl checks before it publishes a run, so a mistake is reported at once, with what to do, instead of as a
 * failed run later: the contract is known and well-formed, the source is readable, not empty and matches it, the
 * stages exist, the sweep grid and gate policy parse. A refusal exits with {@link #REFUSED}.
 */
final class DoorChecks {

    static final int REFUSED = 2;

    private DoorChecks() {
    }

    /** Prints the problems to stderr and returns {@link #REFUSED}. */
    static int refuse(String what, List<String> problems) {
        System.err.println("meshctl: " + what + ":");
        problems.forEach(p -> System.err.println("  - " + p));
        return REFUSED;
    }

    /** A shipped contract or a YAML file; the exception says which exist and how to draft one. */
    static DataContract contract(String nameOrPath) {
        return DataContract.load(nameOrPath);
    }

    /** What a run with these inputs would fail on at once; empty when it can be triggered. */
    static List<String> run(SourceKind kind, String source, boolean checkSource, String contractName, List<String> stages,
                            String sweepGrid, String gatePolicy) {
        List<String> problems = new ArrayList<>();
        DataContract contract = null;
        try {
            contract = contract(contractName);
        } catch (RuntimeException e) {
            problems.add(e.getMessage());
        }
        if (kind == SourceKind.CSV && checkSource) {
            if (contract != null) {
                problems.addAll(SourceCheck.csv(Path.of(source), contract, 0).problems());
            } else {
                problems.addAll(SourceCheck.unreadable(Path.of(source)));
            }
        } else if (kind == SourceKind.GENERATOR) {
            try {
                TransactionGenerator.Spec.parse(source);
            } catch (RuntimeException e) {
                problems.add("generator spec '" + source + "': " + e.getMessage()
                        + " (for example rows=10000,seed=42,bad=0.01,drift=0.2)");
            }
            if (contract != null) {
                List<String> mismatch = new RowValidator(contract).headerProblems(new HashSet<>(TransactionGenerator.HEADER));
                if (!mismatch.isEmpty()) {
                    problems.add("the generator's columns do not match contract " + contract.name() + ": "
                            + String.join("; ", mismatch) + " (generated rows follow the transactions contract)");
                }
            }
        }
        for (String stage : stages) {
            if (!Stages.NIGHTLY.contains(stage)) {
                problems.add("unknown stage '" + stage + "' (stages: " + String.join(", ", Stages.NIGHTLY) + ")");
            }
        }
        if (sweepGrid != null) {
            try {
                SweepGrid.load(sweepGrid);
            } catch (RuntimeException e) {
                problems.add("sweep grid: " + e.getMessage());
            }
        }
        if (gatePolicy != null) {
            try {
                GatePolicy.load(gatePolicy);
            } catch (RuntimeException e) {
                problems.add("gate policy: " + e.getMessage());
            }
        }
        return problems;
    }
}
