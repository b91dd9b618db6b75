package dev.agentmesh.meshctl;

import dev.agentmesh.grant.GrantEvent;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.grants.GrantKeys;
import dev.agentmesh.grants.GrantLedger;
import dev.agentmesh.kafka.client.KafkaClientSettings;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The grant ledger folded from {@code mesh.grants} as a service folds it, kept open: each {@link #catchUp} reads only
 * what was appended since, so a revocation or an expiry counts from the next question on.
 */
final class LiveGrants implements AutoCloseable {

    private static final TopicPartition PARTITION = new TopicPartition(Topics.GRANTS.name(), 0);

    private final GrantLedger ledger;
    private final MeshCodec<GrantEvent> codec;
    private final KafkaConsumer<byte[], byte[]> consumer;

    private LiveGrants(PublicKey principal, Connection connection) {
        String bootstrap = connection.bootstrap();
        this.ledger = new GrantLedger(principal);
        this.codec = new MeshCodec<>(Topics.GRANTS, SerdeSettings.forDeployment(connection.registryUrlOrNull(), bootstrap));
        this.consumer = new KafkaConsumer<>(KafkaClientSettings.with(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class)));
        consumer.assign(List.of(PARTITION));
        consumer.seekToBeginning(List.of(PARTITION));
    }

    /** The principal's public key: given in base64, or the one kept in the connection's keys directory. */
    static LiveGrants open(Connection connection, String principalKeyBase64) {
        PublicKey principal = principalKeyBase64 != null ? GrantKeys.publicKey(principalKeyBase64)
                : GrantKeys.load(connection.keysDir, PrincipalTools.PRINCIPAL).getPublic();
        return new LiveGrants(principal, connection);
    }

    /** Applies every grant event appended since the last call; {@code each} sees each event and the ledger's verdict. */
    synchronized GrantLedger catchUp(BiConsumer<GrantEvent, Decision> each) {
        long end = consumer.endOffsets(List.of(PARTITION)).get(PARTITION);
        while (consumer.position(PARTITION) < end) {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                GrantEvent event = codec.decode(record.value());
                each.accept(event, ledger.apply(event, event.getEnvelope().getOccurredAt()));
            }
        }
        return ledger;
    }

    GrantLedger catchUp() {
        return catchUp((event, decision) -> { });
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(1));
        codec.close();
    }
}
