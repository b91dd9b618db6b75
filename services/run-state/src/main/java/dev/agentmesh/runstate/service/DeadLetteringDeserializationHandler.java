package dev.agentmesh.runstate.service;

import dev.agentmesh.kafka.DeadLetter;
import dev.agentmesh.kafka.DeadLetters;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.jboss.logging.Logger;

import java.util.Map;

/**
 * A record Kafka Streams cannot deserialise goes to the dead-letter topic ({@link DeadLetter}: a copy, or a reference
 * when it is too large to copy); the topology continues with the next record.
 */
public class DeadLetteringDeserializationHandler implements DeserializationExceptionHandler {

    private static final Logger LOG = Logger.getLogger(DeadLetteringDeserializationHandler.class);

    private DeadLetters deadLetters;
    private String service;

    @Override
    public void configure(Map<String, ?> configs) {
        deadLetters = DeadLetters.connect(String.valueOf(configs.get("bootstrap.servers")));
        service = String.valueOf(configs.get("application.id"));
    }

    @Override
    public DeserializationHandlerResponse handle(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record,
                                                 Exception exception) {
        DeadLetter letter = DeadLetter.of(record, DeadLetter.reasonOf(exception), service)
                .withCause(exception.getClass().getName());
        try {
            deadLetters.sendAndWait(letter);
        } catch (RuntimeException e) {
            LOG.errorf(e, "could not dead-letter %s-%d@%d; stopping rather than losing it",
                    record.topic(), record.partition(), record.offset());
            return DeserializationHandlerResponse.FAIL;
        }
        LOG.warnf("dead-lettered %s-%d@%d: %s", record.topic(), record.partition(), record.offset(), letter.reason());
        return DeserializationHandlerResponse.CONTINUE;
    }
}
