package dev.agentmesh.kafka.client;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The client settings every Kafka client the mesh creates itself (log reads, the grant ledger, the schema store, topic
 * administration, meshctl's producers) adds to its own: how to reach a secured cluster (SASL, TLS). Set once per
 * process: a service from its {@code kafka.*} configuration (the same settings its channels use), meshctl from a
 * client properties file ({@code --command-config}, as Kafka's own tools take it). Nothing set: plaintext, as the
 * embedded broker.
 */
public final class KafkaClientSettings {

    private static volatile Map<String, Object> shared = Map.of();

    private KafkaClientSettings() {
    }

    /** Replaces the process's shared settings with the security settings among {@code settings}. */
    public static void use(Map<String, ?> settings) {
        shared = Map.copyOf(security(settings));
    }

    public static Map<String, Object> shared() {
        return shared;
    }

    /** A client's own settings plus the shared ones (which win: a client cannot opt out of the cluster's security). */
    public static Map<String, Object> with(Map<String, ?> own) {
        Map<String, Object> all = new HashMap<>(own);
        all.putAll(shared);
        return all;
    }

    /** The settings that say how to connect securely: {@code security.protocol}, {@code sasl.*}, {@code ssl.*}. */
    public static Map<String, Object> security(Map<String, ?> settings) {
        Map<String, Object> security = new TreeMap<>();
        settings.forEach((key, value) -> {
            if (value != null && !value.toString().isBlank()
                    && (key.equals("security.protocol") || key.startsWith("sasl.") || key.startsWith("ssl."))) {
                security.put(key, value);
            }
        });
        return security;
    }

    /** A Kafka client properties file, as {@code kafka-console-consumer --command-config} reads it. */
    public static Map<String, Object> read(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read Kafka client settings " + file, e);
        }
        Map<String, Object> settings = new TreeMap<>();
        properties.forEach((k, v) -> settings.put(k.toString(), v));
        return settings;
    }
}
