package dev.agentmesh.runstate.service;

import dev.agentmesh.serde.KafkaTopicSchemaStore;
import dev.agentmesh.serde.SchemaSubjects;
import dev.agentmesh.topics.Topics;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A read-only, Confluent-compatible schema API over the embedded default's schema store ({@code mesh.schemas}), so
 * that tools which are not the mesh's (Kafka UI, AKHQ, kcat {@code -s avro}, Confluent clients) can decode its
 * records: {@code GET /schemas/ids/{id}}, {@code /subjects}, {@code /subjects/{subject}/versions} and
 * {@code /subjects/{subject}/versions/{version|latest}}. With a registry configured ({@code mesh.registry.url}) the
 * registry is the one to ask, and every path answers 404 saying so.
 */
@Path("/")
@Produces({"application/vnd.schemaregistry.v1+json", MediaType.APPLICATION_JSON})
public class SchemaApiResource {

    /** Confluent's error codes: subject, version, schema not found. */
    static final int SUBJECT_NOT_FOUND = 40401;
    static final int VERSION_NOT_FOUND = 40402;
    static final int SCHEMA_NOT_FOUND = 40403;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @ConfigProperty(name = "mesh.registry.url")
    Optional<String> registryUrl;

    public record SchemaText(String schema) {
    }

    @GET
    @Path("schemas/ids/{id}")
    public Response schema(@PathParam("id") long id) {
        return subjects().map(s -> s.schema(id)
                        .map(text -> Response.ok(new SchemaText(text)).build())
                        .orElseGet(() -> notFound(SCHEMA_NOT_FOUND, "Schema " + id + " not found")))
                .orElseGet(this::elsewhere);
    }

    @GET
    @Path("subjects")
    public Response subjectList() {
        return subjects().map(s -> Response.ok(s.subjects()).build()).orElseGet(this::elsewhere);
    }

    @GET
    @Path("subjects/{subject}/versions")
    public Response versions(@PathParam("subject") String subject) {
        return subjects().map(s -> s.versions(subject)
                        .map(vs -> Response.ok(vs).build())
                        .orElseGet(() -> notFound(SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.")))
                .orElseGet(this::elsewhere);
    }

    @GET
    @Path("subjects/{subject}/versions/{version}")
    public Response version(@PathParam("subject") String subject, @PathParam("version") String version) {
        return subjects().map(s -> {
            if (s.versions(subject).isEmpty()) {
                return notFound(SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
            }
            return s.version(subject, version)
                    .map(v -> Response.ok(Map.of("subject", v.subject(), "version", v.version(), "id", v.id(), "schema", v.schema())).build())
                    .orElseGet(() -> notFound(VERSION_NOT_FOUND, "Version " + version + " not found."));
        }).orElseGet(this::elsewhere);
    }

    private Optional<SchemaSubjects> subjects() {
        if (registryUrl.filter(url -> !url.isBlank()).isPresent()) {
            return Optional.empty();
        }
        List<KafkaTopicSchemaStore.StoredSchema> stored = KafkaTopicSchemaStore.forBootstrap(bootstrapServers).all();
        return Optional.of(SchemaSubjects.of(stored, Topics.ALL));
    }

    private Response elsewhere() {
        return notFound(SUBJECT_NOT_FOUND, "this mesh keeps its schemas in the registry at " + registryUrl.orElse("")
                + ": ask it (its Confluent-compatible API is under /apis/ccompat/v7)");
    }

    private static Response notFound(int code, String message) {
        return Response.status(Response.Status.NOT_FOUND).entity(Map.of("error_code", code, "message", message))
                .type(MediaType.APPLICATION_JSON).build();
    }
}
