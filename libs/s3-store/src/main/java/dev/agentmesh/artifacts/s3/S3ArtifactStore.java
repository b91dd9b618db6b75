package dev.agentmesh.artifacts.s3;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.services.s3.S3Configuration;
import dev.agentmesh.artifacts.ArtifactStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * Artifacts in an S3-compatible bucket ({@code s3://bucket/key}). Published files are immutable (a run's dataset is
 * written once), so a downloaded copy is cached locally by bucket and key and reused.
 */
public final class S3ArtifactStore implements ArtifactStore, AutoCloseable {

    /** Connection settings; {@code endpoint} null means AWS itself, credentials null mean the default chain. */
    public record Settings(String endpoint, String bucket, String region, String accessKey, String secretKey,
                           boolean pathStyle) {
    }

    private final S3Client s3;
    private final String bucket;
    private final Path cache;

    public S3ArtifactStore(Settings settings, Path cache) {
        var builder = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .region(Region.of(settings.region() == null ? "us-east-1" : settings.region()))
                .forcePathStyle(settings.pathStyle())
                // Checksums only where S3 requires them: other S3-compatible stores reject the SDK's newer defaults.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .serviceConfiguration(S3Configuration.builder()
                        .chunkedEncodingEnabled(false).build())
                .credentialsProvider(settings.accessKey() == null ? DefaultCredentialsProvider.builder().build()
                        : StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(), settings.secretKey())));
        if (settings.endpoint() != null && !settings.endpoint().isBlank()) {
            builder.endpointOverride(URI.create(settings.endpoint()));
        }
        this.s3 = builder.build();
        this.bucket = settings.bucket();
        this.cache = cache;
    }

    @Override
    public String scheme() {
        return "s3";
    }

    @Override
    public String publish(Path localDirectory, String prefix) {
        String base = prefix.endsWith("/") ? prefix : prefix + "/";
        List<Path> files;
        try (Stream<Path> list = Files.list(localDirectory)) {
            files = list.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Path file : files) {
            s3.putObject(PutObjectRequest.builder().bucket(bucket).key(base + file.getFileName()).build(), RequestBody.fromFile(file));
        }
        return "s3://" + bucket + "/" + base;
    }

    @Override
    public Path local(String uri) {
        Location at = Location.of(uri);
        Path copy = cache.resolve(at.bucket()).resolve(at.key());
        if (Files.isRegularFile(copy)) {
            return copy;
        }
        try {
            Files.createDirectories(copy.getParent());
            Path tmp = Files.createTempFile(copy.getParent(), "download", ".tmp");
            Files.delete(tmp);
            s3.getObject(GetObjectRequest.builder().bucket(at.bucket()).key(at.key()).build(), tmp);
            Files.move(tmp, copy, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot cache " + uri + ": " + e.getMessage(), e);
        } catch (S3Exception e) {
            throw new IllegalStateException("cannot read " + uri + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String uri(String key) {
        return "s3://" + bucket + "/" + key;
    }

    @Override
    public Optional<String> readDocument(String uri) {
        Location at = Location.of(uri);
        try {
            return Optional.of(s3.getObjectAsBytes(GetObjectRequest.builder().bucket(at.bucket()).key(at.key()).build())
                    .asUtf8String());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            throw new IllegalStateException("cannot read " + uri + ": " + e.getMessage(), e);
        }
    }

    /** One PUT: S3 replaces an object atomically, so readers see the old document or the new. */
    @Override
    public void writeDocument(String uri, String text) {
        Location at = Location.of(uri);
        try {
            s3.putObject(PutObjectRequest.builder().bucket(at.bucket()).key(at.key()).contentType("application/json").build(),
                    RequestBody.fromString(text, StandardCharsets.UTF_8));
        } catch (S3Exception e) {
            throw new IllegalStateException("cannot write " + uri + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean exists(String uri) {
        Location at = Location.of(uri);
        try {
            s3.headObject(HeadObjectRequest.builder().bucket(at.bucket()).key(at.key()).build());
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public void close() {
        s3.close();
    }

    record Location(String bucket, String key) {
        static Location of(String uri) {
            if (!uri.startsWith("s3://")) {
                throw new IllegalArgumentException("not an s3:// URI: " + uri);
            }
            String rest = uri.substring("s3://".length());
            int slash = rest.indexOf('/');
            if (slash <= 0 || slash == rest.length() - 1) {
                throw new IllegalArgumentException("an s3 URI names a bucket and a key: " + uri);
            }
            return new Location(rest.substring(0, slash), rest.substring(slash + 1));
        }
    }
}
