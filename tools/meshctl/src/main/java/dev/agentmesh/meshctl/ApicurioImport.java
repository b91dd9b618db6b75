package dev.agentmesh.meshctl;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentmesh.serde.SchemaSubjects;
import dev.agentmesh.serde.SchemaSubjects.Version;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The mesh's schema store as an Apicurio Registry 3 import archive, the ZIP {@code POST /admin/import} takes. Every
 * schema keeps its mesh id as its content id, the id the serdes put in records ({@code apicurio.registry.use-id=contentId}),
 * so records already in the log resolve after the import; each subject becomes an artifact ({@code <topic>-value},
 * the serdes' topic strategy) in the default group, with its versions in order. As Apicurio's own Confluent export
 * does, canonical hashes and global ids are left to the registry.
 *
 * <p>The layout and fields are those of Apicurio 3's import/export entities ({@code io.apicurio.registry.utils.impexp.v3}):
 * that module is not resolvable here (its parent POM is not served), so the entries are written as its
 * {@code EntityWriter} writes them. A manifest whose system version starts with neither 1 nor 2 is read as version 3.
 */
final class ApicurioImport {

    static final String AVRO = "AVRO";
    static final String EXPORTED_BY = "meshctl schemas migrate";
    static final String GROUP = "default";

    private static final ObjectMapper JSON = new ObjectMapper().configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);

    record Summary(int schemas, int subjects, int versions) {
    }

    private ApicurioImport() {
    }

    static byte[] archive(SchemaSubjects subjects) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long now = System.currentTimeMillis();
        try (ZipOutputStream zip = new ZipOutputStream(bytes, StandardCharsets.UTF_8)) {
            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("systemVersion", "n/a");
            manifest.put("systemName", "agent mesh schema store (mesh.schemas)");
            manifest.put("systemDescription", "Schemas of the embedded default, ids derived from the schema text");
            manifest.put("exportedOn", now);
            manifest.put("exportedBy", EXPORTED_BY);
            write(zip, "manifest-" + Instant.ofEpochMilli(now) + ".Manifest.json", manifest);
            for (Map.Entry<Long, String> schema : subjects.schemasById().entrySet()) {
                byte[] text = schema.getValue().getBytes(StandardCharsets.UTF_8);
                String hash = sha256Hex(text);
                Map<String, Object> content = new LinkedHashMap<>();
                content.put("contentId", schema.getKey());
                content.put("canonicalHash", null);
                content.put("contentHash", hash);
                content.put("artifactType", AVRO);
                content.put("contentType", "application/json");
                content.put("serializedReferences", null);
                write(zip, "content/" + hash + ".Content.json", content);
                zip.putNextEntry(new ZipEntry("content/" + hash + ".Content.data"));
                zip.write(text);
                zip.closeEntry();
            }
            Set<String> written = new LinkedHashSet<>();
            for (Version version : subjects.allVersions()) {
                String artifactDir = "groups/" + GROUP + "/artifacts/" + version.subject() + "/";
                if (written.add(version.subject())) {
                    Map<String, Object> artifact = audited(version.subject(), now);
                    artifact.put("artifactType", AVRO);
                    write(zip, artifactDir + "MetaData.Artifact.json", artifact);
                }
                Map<String, Object> entity = audited(version.subject(), now);
                entity.put("globalId", -1L); // assigned by the registry
                entity.put("version", String.valueOf(version.version()));
                entity.put("versionOrder", version.version());
                entity.put("state", "ENABLED");
                entity.put("contentId", version.id());
                write(zip, artifactDir + "versions/" + version.version() + ".ArtifactVersion.json", entity);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static Summary summary(SchemaSubjects subjects) {
        return new Summary(subjects.schemasById().size(), subjects.subjects().size(), subjects.allVersions().size());
    }

    private static Map<String, Object> audited(String subject, long now) {
        Map<String, Object> entity = new LinkedHashMap<>();
        entity.put("groupId", null);
        entity.put("artifactId", subject);
        entity.put("owner", EXPORTED_BY);
        entity.put("createdOn", now);
        entity.put("modifiedBy", EXPORTED_BY);
        entity.put("modifiedOn", now);
        return entity;
    }

    private static void write(ZipOutputStream zip, String path, Map<String, Object> entity) throws IOException {
        zip.putNextEntry(new ZipEntry(path));
        JSON.writeValue(zip, entity);
        zip.closeEntry();
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
