package dev.agentmesh.serde;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.run.StageStarted;
import dev.agentmesh.topics.Topics;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class MeshCodecTest {

    final MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.inMemoryStore());

    @Test
    void writesConfluentWireFormatWithAContentDerivedId() {
        RunEvent event = RunEvents.started(new Envelopes("r", "i").origin("run-1", null), "row-validation");
        byte[] bytes = codec.encode(event);
        assertEquals(0, bytes[0], "magic byte");
        int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
        assertEquals(SchemaStore.idFor(RunEvent.getClassSchema().toString()), id);
        RunEvent back = codec.decode(bytes);
        assertEquals(event, back);
        assertInstanceOf(StageStarted.class, back.getPayload());
    }

    @Test
    void idsDependOnlyOnSchemaText() {
        String text = RunEvent.getClassSchema().toString();
        assertEquals(SchemaStore.idFor(text), SchemaStore.idFor(new String(text)));
        assertNotEquals(SchemaStore.idFor(text), SchemaStore.idFor(text + " "));
        assertTrue(SchemaStore.idFor(text) > 0);
    }

    @Test
    void malformedBytesGiveAClearError() {
        var e = assertThrows(MeshCodec.MalformedRecordException.class, () -> codec.decode("hello, kafka".getBytes()));
        assertTrue(e.getMessage().contains("magic byte"), e.getMessage());
        byte[] truncated = codec.encode(RunEvents.triggered(new Envelopes("r", "i").origin("run-2", null), "p", "me",
                SourceKind.CSV, "x.csv", "c", List.of("a"), Map.of()));
        byte[] cut = java.util.Arrays.copyOf(truncated, 12);
        assertThrows(MeshCodec.MalformedRecordException.class, () -> codec.decode(cut));
    }

    @Test
    void unknownSchemaIdIsReportedAsSuch() {
        byte[] bytes = {0, 0x12, 0x34, 0x56, 0x78, 2, 'x'};
        var e = assertThrows(MeshSchemaResolver.UnknownSchemaException.class, () -> codec.decode(bytes));
        assertTrue(e.getMessage().contains("unknown schema id " + 0x12345678), e.getMessage());
    }
}
