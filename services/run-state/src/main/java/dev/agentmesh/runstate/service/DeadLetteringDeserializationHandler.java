package dev.agentmesh.runstate.service;

import dev.agentmesh.kafka.KafkaRecords;
import dev.agentmesh.kafka.client.KafkaClientSettings;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.jboss.logging.Logger;

import java.util.HashMap;
import java.util.Map;

/**
 * A record Kafka Streams cannot deserialise goes to the dead-letter topic, byte for byte, with the same
 * reason headers SmallRye's dead-letter strategy writes; the topology continues with the next record.
 */
public class DeadLetteringDeserializationHandler implements DeserializationExceptionHandler {

    private static final Logger LOG = Logger.getLogger(DeadLetteringDeserializationHandler.class);

    private KafkaProducer<byte[], byte[]> producer;
    private String service;

    @Override
    public void configure(Map<String, ?> configs) {
        Map<String, Object> producerConfig = new HashMap<>();
        producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, configs.get("bootstrap.servers"));
        producerConfig.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        producerConfig.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producer = new KafkaProducer<>(KafkaClientSettings.with(producerConfig));
        service = String.valueOf(configs.get("application.id"));
    }

    @Override
    public DeserializationHandlerResponse handle(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record,
                                                 Exception exception) {
        String reason = exception.getMessage() == null ? exception.toString() : exception.getMessage();
        RecordHeaders headers = KafkaRecords.deadLetter(record.headers(), reason, record.topic(),
                Integer.toString(record.partition()), Long.toString(record.offset()), service);
        KafkaRecords.put(headers, MeshHeaders.DLQ_CAUSE, exception.getClass().getName());
        try {
            producer.send(new ProducerRecord<>(Topics.DEAD_LETTER.name(), null, record.key(), record.value(), headers)).get();
        } catch (Exception e) {
            LOG.errorf(e, "could not dead-letter %s-%d@%d; stopping rather than losing it",
                    record.topic(), record.partition(), record.offset());
            return DeserializationHandlerResponse.FAIL;
        }
        LOG.warnf("dead-lettered %s-%d@%d: %s", record.topic(), record.partition(), record.offset(), reason);
        return DeserializationHandlerResponse.CONTINUE;
    }
}
