package dev.agentmesh.serde;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/** Where schema text is kept by id, so that any process can decode what another wrote. */
public interface SchemaStore {

    /** Stores the schema if new and returns its id; the same text always gets the same id. */
    long register(String schemaText);

    Optional<String> lookup(long id);

    /**
     * Ids are derived from the schema text itself (31 bits of its SHA-256), so independent
     * processes agree on them without coordinating; a collision is detected at registration.
     */
    static long idFor(String schemaText) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(schemaText.getBytes(StandardCharsets.UTF_8));
            int id = ((digest[0] & 0x7f) << 24) | ((digest[1] & 0xff) << 16) | ((digest[2] & 0xff) << 8) | (digest[3] & 0xff);
            return id == 0 ? 1 : id;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Why a record of the schema topic is not a schema the mesh registered, if it is not: its key must be the id of
     * its value's text ({@link #idFor}), so nothing else written there can shadow or forge a schema.
     */
    static Optional<String> problem(byte[] key, byte[] value) {
        if (value == null) {
            return Optional.of("a schema record with no value");
        }
        if (key == null) {
            return Optional.of("a schema record with no key");
        }
        long id;
        try {
            id = Long.parseLong(new String(key, StandardCharsets.UTF_8));
        } catch (NumberFormatException e) {
            return Optional.of("a schema record whose key is no schema id");
        }
        long expected = idFor(new String(value, StandardCharsets.UTF_8));
        return id == expected ? Optional.empty()
                : Optional.of("a schema record under id " + id + " whose text has id " + expected);
    }

    static IllegalStateException collision(long id, String existing, String candidate) {
        return new IllegalStateException("schema id collision on " + id + ": stored " + existing.length()
                + " chars differ from the " + candidate.length() + " chars being registered");
    }
}
