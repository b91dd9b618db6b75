package dev.agentmesh.meshctl;

import dev.agentmesh.kafka.client.KafkaClientSettings;
import dev.agentmesh.grant.GrantEvent;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.grants.GrantKeys;
import dev.agentmesh.grants.GrantLedger;
import dev.agentmesh.kafka.GrantPublisher;
import dev.agentmesh.grants.Grants;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "grants", mixinStandardHelpOptions = true, description = "Issue, revoke and inspect grants of authority.",
        subcommands = {GrantsCommand.Issue.class, GrantsCommand.Revoke.class, GrantsCommand.ListGrants.class,
                GrantsCommand.Show.class})
public class GrantsCommand {

    /** Every grant event in log order, and the ledger folded from them as a service would. */
    record Folded(GrantLedger ledger, Map<String, GrantIssued> issued, Map<String, String> refused) {
    }

    static Folded fold(Connection connection, String principalKeyBase64) {
        Map<String, GrantIssued> issued = new LinkedHashMap<>();
        Map<String, String> refused = new LinkedHashMap<>();
        try (LiveGrants grants = LiveGrants.open(connection, principalKeyBase64)) {
            GrantLedger ledger = grants.catchUp((event, decision) -> {
                if (event.getPayload() instanceof GrantIssued g) {
                    issued.putIfAbsent(g.getGrantId(), g);
                    if (!decision.allowed()) {
                        refused.putIfAbsent(g.getGrantId(), decision.reason());
                    }
                }
            });
            return new Folded(ledger, issued, refused);
        }
    }

    static String status(Folded folded, String grantId) {
        if (folded.refused().containsKey(grantId)) {
            return "REFUSED: " + folded.refused().get(grantId);
        }
        return folded.ledger().entry(grantId)
                .map(e -> folded.ledger().chain(grantId).stream().anyMatch(c -> c.revokedReason().isPresent())
                        ? "REVOKED: " + folded.ledger().chain(grantId).stream().map(c -> c.revokedReason().orElse(null))
                        .filter(r -> r != null).findFirst().orElse("")
                        : e.grant().getExpiresAt().isBefore(Instant.now()) ? "EXPIRED" : "VALID")
                .orElse("UNKNOWN");
    }

    @Command(name = "issue", mixinStandardHelpOptions = true,
            description = "Issue a grant: a root grant signed by the principal, or a child signed by the parent's holder.")
    static class Issue implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Option(names = "--grantee", required = true, description = "Role or instance receiving the authority.")
        String grantee;

        @Option(names = "--parent", description = "Parent grant id; omit for a root grant from the principal.")
        String parent;

        @Option(names = "--as", description = "Key name of the parent grant's holder (for --parent).")
        String holder;

        @Option(names = "--action", required = true, split = ",", description = "Actions: schedule-runs, spend-compute, write-checkpoints, deploy, decide, review, read.")
        List<String> actions;

        @Option(names = "--resource", required = true, split = ",", description = "Resources, e.g. pipeline:nightly, run:*.")
        List<String> resources;

        @Option(names = "--budget-ms", description = "Compute budget for the subtree, in milliseconds (default: a delegated"
                + " grant has its parent's).")
        Long budgetMs;

        @Option(names = "--expires-in", description = "Lifetime (default: a root grant 24 hours; a delegated grant expires"
                + " with its parent).")
        Duration expiresIn;

        @Option(names = "--max-depth", description = "Deepest delegation below (default: a root grant 3; a delegated grant"
                + " its parent's).")
        Integer maxDepth;

        @Override
        public Integer call() {
            KeyPair granteeKeys = GrantKeys.loadOrCreate(connection.keysDir, grantee);
            Folded folded = fold(connection, null);
            GrantIssued grant;
            if (parent == null) {
                Instant expiry = Instant.now().plus(expiresIn != null ? expiresIn : Duration.ofHours(24));
                grant = Grants.root(GrantKeys.load(connection.keysDir, PrincipalTools.PRINCIPAL), PrincipalTools.PRINCIPAL,
                        grantee, granteeKeys.getPublic(), Grants.scope(actions, resources, budgetMs), expiry,
                        maxDepth != null ? maxDepth : 3);
            } else {
                GrantIssued parentGrant = folded.issued().get(parent);
                if (parentGrant == null) {
                    return DoorChecks.refuse("grant not issued", List.of("no grant " + parent + " in the ledger"
                            + (folded.refused().containsKey(parent) ? " (it was refused: " + folded.refused().get(parent) + ")" : "")));
                }
                Instant expiry = expiresIn != null ? Instant.now().plus(expiresIn) : parentGrant.getExpiresAt();
                String holderName = holder != null ? holder : parentGrant.getGrantee();
                // what the child does not narrow, it inherits: the parent's budget and expiry
                Long budget = budgetMs != null ? budgetMs : parentGrant.getScope().getBudgetComputeMs();
                grant = Grants.delegate(parentGrant, GrantKeys.load(connection.keysDir, holderName), grantee,
                        granteeKeys.getPublic(), Grants.scope(actions, resources, budget), expiry,
                        maxDepth != null ? maxDepth : parentGrant.getMaxDepth());
            }
            // the ledger every service keeps would refuse it: say so, and publish nothing
            Decision verdict = folded.ledger().issue(grant, Instant.now());
            if (!verdict.allowed()) {
                return DoorChecks.refuse("grant not issued", List.of("the ledger refuses it: " + verdict.reason()));
            }
            String bootstrap = connection.bootstrap();
            try (GrantPublisher publisher = new GrantPublisher(bootstrap,
                    SerdeSettings.forDeployment(connection.registryUrlOrNull(), bootstrap), "meshctl")) {
                publisher.publish(grant);
            }
            System.out.println(grant.getGrantId());
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a grant and everything below it.")
    static class Revoke implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Parameters(index = "0", description = "Grant id.")
        String grantId;

        @Option(names = "--reason", required = true)
        String reason;

        @Option(names = "--as", defaultValue = PrincipalTools.PRINCIPAL, description = "Signing key name (default: ${DEFAULT-VALUE}).")
        String signer;

        @Override
        public Integer call() {
            String bootstrap = connection.bootstrap();
            try (GrantPublisher publisher = new GrantPublisher(bootstrap,
                    SerdeSettings.forDeployment(connection.registryUrlOrNull(), bootstrap), "meshctl")) {
                publisher.publish(Grants.revoke(grantId, GrantKeys.load(connection.keysDir, signer), signer, reason));
            }
            System.out.println("revoked " + grantId);
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List grants with their status, as services judge them.")
    static class ListGrants implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Option(names = "--principal-key", description = "The principal's public key, base64 (default: <keys-dir>/principal.pub).")
        String principalKey;

        @Override
        public Integer call() {
            Folded folded = fold(connection, principalKey);
            System.out.printf("%-36s %-36s %-20s %-40s %s%n", "GRANT", "PARENT", "GRANTEE", "SCOPE", "STATUS");
            for (GrantIssued g : folded.issued().values()) {
                String scope = g.getScope().getActions() + " on " + g.getScope().getResources()
                        + (g.getScope().getBudgetComputeMs() == null ? "" : " budget " + g.getScope().getBudgetComputeMs() + "ms");
                System.out.printf("%-36s %-36s %-20s %-40s %s%n", g.getGrantId(),
                        g.getParentGrantId() == null ? "(principal)" : g.getParentGrantId(), g.getGrantee(), scope,
                        status(folded, g.getGrantId()));
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Print a grant's chain back to the principal.")
    static class Show implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Parameters(index = "0", description = "Grant id.")
        String grantId;

        @Option(names = "--principal-key", description = "The principal's public key, base64 (default: <keys-dir>/principal.pub).")
        String principalKey;

        @Override
        public Integer call() {
            Folded folded = fold(connection, principalKey);
            if (!folded.issued().containsKey(grantId)) {
                System.err.println("no grant " + grantId);
                return 1;
            }
            List<String> lines = new ArrayList<>();
            for (String id = grantId; id != null; ) {
                GrantIssued g = folded.issued().get(id);
                if (g == null) {
                    lines.add("?? " + id + " (not in the log)");
                    break;
                }
                long spent = folded.ledger().entry(id).map(GrantLedger.Entry::spentComputeMs).orElse(0L);
                lines.add(String.format("%s  %s -> %s  %s on %s  budget=%s spent=%d  max-depth=%d  expires=%s  [%s]",
                        g.getGrantId(), g.getGrantor(), g.getGrantee(), g.getScope().getActions(), g.getScope().getResources(),
                        g.getScope().getBudgetComputeMs(), spent, g.getMaxDepth(), g.getExpiresAt(), status(folded, id)));
                id = g.getParentGrantId();
            }
            for (int i = 0; i < lines.size(); i++) {
                System.out.println("  ".repeat(i) + (i == 0 ? "" : "<- ") + lines.get(i));
            }
            System.out.println("  ".repeat(lines.size()) + "<- principal");
            return 0;
        }
    }
}
