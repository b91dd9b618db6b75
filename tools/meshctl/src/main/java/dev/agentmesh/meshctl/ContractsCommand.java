package dev.agentmesh.meshctl;

import dev.agentmesh.contract.ContractDraft;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.contract.SourceCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Bring your own dataset: draft a contract from a CSV file, and check a file against a contract before any run. */
@Command(name = "contracts", mixinStandardHelpOptions = true,
        description = "Data contracts: draft one from a CSV file, check a file against one.",
        subcommands = {ContractsCommand.Infer.class, ContractsCommand.Check.class})
public class ContractsCommand {

    @Command(name = "infer", mixinStandardHelpOptions = true,
            description = "Draft a contract from a CSV file (types, ranges, allowed values, a label guess, candidate"
                    + " sensitive attributes) for a person to review.")
    static class Infer implements Callable<Integer> {
        @Option(names = "--csv", required = true, description = "The CSV file, with a header row.")
        Path csv;

        @Option(names = "--name", description = "The contract's name (default: the file's name without .csv).")
        String name;

        @Option(names = {"-o", "--output"}, description = "Write the draft to this YAML file (default: print it).")
        Path output;

        @Override
        public Integer call() {
            List<String> unreadable = SourceCheck.unreadable(csv);
            if (!unreadable.isEmpty()) {
                return DoorChecks.refuse("cannot draft a contract", unreadable);
            }
            String contractName = name != null ? name : csv.getFileName().toString().replaceFirst("\\.csv$", "");
            String draft;
            try {
                draft = ContractDraft.infer(csv, contractName);
            } catch (RuntimeException e) {
                return DoorChecks.refuse("cannot draft a contract", List.of(e.getMessage()));
            }
            if (output == null) {
                System.out.print(draft);
            } else {
                try {
                    Files.writeString(output, draft);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write " + output, e);
                }
                System.out.println("wrote " + output + ": review the label, the sensitive attributes and every range,"
                        + " then use it with --contract " + output);
            }
            return 0;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Validate a CSV file against a contract, as the row-validator would, before any run.")
    static class Check implements Callable<Integer> {
        @Option(names = "--contract", required = true, description = "A shipped contract name or a YAML file path.")
        String contract;

        @Option(names = "--source", required = true, description = "The CSV file.")
        Path source;

        @Override
        public Integer call() {
            DataContract loaded;
            try {
                loaded = DoorChecks.contract(contract);
            } catch (IllegalArgumentException e) {
                return DoorChecks.refuse("cannot check", List.of(e.getMessage()));
            }
            SourceCheck check = SourceCheck.csv(source, loaded, Long.MAX_VALUE);
            if (!check.usable()) {
                return DoorChecks.refuse(source + " cannot be used with contract " + loaded.name(), check.problems());
            }
            System.out.printf("%s against contract %s: %d rows, %d valid, %d would be rejected to review%n",
                    source, loaded.name(), check.rows(), check.valid(), check.rows() - check.valid());
            check.violations().forEach((column, rows) -> System.out.printf("  %-24s %d rows break its rules%n", column, rows));
            check.examples().forEach(e -> System.out.println("  " + e));
            return 0;
        }
    }
}
