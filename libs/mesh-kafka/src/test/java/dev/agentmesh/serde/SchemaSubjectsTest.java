package dev.agentmesh.serde;

import dev.agentmesh.data.DataRow;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.serde.KafkaTopicSchemaStore.StoredSchema;
import dev.agentmesh.topics.Topics;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SchemaSubjectsTest {

    static final String OLD_RUN_EVENT = "{\"type\":\"record\",\"name\":\"RunEvent\",\"namespace\":\"dev.agentmesh.run\",\"fields\":[]}";

    @Test
    void everyAvroTopicIsASubjectWhoseVersionsAreItsRecordTypesSchemasInTheOrderStored() {
        String runEvent = RunEvent.getClassSchema().toString();
        String dataRow = DataRow.getClassSchema().toString();
        SchemaSubjects subjects = SchemaSubjects.of(List.of(
                new StoredSchema(SchemaStore.idFor(OLD_RUN_EVENT), OLD_RUN_EVENT, 0),
                new StoredSchema(SchemaStore.idFor(dataRow), dataRow, 1),
                new StoredSchema(7, "not a schema", 2),
                new StoredSchema(SchemaStore.idFor(runEvent), runEvent, 3)), Topics.ALL);

        assertEquals(List.of("mesh.rows.redriven-value", "mesh.rows.validated-value", "mesh.run-events-value", "mesh.shadow-value"),
                subjects.subjects(), "a topic whose record type has no stored schema has no subject yet; topics of one record "
                        + "type (DataRow's two, RunEvent's two) share its versions");
        assertEquals(Optional.of(List.of(1, 2)), subjects.versions("mesh.run-events-value"));
        assertEquals(new SchemaSubjects.Version("mesh.run-events-value", 2, SchemaStore.idFor(runEvent), runEvent),
                subjects.version("mesh.run-events-value", "latest").orElseThrow());
        assertEquals(SchemaStore.idFor(OLD_RUN_EVENT), subjects.version("mesh.run-events-value", "1").orElseThrow().id());
        assertEquals(Optional.empty(), subjects.version("mesh.run-events-value", "3"));
        assertEquals(Optional.empty(), subjects.version("mesh.run-events-value", "first"));
        assertEquals(Optional.empty(), subjects.versions("mesh.grants-value"));
        assertEquals(Optional.of(dataRow), subjects.schema(SchemaStore.idFor(dataRow)));
        assertEquals(Optional.of("not a schema"), subjects.schema(7), "an id the records may carry is served as stored");
        assertEquals(Optional.empty(), subjects.schema(8));
    }
}
