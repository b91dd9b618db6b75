package dev.agentmesh.schemas;

import dev.agentmesh.run.RunEvent;
import dev.agentmesh.topics.Topic;
import dev.agentmesh.topics.Topics;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The build fails when a schema changes incompatibly with the baseline kept in schemas/compat/baseline.
 * After a deliberate, compatible release, refresh the baseline with
 * {@code mvn -pl schemas test -Dschemas.baseline.update=true}.
 */
class SchemaCompatibilityTest {

    static final Path SOURCES = Path.of("src/main/avro");
    static final Path BASELINE = Path.of(System.getProperty("schemas.baseline.dir", "compat/baseline"));

    @Test
    void currentSchemasAreBackwardCompatibleWithTheBaseline() {
        Map<String, Schema> current = SchemaCatalog.load(SOURCES);
        if (Boolean.getBoolean("schemas.baseline.update")) {
            SchemaCatalog.writeBaseline(current, BASELINE);
        }
        assertTrue(Files.isDirectory(BASELINE), "baseline missing: " + BASELINE.toAbsolutePath());
        Map<String, Schema> previous = SchemaCatalog.load(BASELINE);
        assertFalse(previous.isEmpty(), "baseline holds no schemas");
        List<String> problems = SchemaCatalog.backwardIncompatibilities(previous, current);
        assertEquals(List.of(), problems, "incompatible schema change against " + BASELINE);
    }

    @Test
    void generatedClassesMatchTheirSources() {
        Map<String, Schema> current = SchemaCatalog.load(SOURCES);
        assertEquals(SchemaNormalization.toParsingForm(RunEvent.getClassSchema()),
                SchemaNormalization.toParsingForm(current.get(RunEvent.class.getName())),
                "generated RunEvent class must match its .avsc");
    }

    @Test
    void theCheckRejectsARequiredFieldAddedWithoutDefault() {
        Schema before = SchemaBuilder.record("dev.agentmesh.x.Probe").fields().requiredString("a").endRecord();
        Schema after = SchemaBuilder.record("dev.agentmesh.x.Probe").fields()
                .requiredString("a").requiredLong("b").endRecord();
        List<String> problems = SchemaCatalog.backwardIncompatibilities(
                Map.of(before.getFullName(), before), Map.of(after.getFullName(), after));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("READER_FIELD_MISSING_DEFAULT_VALUE"), problems.get(0));
    }

    @Test
    void theCheckRejectsARemovedType() {
        Schema before = SchemaBuilder.record("dev.agentmesh.x.Gone").fields().requiredString("a").endRecord();
        List<String> problems = SchemaCatalog.backwardIncompatibilities(Map.of(before.getFullName(), before), new TreeMap<>());
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).contains("removed"));
    }

    @Test
    void theCheckAcceptsAnOptionalFieldWithDefault() {
        Schema before = SchemaBuilder.record("dev.agentmesh.x.Probe").fields().requiredString("a").endRecord();
        Schema after = SchemaBuilder.record("dev.agentmesh.x.Probe").fields()
                .requiredString("a").name("b").type().longType().longDefault(0).endRecord();
        assertEquals(List.of(), SchemaCatalog.backwardIncompatibilities(
                Map.of(before.getFullName(), before), Map.of(after.getFullName(), after)));
    }

    @Test
    void topicNamesAreUniqueAndEveryAvroTopicHasAGeneratedValueType() {
        var names = new HashSet<String>();
        for (Topic<?, ?> topic : Topics.ALL) {
            assertTrue(names.add(topic.name()), "duplicate topic " + topic.name());
            assertTrue(topic.partitions() >= 1);
            assertTrue(topic.name().startsWith("mesh."), topic.name());
        }
        assertTrue(Topics.RUN_EVENTS.avroValued());
        assertFalse(Topics.DEAD_LETTER.avroValued());
        assertEquals(1, Topics.GRANTS.partitions(), "the grant ledger needs one total order");
        assertEquals(Topic.Cleanup.COMPACT, Topics.SCHEMAS.cleanup());
    }
}
