package dev.agentmesh.dataset;

import dev.agentmesh.artifacts.Artifacts;
import dev.agentmesh.data.DatasetRow;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one split file of a published dataset (an Avro container file of {@link DatasetRow}s). Records are made
 * through the row class's own loader, not Avro's, so reading works under Quarkus's class loaders too.
 */
public final class DatasetReader {

    private DatasetReader() {
    }

    public static List<DatasetRow> read(String uri) {
        Path file = Artifacts.local(uri);
        try (InputStream in = Files.newInputStream(file);
             DataFileStream<DatasetRow> rows = new DataFileStream<>(in, new SpecificDatumReader<>(DatasetRow.getClassSchema(),
                     DatasetRow.getClassSchema(), new SpecificData(DatasetRow.class.getClassLoader())))) {
            List<DatasetRow> out = new ArrayList<>();
            for (DatasetRow row : rows) {
                out.add(row);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read dataset split " + uri + ": " + e.getMessage(), e);
        }
    }
}
