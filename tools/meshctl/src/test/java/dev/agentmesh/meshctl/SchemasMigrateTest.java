package dev.agentmesh.meshctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.data.DataRow;
import dev.agentmesh.embedded.EmbeddedKafka;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.serde.KafkaTopicSchemaStore;
import dev.agentmesh.serde.KafkaTopicSchemaStore.StoredSchema;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.testing.TopicProbe;
import dev.agentmesh.topics.Topics;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code meshctl schemas migrate} carries the embedded default's schemas to Apicurio Registry 3 with their ids kept:
 * the archive it posts is read back entry by entry as Apicurio 3's import reader reads it (entries named
 * {@code <name>.<EntityType>.<json|data>}, a content's data right after its metadata), and live mesh records (a run
 * event and a data row) decode through it by the id they carry. No Apicurio server can run on this machine, and
 * Apicurio's import/export module does not resolve here; the import endpoint is an HTTP server the test starts.
 */
class SchemasMigrateTest {

    static EmbeddedKafka kafka;
    static HttpServer registry;
    static final AtomicReference<byte[]> received = new AtomicReference<>();
    static final AtomicReference<String> contentType = new AtomicReference<>();
    static final AtomicInteger answer = new AtomicInteger(200);

    @BeforeAll
    static void start() throws IOException {
        kafka = EmbeddedKafka.start();
        registry = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        registry.createContext("/apis/registry/v3/admin/import", exchange -> {
            received.set(exchange.getRequestBody().readAllBytes());
            contentType.set(exchange.getRequestHeaders().getFirst("Content-Type"));
            byte[] body = answer.get() == 200 ? new byte[0] : "{\"message\":\"content id conflict\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(answer.get(), body.length == 0 ? -1 : body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        registry.start();
    }

    @AfterAll
    static void stop() {
        registry.stop(0);
        kafka.close();
    }

    String url() {
        return "http://127.0.0.1:" + registry.getAddress().getPort() + "/apis/registry/v3";
    }

    @Test
    void everySchemaKeepsItsIdAndLiveRecordsDecodeThroughTheImport(@TempDir Path dir) throws Exception {
        String bootstrap = kafka.bootstrapServers();
        Map<String, Object> settings = SerdeSettings.kafkaTopicStore(bootstrap);
        Envelopes envelopes = new Envelopes("test", "migrate");
        RunEvent event = RunEvents.started(envelopes.origin("run-migrate", null), "validate");
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), "run-migrate".getBytes(), new MeshCodec<>(Topics.RUN_EVENTS, settings).encode(event));
        DataRow row = new DataRow(envelopes.origin("run-migrate", null), 7L, Map.of("age", "31"));
        TopicProbe.send(bootstrap, Topics.ROWS_VALIDATED.name(), "run-migrate".getBytes(), new MeshCodec<>(Topics.ROWS_VALIDATED, settings).encode(row));

        answer.set(200);
        String out = run("schemas", "migrate", "--bootstrap", bootstrap, "--to", url());
        assertTrue(out.startsWith("migrated "), out);
        assertEquals("application/zip", contentType.get());

        Imported imported = read(received.get());
        assertEquals("meshctl schemas migrate", imported.manifest.path("exportedBy").asText());
        assertEquals("n/a", imported.manifest.path("systemVersion").asText(), "read as a version 3 export");
        List<StoredSchema> stored = KafkaTopicSchemaStore.forBootstrap(bootstrap).all();
        assertTrue(stored.size() >= 2, "the two records registered their schemas");
        for (StoredSchema schema : stored) {
            Content content = imported.contents.get(schema.id());
            assertNotNull(content, "schema " + schema.id() + " was not carried");
            assertArrayEquals(schema.text().getBytes(StandardCharsets.UTF_8), content.bytes);
            assertEquals(ApicurioImport.sha256Hex(content.bytes), content.metadata.path("contentHash").asText());
            assertEquals("AVRO", content.metadata.path("artifactType").asText());
        }
        assertTrue(imported.artifacts.contains(Topics.RUN_EVENTS.name() + "-value"), imported.artifacts.toString());
        assertTrue(imported.artifacts.contains(Topics.ROWS_VALIDATED.name() + "-value"), imported.artifacts.toString());
        assertTrue(imported.versions.size() >= 2);
        for (JsonNode version : imported.versions) {
            assertTrue(imported.contents.containsKey(version.path("contentId").asLong()), "a version names content that was not carried");
            assertTrue(imported.artifacts.contains(version.path("artifactId").asText()));
            assertEquals("ENABLED", version.path("state").asText());
        }

        GenericRecord decodedEvent = decode(last(bootstrap, Topics.RUN_EVENTS.name()), imported);
        assertEquals(event.getEnvelope().getEventId(), ((GenericRecord) decodedEvent.get("envelope")).get("eventId").toString());
        GenericRecord decodedRow = decode(last(bootstrap, Topics.ROWS_VALIDATED.name()), imported);
        assertEquals(7L, decodedRow.get("rowIndex"));

        Path file = dir.resolve("mesh-schemas.zip");
        String written = run("schemas", "migrate", "--bootstrap", bootstrap, "--output", file.toString());
        assertTrue(written.startsWith("wrote "), written);
        assertEquals(imported.contents.keySet(), read(Files.readAllBytes(file)).contents.keySet());
    }

    @Test
    void aRefusedImportExitsNonZeroWithTheRegistrysAnswer() throws Exception {
        String bootstrap = kafka.bootstrapServers();
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), "run-refused".getBytes(), new MeshCodec<>(Topics.RUN_EVENTS,
                SerdeSettings.kafkaTopicStore(bootstrap)).encode(RunEvents.started(new Envelopes("test", "m").origin("run-refused", null), "validate")));
        answer.set(409);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = MeshCtl.commandLine().execute("schemas", "migrate", "--bootstrap", bootstrap, "--to", url());
        } finally {
            System.setErr(saved);
        }
        assertEquals(DoorChecks.REFUSED, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("409"), err.toString(StandardCharsets.UTF_8));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("content id conflict"), err.toString(StandardCharsets.UTF_8));
    }

    record Content(JsonNode metadata, byte[] bytes) {
    }

    record Imported(JsonNode manifest, Map<Long, Content> contents, List<String> artifacts, List<JsonNode> versions) {
    }

    static final Pattern ENTRY = Pattern.compile("(.*)\\.(Manifest|Content|Artifact|ArtifactVersion)\\.(json|data)");
    static final ObjectMapper JSON = new ObjectMapper();

    static Imported read(byte[] zip) throws IOException {
        JsonNode manifest = null;
        Map<Long, Content> contents = new HashMap<>();
        List<String> artifacts = new ArrayList<>();
        List<JsonNode> versions = new ArrayList<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip), StandardCharsets.UTF_8)) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                Matcher name = ENTRY.matcher(entry.getName());
                assertTrue(name.matches(), "not an entry Apicurio's import reads: " + entry.getName());
                JsonNode metadata = JSON.readTree(in.readAllBytes());
                switch (name.group(2)) {
                    case "Manifest" -> manifest = metadata;
                    case "Content" -> {
                        ZipEntry data = in.getNextEntry();
                        assertEquals(name.group(1) + ".Content.data", data.getName(), "a content's data follows its metadata");
                        assertEquals("content/" + metadata.path("contentHash").asText(), name.group(1));
                        contents.put(metadata.path("contentId").asLong(), new Content(metadata, in.readAllBytes()));
                    }
                    case "Artifact" -> {
                        artifacts.add(metadata.path("artifactId").asText());
                        assertEquals("groups/default/artifacts/" + metadata.path("artifactId").asText() + "/MetaData", name.group(1));
                    }
                    default -> versions.add(metadata);
                }
            }
        }
        assertNotNull(manifest, "no manifest in the archive");
        return new Imported(manifest, contents, artifacts, versions);
    }

    static byte[] last(String bootstrap, String topic) {
        List<ConsumerRecord<byte[], byte[]>> records = TopicProbe.readUntil(bootstrap, topic, Duration.ofSeconds(10), r -> !r.isEmpty());
        return records.get(records.size() - 1).value();
    }

    /** As a registry client does: the id after the magic byte names the schema to read the rest with. */
    static GenericRecord decode(byte[] value, Imported imported) throws IOException {
        assertEquals(0, value[0], "Confluent wire format");
        long id = ByteBuffer.wrap(value, 1, 4).getInt() & 0xffffffffL;
        Content content = imported.contents.get(id);
        assertNotNull(content, "the record's schema id " + id + " is not in the import");
        Schema schema = new Schema.Parser().parse(new String(content.bytes, StandardCharsets.UTF_8));
        return new GenericDatumReader<GenericRecord>(schema).read(null,
                DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, null));
    }

    static String run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = MeshCtl.commandLine().execute(args);
        } finally {
            System.setOut(saved);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text);
        return text.strip();
    }
}
