package dev.agentmesh.core;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PathNamesTest {

    @Test
    void theMeshsOwnNamesAreKept() {
        for (String name : List.of("nightly-2026-12-02-8421d058", "logistic-lr0.03-b64", "credit-g", "a_b.c")) {
            assertEquals(name, PathNames.component(name));
        }
    }

    @Test
    void noNameClimbsOutOfItsDirectory() {
        Path root = Path.of("/artifacts/datasets");
        for (String hostile : List.of("..", ".", "", "../../etc", "/etc/passwd", "a/../../b", "..\\..\\x", ".hidden",
                "x\u0000y", "run\nid")) {
            String component = PathNames.component(hostile);
            Path resolved = root.resolve(component).normalize();
            assertEquals(root, resolved.getParent(), hostile + " -> " + component);
            assertTrue(component.chars().allMatch(c -> Character.isLetterOrDigit(c) || ".-_".indexOf(c) >= 0), component);
        }
    }
}
