package dev.agentmesh.serde;

import dev.agentmesh.serde.KafkaTopicSchemaStore.StoredSchema;
import dev.agentmesh.topics.Topic;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The mesh's schemas as a Confluent-compatible registry names them: subject {@code <topic>-value} (the topic name
 * strategy the serdes use) for every topic with Avro values, its versions the schemas of that topic's record type in
 * the order they were first stored, numbered from 1. Ids are the schema store's own, the ids in the records.
 */
public final class SchemaSubjects {

    public static final String VALUE_SUFFIX = "-value";

    /** One version of a subject, as {@code GET /subjects/{subject}/versions/{version}} answers it. */
    public record Version(String subject, int version, long id, String schema) {
    }

    private final Map<String, List<Version>> bySubject;
    private final Map<Long, String> byId;

    private SchemaSubjects(Map<String, List<Version>> bySubject, Map<Long, String> byId) {
        this.bySubject = bySubject;
        this.byId = byId;
    }

    public static SchemaSubjects of(List<StoredSchema> stored, List<Topic<?, ?>> topics) {
        Map<Long, String> byId = new HashMap<>();
        Map<String, List<StoredSchema>> byRecordType = new HashMap<>();
        for (StoredSchema s : stored) {
            byId.put(s.id(), s.text());
            fullName(s.text()).ifPresent(name -> byRecordType.computeIfAbsent(name, n -> new ArrayList<>()).add(s));
        }
        Map<String, List<Version>> bySubject = new TreeMap<>();
        for (Topic<?, ?> topic : topics) {
            if (!topic.avroValued()) {
                continue;
            }
            String subject = topic.name() + VALUE_SUFFIX;
            List<Version> versions = new ArrayList<>();
            for (StoredSchema s : byRecordType.getOrDefault(topic.valueType().getName(), List.of())) {
                versions.add(new Version(subject, versions.size() + 1, s.id(), s.text()));
            }
            if (!versions.isEmpty()) {
                bySubject.put(subject, List.copyOf(versions));
            }
        }
        return new SchemaSubjects(bySubject, byId);
    }

    private static Optional<String> fullName(String schemaText) {
        try {
            return Optional.of(new Schema.Parser().parse(schemaText).getFullName());
        } catch (SchemaParseException | NullPointerException e) {
            return Optional.empty();
        }
    }

    public Optional<String> schema(long id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** Every version of every subject, by subject and then version. */
    public List<Version> allVersions() {
        return bySubject.values().stream().flatMap(List::stream).toList();
    }

    /** Every stored schema by id, whether or not a subject names it. */
    public Map<Long, String> schemasById() {
        return new TreeMap<>(byId);
    }

    /** Subjects with at least one version, sorted. */
    public List<String> subjects() {
        return List.copyOf(bySubject.keySet());
    }

    public Optional<List<Integer>> versions(String subject) {
        return Optional.ofNullable(bySubject.get(subject)).map(vs -> vs.stream().map(Version::version).toList());
    }

    /** {@code version} is a number from 1 or {@code latest}. */
    public Optional<Version> version(String subject, String version) {
        List<Version> versions = bySubject.get(subject);
        if (versions == null) {
            return Optional.empty();
        }
        if (version.equals("latest")) {
            return Optional.of(versions.get(versions.size() - 1));
        }
        try {
            int n = Integer.parseInt(version);
            return n >= 1 && n <= versions.size() ? Optional.of(versions.get(n - 1)) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
