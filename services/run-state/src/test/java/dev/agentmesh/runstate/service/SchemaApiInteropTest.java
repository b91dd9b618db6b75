package dev.agentmesh.runstate.service;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.data.DataRow;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SchemaStore;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.testing.EmbeddedKafkaResource;
import dev.agentmesh.testing.TopicProbe;
import dev.agentmesh.topics.Topics;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded default's schema store answers as a Confluent schema registry does, and a client that is not the
 * mesh's (Debian's {@code python3-confluent-kafka} with {@code python3-avro}, consuming from the broker itself)
 * decodes live mesh records through it: a run event and a data row.
 */
@QuarkusTest
@QuarkusTestResource(EmbeddedKafkaResource.class)
class SchemaApiInteropTest {

    @TestHTTPResource("/")
    URL root;

    static final String DECODE = """
            import json, sys
            from confluent_kafka import Consumer
            from confluent_kafka.avro.cached_schema_registry_client import CachedSchemaRegistryClient
            from confluent_kafka.avro.serializer.message_serializer import MessageSerializer
            bootstrap, registry, topic, key = sys.argv[1:5]
            serializer = MessageSerializer(CachedSchemaRegistryClient({"url": registry}))
            consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "interop-" + topic,
                                 "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
            consumer.subscribe([topic])
            for _ in range(60):
                msg = consumer.poll(1.0)
                if msg is None or msg.error() or msg.key() != key.encode():
                    continue
                print(json.dumps(serializer.decode_message(msg.value()), default=str, sort_keys=True))
                break
            consumer.close()
            """;

    /** Debian's interpreter, which has the Debian packages (another python3 on PATH may not). */
    static String python() {
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    static String decodeWithConfluentsClient(String bootstrap, String registry, String topic, String key) throws Exception {
        Path script = Files.createTempFile("decode", ".py");
        Files.writeString(script, DECODE);
        Process p = new ProcessBuilder(python(), script.toString(), bootstrap, registry, topic, key).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the Python client did not finish");
        assertEquals(0, p.exitValue(), "Confluent's Python client (apt-get install python3-confluent-kafka python3-avro; "
                + ".ci/run installs them) failed:\n" + out);
        return out.strip();
    }

    @Test
    void confluentsOwnClientDecodesARunEventAndADataRowThroughTheSchemaApi() throws Exception {
        String bootstrap = EmbeddedKafkaResource.bootstrapServers();
        String registry = root.toString().replaceAll("/$", "");
        Map<String, Object> settings = SerdeSettings.kafkaTopicStore(bootstrap);
        RunEvent event = RunStateTopologyTest.run("run-interop", false).get(0);
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), "run-interop".getBytes(), new MeshCodec<>(Topics.RUN_EVENTS, settings).encode(event));
        DataRow row = new DataRow(new Envelopes("test", "interop").origin("run-interop", null), 41L, Map.of("age", "67", "purpose", "radio/tv"));
        TopicProbe.send(bootstrap, Topics.ROWS_VALIDATED.name(), "run-interop".getBytes(), new MeshCodec<>(Topics.ROWS_VALIDATED, settings).encode(row));

        long runEventId = SchemaStore.idFor(RunEvent.getClassSchema().toString());
        given().when().get("/schemas/ids/" + runEventId).then().statusCode(200)
                .body("schema", equalTo(RunEvent.getClassSchema().toString()));
        given().when().get("/subjects").then().statusCode(200)
                .body("$", hasItems("mesh.run-events-value", "mesh.rows.validated-value"));
        given().when().get("/subjects/mesh.run-events-value/versions/latest").then().statusCode(200)
                .body("id", equalTo((int) runEventId)).body("subject", equalTo("mesh.run-events-value"));
        given().when().get("/schemas/ids/12345").then().statusCode(404).body("error_code", equalTo(40403));
        given().when().get("/subjects/mesh.nothing-value/versions").then().statusCode(404).body("error_code", equalTo(40401));

        String decodedEvent = decodeWithConfluentsClient(bootstrap, registry, Topics.RUN_EVENTS.name(), "run-interop");
        assertTrue(decodedEvent.contains("\"runId\": \"run-interop\""), decodedEvent);
        assertTrue(decodedEvent.contains(event.getEnvelope().getEventId()), decodedEvent);

        String decodedRow = decodeWithConfluentsClient(bootstrap, registry, Topics.ROWS_VALIDATED.name(), "run-interop");
        assertTrue(decodedRow.contains("\"rowIndex\": 41"), decodedRow);
        assertTrue(decodedRow.contains("\"purpose\": \"radio/tv\""), decodedRow);
        assertNotNull(root);
    }
}
