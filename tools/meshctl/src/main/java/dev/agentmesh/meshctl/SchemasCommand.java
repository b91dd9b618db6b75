package dev.agentmesh.meshctl;

import dev.agentmesh.serde.KafkaTopicSchemaStore;
import dev.agentmesh.serde.SchemaSubjects;
import dev.agentmesh.topics.Topics;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/** The embedded default's schema store (the mesh.schemas topic), and its move to a registry. */
@Command(name = "schemas", mixinStandardHelpOptions = true, description = "The schemas in mesh.schemas, and their migration to Apicurio Registry.",
        subcommands = {SchemasCommand.ListSchemas.class, SchemasCommand.Migrate.class})
public class SchemasCommand {

    static SchemaSubjects read(Connection connection) {
        return SchemaSubjects.of(KafkaTopicSchemaStore.forBootstrap(connection.bootstrap()).all(), Topics.ALL);
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Subjects, versions and ids, as a Confluent-compatible registry names them.")
    static class ListSchemas implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Override
        public Integer call() {
            SchemaSubjects subjects = read(connection);
            System.out.printf("%-40s %-8s %s%n", "SUBJECT", "VERSION", "ID");
            subjects.allVersions().forEach(v -> System.out.printf("%-40s %-8d %d%n", v.subject(), v.version(), v.id()));
            return 0;
        }
    }

    @Command(name = "migrate", mixinStandardHelpOptions = true,
            description = "Carry every schema in mesh.schemas to Apicurio Registry 3 with its id kept as the content id, "
                    + "so records already in the log resolve there. Import into an empty registry.")
    static class Migrate implements Callable<Integer> {
        @Mixin
        Connection connection;

        static class Target {
            @Option(names = "--to", description = "Apicurio Registry 3 core API, e.g. http://apicurio:8080/apis/registry/v3: "
                    + "the archive is posted to its /admin/import.")
            URI registry;

            @Option(names = "--output", description = "Write the import archive (ZIP) here instead, for "
                    + "curl -X POST URL/admin/import -H 'Content-Type: application/zip' --data-binary @FILE.")
            Path output;
        }

        @ArgGroup(multiplicity = "1")
        Target target;

        @Override
        public Integer call() throws IOException, InterruptedException {
            SchemaSubjects subjects = read(connection);
            ApicurioImport.Summary summary = ApicurioImport.summary(subjects);
            if (summary.schemas() == 0) {
                return DoorChecks.refuse("nothing migrated", List.of("mesh.schemas holds no schema"));
            }
            byte[] archive = ApicurioImport.archive(subjects);
            String what = "%d schemas (%d subjects, %d versions)".formatted(summary.schemas(), summary.subjects(), summary.versions());
            if (target.output != null) {
                Files.write(target.output, archive);
                System.out.println("wrote " + what + " to " + target.output + "; import it into an empty Apicurio Registry 3");
                return 0;
            }
            URI importUri = URI.create(target.registry.toString().replaceAll("/+$", "") + "/admin/import");
            HttpResponse<String> response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build().send(
                    HttpRequest.newBuilder(importUri).timeout(Duration.ofMinutes(2))
                            .header("Content-Type", "application/zip")
                            .header("Accept", "application/json")
                            .header("X-Registry-Preserve-ContentId", "true")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(archive)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                return DoorChecks.refuse("the registry refused the import", List.of(
                        importUri + " answered " + response.statusCode() + ": " + response.body(),
                        "import into an empty registry: ids are kept and must not be taken"));
            }
            System.out.println("migrated " + what + " to " + target.registry
                    + " with their ids as content ids; set MESH_REGISTRY_URL=" + target.registry + " on every service");
            return 0;
        }
    }
}
