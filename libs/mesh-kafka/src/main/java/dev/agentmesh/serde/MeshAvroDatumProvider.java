package dev.agentmesh.serde;

import io.apicurio.registry.serde.avro.AvroSerdeConfig;
import io.apicurio.registry.serde.avro.DefaultAvroDatumProvider;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads into the topic's generated class, resolved through that class's own class loader. Apicurio's default
 * looks the class up through Avro's loader, which cannot see application classes under Quarkus.
 */
public class MeshAvroDatumProvider<T> extends DefaultAvroDatumProvider<T> {

    /** The generated {@link SpecificRecord} class values are read into. */
    public static final String READER_CLASS = "mesh.avro.reader-class";

    private Class<?> readerClass;
    private SpecificData specificData;
    private final Map<Schema, DatumReader<T>> readers = new ConcurrentHashMap<>();
    private final Map<Schema, DatumWriter<T>> writers = new ConcurrentHashMap<>();

    @Override
    public void configure(AvroSerdeConfig config) {
        super.configure(config);
        Object configured = config.originals().get(READER_CLASS);
        if (configured instanceof Class<?> c && SpecificRecord.class.isAssignableFrom(c)) {
            readerClass = c;
            specificData = new SpecificData(c.getClassLoader());
        }
    }

    /** One writer per schema, not one per record: Avro's writers keep no state between writes. */
    @Override
    public DatumWriter<T> createDatumWriter(T data, Schema schema) {
        return writers.computeIfAbsent(schema, s -> super.createDatumWriter(data, s));
    }

    @Override
    public DatumReader<T> createDatumReader(Schema writerSchema) {
        if (readerClass == null) {
            return super.createDatumReader(writerSchema);
        }
        return readers.computeIfAbsent(writerSchema,
                writer -> new SpecificDatumReader<>(writer, specificData.getSchema(readerClass), specificData));
    }
}
