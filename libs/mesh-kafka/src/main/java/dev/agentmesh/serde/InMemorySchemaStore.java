package dev.agentmesh.serde;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** One store per JVM, for topology unit tests that have no broker. */
public final class InMemorySchemaStore implements SchemaStore {

    static final InMemorySchemaStore SHARED = new InMemorySchemaStore();

    private final Map<Long, String> schemas = new ConcurrentHashMap<>();

    @Override
    public long register(String schemaText) {
        long id = SchemaStore.idFor(schemaText);
        String existing = schemas.putIfAbsent(id, schemaText);
        if (existing != null && !existing.equals(schemaText)) {
            throw SchemaStore.collision(id, existing, schemaText);
        }
        return id;
    }

    @Override
    public Optional<String> lookup(long id) {
        return Optional.ofNullable(schemas.get(id));
    }
}
