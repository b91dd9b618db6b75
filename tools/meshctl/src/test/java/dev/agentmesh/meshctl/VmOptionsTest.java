package dev.agentmesh.meshctl;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VmOptionsTest {

    @Test
    void aServiceGetsOnlyTheVmOptionsThisJvmKnows() {
        assertTrue(MeshServices.supportsVmOption("UseSerialGC"));
        assertFalse(MeshServices.supportsVmOption("NoSuchOptionAnywhere"), "an unknown option would stop the JVM from starting");
        assertTrue(MeshServices.NATIVE_HEAP_TRIM.isEmpty() || MeshServices.supportsVmOption("TrimNativeHeapInterval"));
    }
}
