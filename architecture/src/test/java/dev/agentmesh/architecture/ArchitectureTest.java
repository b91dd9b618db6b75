package dev.agentmesh.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layering every module keeps: a domain with no Kafka in it, thin service shells that never reach into each
 * other, and no package cycles. Runs over the built classes of every mesh module (see this module's pom).
 */
class ArchitectureTest {

    /** The domain: plain Java a test runs without a broker (libs/mesh-domain, libs/training, libs/assessment). */
    static final String[] DOMAIN = {
            "dev.agentmesh.artifacts", "dev.agentmesh.contract", "dev.agentmesh.core", "dev.agentmesh.dataset",
            "dev.agentmesh.fanout", "dev.agentmesh.features", "dev.agentmesh.grants", "dev.agentmesh.judgment", "dev.agentmesh.replay",
            "dev.agentmesh.runstate", "dev.agentmesh.team", "dev.agentmesh.training", "dev.agentmesh.assessment",
            "dev.agentmesh.diagnosis"};

    /** One package per agent service (services/*). */
    static final String[] SERVICES = {
            "dev.agentmesh.rowvalidator", "dev.agentmesh.featureextractor", "dev.agentmesh.schemachecker",
            "dev.agentmesh.publisher", "dev.agentmesh.sweeporchestrator", "dev.agentmesh.trainer",
            "dev.agentmesh.coordinator", "dev.agentmesh.modelquality", "dev.agentmesh.riskfairness",
            "dev.agentmesh.cost", "dev.agentmesh.deploymentengineer", "dev.agentmesh.runstate.service",
            "dev.agentmesh.review.service", "dev.agentmesh.triage.service"};

    static JavaClasses mesh;

    @BeforeAll
    static void importTheMesh() {
        mesh = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.agentmesh");
        // the rules below would pass vacuously on an empty import
        assertTrue(mesh.stream().anyMatch(c -> c.getPackageName().equals("dev.agentmesh.sweeporchestrator")),
                "the services' classes are on the test classpath");
        assertTrue(mesh.stream().anyMatch(c -> c.getPackageName().equals("dev.agentmesh.fanout")),
                "the domain's classes are on the test classpath");
    }

    @Test
    void theDomainHasNoKafkaApicurioOrSmallRyeInIt() {
        ArchRule rule = noClasses().that().resideInAnyPackage(DOMAIN)
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka..", "io.apicurio..",
                        "io.smallrye..", "io.quarkus..", "jakarta.enterprise..");
        rule.check(mesh);
    }

    @Test
    void theDomainDependsOnNoServiceNorOnTheKafkaLayer() {
        noClasses().that().resideInAnyPackage(DOMAIN)
                .should().dependOnClassesThat().resideInAnyPackage(concat(SERVICES,
                        "dev.agentmesh.service", "dev.agentmesh.kafka", "dev.agentmesh.serde", "dev.agentmesh.meshctl.."))
                .check(mesh);
    }

    @Test
    void servicesDoNotImportEachOther() {
        for (String service : SERVICES) {
            noClasses().that().resideInAPackage(service)
                    .should().dependOnClassesThat().resideInAnyPackage(without(SERVICES, service))
                    .check(mesh);
        }
    }

    @Test
    void agentsDecidersAndReducersAreDomainAndServicesAreShells() {
        classes().that().haveSimpleNameEndingWith("Agent").or().haveSimpleNameEndingWith("Decider")
                .or().haveSimpleNameEndingWith("Reducer")
                .should().resideInAnyPackage(DOMAIN)
                .check(mesh);
        classes().that().haveSimpleNameEndingWith("Service").and().areTopLevelClasses()
                .should().resideInAnyPackage(SERVICES)
                .check(mesh);
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("dev.agentmesh.(**)").should().beFreeOfCycles().check(mesh);
    }

    /** Inline fully-qualified names hide dependencies (and package cycles) from a reader: imports serve. */
    @Test
    void mainCodeUsesImportsNotInlineQualifiedNames() throws IOException {
        Path root = Path.of(System.getProperty("mesh.root", ".."));
        Pattern qualified = Pattern.compile(
                "(?<![\\w.\"])(?:java|javax|jakarta|org|io|dev|com|software|picocli)\\.(?:[a-z_][a-z0-9_]*\\.)+[A-Z]\\w*");
        List<String> found;
        try (Stream<Path> files = Files.walk(root)) {
            found = files.filter(f -> f.toString().endsWith(".java") && f.toString().contains("/src/main/java/")
                            && !f.toString().contains("/target/"))
                    .flatMap(f -> inlineNames(root, f, qualified))
                    .toList();
        }
        assertEquals(List.of(), found, "inline fully-qualified names where an import serves");
    }

    private static Stream<String> inlineNames(Path root, Path file, Pattern qualified) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return IntStream.range(0, lines.size()).boxed().flatMap(i -> {
            String line = lines.get(i).strip();
            if (line.startsWith("import ") || line.startsWith("package ") || line.startsWith("*")
                    || line.startsWith("/*") || line.startsWith("//")) {
                return Stream.empty();
            }
            Matcher m = qualified.matcher(lines.get(i));
            Stream.Builder<String> hits = Stream.builder();
            while (m.find()) {
                String before = lines.get(i).substring(0, m.start());
                if (before.chars().filter(c -> c == '"').count() % 2 == 0) {
                    hits.add(root.relativize(file) + ":" + (i + 1) + ": " + m.group());
                }
            }
            return hits.build();
        });
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    private static String[] without(String[] all, String one) {
        return Stream.of(all).filter(p -> !p.equals(one)).toArray(String[]::new);
    }
}
