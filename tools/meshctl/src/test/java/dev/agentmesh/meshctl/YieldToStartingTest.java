package dev.agentmesh.meshctl;

import dev.agentmesh.meshctl.MeshServices.Running;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class YieldToStartingTest {

    static int nice(Path task) throws Exception {
        String stat = Files.readString(task.resolve("stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(fields[16]); // field 19 of proc(5), counted after the command name
    }

    static List<Integer> nices(Process process) throws Exception {
        try (Stream<Path> tasks = Files.list(Path.of("/proc", String.valueOf(process.pid()), "task"))) {
            return tasks.map(t -> {
                try {
                    return nice(t);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
        }
    }

    @Test
    void aReadyServiceRunsEveryThreadAtTheSteadyPriority() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux only");
        Process threads = new ProcessBuilder("python3", "-c",
                "import threading, time\n"
                        + "[threading.Thread(target=time.sleep, args=(30,)).start() for _ in range(3)]\n"
                        + "time.sleep(30)\n").start();
        try {
            for (int i = 0; i < 50 && nices(threads).size() < 4; i++) {
                Thread.sleep(100);
            }
            assertEquals(List.of(0, 0, 0, 0), nices(threads), "a starting process runs at the default priority");
            MeshServices.yieldToStarting(new Running("threads", threads, 0, Path.of("threads.log")));
            List<Integer> after = nices(threads);
            assertEquals(4, after.size());
            assertTrue(after.stream().allMatch(n -> n == MeshServices.STEADY_NICE), after.toString());
        } finally {
            threads.destroyForcibly();
        }
    }
}
