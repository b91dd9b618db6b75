package dev.agentmesh.meshctl;

import dev.agentmesh.contract.CsvRows;
import dev.agentmesh.contract.SourceCheck;
import dev.agentmesh.data.RawRow;
import dev.agentmesh.kafka.client.KafkaClientSettings;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** Feeds the TOPIC source: a CSV file's rows as raw rows on {@code mesh.rows.raw}, keyed by a batch name. */
@Command(name = "rows", mixinStandardHelpOptions = true, description = "Raw input rows on mesh.rows.raw (the TOPIC source).",
        subcommands = {RowsCommand.Publish.class})
public class RowsCommand {

    @Command(name = "publish", mixinStandardHelpOptions = true,
            description = "Publish a CSV file's rows to mesh.rows.raw as one batch, for a run with --source-kind TOPIC.")
    static class Publish implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Option(names = "--csv", required = true, description = "The CSV file, with a header row.")
        Path csv;

        @Option(names = "--batch", required = true, description = "The batch name: the records' key, which a run names.")
        String batch;

        @Override
        public Integer call() {
            List<String> unreadable = SourceCheck.unreadable(csv);
            if (!unreadable.isEmpty()) {
                return DoorChecks.refuse("nothing published", unreadable);
            }
            String bootstrap = connection.bootstrap();
            AtomicLong sent = new AtomicLong();
            AtomicReference<Exception> failure = new AtomicReference<>();
            try (MeshCodec<RawRow> codec = new MeshCodec<>(Topics.ROWS_RAW,
                    SerdeSettings.forDeployment(connection.registryUrlOrNull(), bootstrap));
                 KafkaProducer<String, byte[]> producer = new KafkaProducer<>(KafkaClientSettings.with(Map.of(
                         ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                         ProducerConfig.ACKS_CONFIG, "all",
                         ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                         ProducerConfig.LINGER_MS_CONFIG, 10,
                         ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                         ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class)))) {
                CsvRows.stream(csv, header -> !header.isEmpty(), values -> {
                    producer.send(new ProducerRecord<>(Topics.ROWS_RAW.name(), batch, codec.encode(new RawRow(new HashMap<>(values)))),
                            (metadata, e) -> {
                                if (e != null) {
                                    failure.compareAndSet(null, e);
                                }
                            });
                    sent.incrementAndGet();
                });
                producer.flush();
            }
            if (failure.get() != null) {
                return DoorChecks.refuse("rows not all published", List.of(failure.get().getMessage()));
            }
            if (sent.get() == 0) {
                return DoorChecks.refuse("nothing published", List.of(csv + " has no rows"));
            }
            System.out.printf("published %d rows to %s as batch %s; run them with --source-kind TOPIC --source '%s?key=%s'%n",
                    sent.get(), Topics.ROWS_RAW.name(), batch, Topics.ROWS_RAW.name(), batch);
            return 0;
        }
    }
}
