package dev.agentmesh.kafka;

import dev.agentmesh.kafka.client.KafkaClientSettings;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.grant.GrantEvent;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.grant.GrantRevoked;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.Map;
import java.util.concurrent.ExecutionException;

/** Writes grant events to the grants topic, for the principal's tools. */
public final class GrantPublisher implements AutoCloseable {

    /** Grant events belong to no run; their envelopes carry this run id. */
    public static final String NO_RUN = "-";

    private final MeshCodec<GrantEvent> codec;
    private final KafkaProducer<String, byte[]> producer;
    private final Envelopes envelopes;

    public GrantPublisher(String bootstrapServers, Map<String, Object> serdeSettings, String actor) {
        this.codec = new MeshCodec<>(Topics.GRANTS, serdeSettings);
        this.producer = new KafkaProducer<>(KafkaClientSettings.with(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class)));
        this.envelopes = new Envelopes("principal-tools", actor);
    }

    public void publish(GrantIssued grant) {
        send(grant.getGrantId(), new GrantEvent(envelope(grant.getGrantId()), grant));
    }

    public void publish(GrantRevoked revoked) {
        send(revoked.getGrantId(), new GrantEvent(envelope(revoked.getGrantId()), revoked));
    }

    private Envelope envelope(String grantId) {
        Envelope envelope = envelopes.origin(NO_RUN, grantId);
        return envelope;
    }

    private void send(String key, GrantEvent event) {
        try {
            producer.send(new ProducerRecord<>(Topics.GRANTS.name(), key, codec.encode(event))).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not write to " + Topics.GRANTS.name() + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    @Override
    public void close() {
        producer.close();
        codec.close();
    }
}
