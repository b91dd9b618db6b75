package dev.agentmesh.meshctl;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunStateClientTest {

    private final CountDownLatch release = new CountDownLatch(1);
    private HttpServer server;

    @AfterEach
    void stop() {
        release.countDown();
        if (server != null) {
            server.stop(0);
        }
    }

    private String serve(int status, boolean hold) throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/runs/", exchange -> {
            if (hold) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
        return "http://localhost:" + server.getAddress().getPort();
    }

    @Test
    void aWaitingLoopTakesAnAnswerThatDidNotComeInTimeAsNoAnswerYet() throws Exception {
        RunStateClient client = new RunStateClient(serve(200, true), Duration.ofMillis(300));
        assertTrue(client.poll("r1").isEmpty());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> client.get("r1"));
        assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
    }

    @Test
    void aWaitingLoopStillFailsOnARefusal() throws Exception {
        RunStateClient client = new RunStateClient(serve(401, false), Duration.ofSeconds(5));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> client.poll("r1"));
        assertTrue(e.getMessage().contains("answered 401"), e.getMessage());
    }
}
