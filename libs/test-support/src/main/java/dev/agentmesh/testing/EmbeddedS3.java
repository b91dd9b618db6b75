package dev.agentmesh.testing;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

import java.net.ServerSocket;
import java.net.URI;
import java.util.Properties;

/** A real S3 API (S3Proxy) in-process on a transient blob store, with one bucket, on a free loopback port. */
public final class EmbeddedS3 implements AutoCloseable {

    public static final String ACCESS_KEY = "mesh-access";
    public static final String SECRET_KEY = "mesh-secret";

    private final S3Proxy proxy;
    private final String endpoint;
    private final String bucket;

    private EmbeddedS3(S3Proxy proxy, String endpoint, String bucket) {
        this.proxy = proxy;
        this.endpoint = endpoint;
        this.bucket = bucket;
    }

    public static EmbeddedS3 start(String bucket) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Properties properties = new Properties();
        properties.setProperty("jclouds.provider", "transient");
        BlobStoreContext context = ContextBuilder.newBuilder("transient").overrides(properties).build(BlobStoreContext.class);
        context.getBlobStore().createContainerInLocation(null, bucket);
        String endpoint = "http://127.0.0.1:" + port;
        S3Proxy proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create(endpoint))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        proxy.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!"STARTED".equals(proxy.getState()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return new EmbeddedS3(proxy, endpoint, bucket);
    }

    public String endpoint() {
        return endpoint;
    }

    public String bucket() {
        return bucket;
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
    }
}
