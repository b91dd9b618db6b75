package dev.agentmesh.meshctl;

import dev.agentmesh.kafka.client.KafkaClientSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.MemberToRemove;
import org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions;
import org.apache.kafka.common.KafkaFuture;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A dead process's static group memberships, removed as soon as its supervisor knows it is dead. Every channel of a
 * service is a static member ({@code group.instance.id} = its agent instance and the channel), so without this its
 * partitions wait out the session timeout (10 s) before the group's other members may take them; removed, they move
 * at the next rebalance, within about a second. A group the process was alone in is left as it is: nobody could take
 * over, and its restart rejoins without a rebalance.
 */
final class StaticMembers {

    private StaticMembers() {
    }

    /** Whether {@code groupInstanceId} is one of the memberships of the agent instance {@code instance}. */
    static boolean of(String instance, String groupInstanceId) {
        return groupInstanceId.equals(instance) || groupInstanceId.startsWith(instance + "-");
    }

    /**
     * Of each group's static members (group to instance ids), those of {@code instance} to remove: only in groups where
     * a member of another instance is left to take the partitions.
     */
    static Map<String, List<String>> toRemove(Map<String, List<String>> membersByGroup, String instance) {
        Map<String, List<String>> out = new TreeMap<>();
        membersByGroup.forEach((group, members) -> {
            List<String> dead = members.stream().filter(m -> of(instance, m)).toList();
            if (!dead.isEmpty() && dead.size() < members.size()) {
                out.put(group, dead);
            }
        });
        return out;
    }

    /**
     * Removes the dead {@code instance}'s static memberships (see {@link #toRemove}) through {@code admin}, every group
     * at once; returns what it removed. Nothing is removed once {@code stillDead} says a new process runs as that
     * instance: it rejoins under the same ids.
     */
    static Map<String, List<String>> evict(Admin admin, String instance, Duration timeout, BooleanSupplier stillDead)
            throws Exception {
        long ms = timeout.toMillis();
        List<String> groups = admin.listGroups(ListGroupsOptions.forConsumerGroups()).all().get(ms, TimeUnit.MILLISECONDS)
                .stream().map(GroupListing::groupId).toList();
        Map<String, List<String>> members = new TreeMap<>();
        for (Map.Entry<String, ConsumerGroupDescription> group
                : admin.describeConsumerGroups(groups).all().get(ms, TimeUnit.MILLISECONDS).entrySet()) {
            members.put(group.getKey(), group.getValue().members().stream().map(MemberDescription::groupInstanceId)
                    .flatMap(Optional::stream).toList());
        }
        Map<String, List<String>> removing = toRemove(members, instance);
        if (!stillDead.getAsBoolean()) {
            return Map.of();
        }
        List<KafkaFuture<Void>> removals = new ArrayList<>();
        for (Map.Entry<String, List<String>> group : removing.entrySet()) {
            RemoveMembersFromConsumerGroupOptions options = new RemoveMembersFromConsumerGroupOptions(
                    group.getValue().stream().map(MemberToRemove::new).toList());
            options.reason("its process is dead (seen by the mesh's supervisor)");
            removals.add(admin.removeMembersFromConsumerGroup(group.getKey(), options).all());
        }
        KafkaFuture.allOf(removals.toArray(KafkaFuture[]::new)).get(ms, TimeUnit.MILLISECONDS);
        return removing;
    }

    /** An admin client for {@link #evict}, kept by the supervisor so that a death costs no new connection. */
    static Admin admin(String bootstrap) {
        return Admin.create(KafkaClientSettings.with(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap)));
    }
}
