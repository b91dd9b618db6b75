package dev.agentmesh.serde;

import io.apicurio.registry.resolver.ParsedSchema;
import io.apicurio.registry.resolver.ParsedSchemaImpl;
import io.apicurio.registry.resolver.SchemaLookupResult;
import io.apicurio.registry.resolver.SchemaParser;
import io.apicurio.registry.resolver.SchemaResolver;
import io.apicurio.registry.resolver.client.RegistryClientFacade;
import io.apicurio.registry.resolver.data.Record;
import io.apicurio.registry.resolver.strategy.ArtifactReference;
import io.apicurio.registry.resolver.strategy.ArtifactReferenceResolverStrategy;
import org.apache.avro.Schema;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Apicurio schema resolver backed by a {@link SchemaStore} instead of a registry server. Selected by
 * {@code apicurio.registry.schema-resolver}; Apicurio's serdes still write the Confluent wire format
 * (magic byte 0, 4-byte id, Avro binary) with the id it returns.
 */
public class MeshSchemaResolver implements SchemaResolver<Schema, Object> {

    private SchemaParser<Schema, Object> parser;
    private SchemaStore store;
    private final Map<Schema, SchemaLookupResult<Schema>> bySchema = new ConcurrentHashMap<>();
    private final Map<Long, SchemaLookupResult<Schema>> byId = new ConcurrentHashMap<>();

    @Override
    public void configure(Map<String, ?> configs, SchemaParser<Schema, Object> schemaParser) {
        this.parser = schemaParser;
        this.store = SerdeSettings.storeFor(configs);
    }

    @Override
    public void setClientFacade(RegistryClientFacade clientFacade) {
        // no registry server: the store is the registry
    }

    @Override
    public void setArtifactResolverStrategy(ArtifactReferenceResolverStrategy<Schema, Object> strategy) {
        // ids come from schema content, not from artifact coordinates
    }

    @Override
    public SchemaParser<Schema, Object> getSchemaParser() {
        return parser;
    }

    @Override
    public SchemaLookupResult<Schema> resolveSchema(Record<Object> data) {
        ParsedSchema<Schema> parsed = parser.getSchemaFromData(data);
        return bySchema.computeIfAbsent(parsed.getParsedSchema(), schema -> {
            long id = store.register(schema.toString());
            return lookupResult(id, parsed);
        });
    }

    @Override
    public SchemaLookupResult<Schema> resolveSchemaByArtifactReference(ArtifactReference reference) {
        Long id = reference.getContentId() != null ? reference.getContentId() : reference.getGlobalId();
        if (id == null) {
            throw new UnknownSchemaException("record carries no schema id: " + reference);
        }
        return byId.computeIfAbsent(id, key -> {
            String text = store.lookup(key).orElseThrow(() -> new UnknownSchemaException(
                    "unknown schema id " + key + ": not in the schema store"));
            byte[] raw = text.getBytes(StandardCharsets.UTF_8);
            Schema schema = parser.parseSchema(raw, Map.of());
            return lookupResult(key, new ParsedSchemaImpl<Schema>().setParsedSchema(schema).setRawSchema(raw));
        });
    }

    private static SchemaLookupResult<Schema> lookupResult(long id, ParsedSchema<Schema> parsed) {
        return SchemaLookupResult.<Schema>builder()
                .parsedSchema(parsed)
                .globalId(id)
                .contentId(id)
                .groupId("mesh")
                .artifactId(parsed.getParsedSchema().getFullName())
                .build();
    }

    @Override
    public void reset() {
        bySchema.clear();
        byId.clear();
    }

    @Override
    public void close() {
        // the store is shared by every serde in the process
    }

    /** The schema id in a record is not known to the store: the record cannot be decoded. */
    public static class UnknownSchemaException extends RuntimeException {
        public UnknownSchemaException(String message) {
            super(message);
        }
    }
}
