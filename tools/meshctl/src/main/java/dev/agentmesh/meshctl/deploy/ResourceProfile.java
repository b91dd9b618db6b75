package dev.agentmesh.meshctl.deploy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a role runs on, in one place: requests and limits for every service, and for roles that need accelerators the
 * extended resource, node selector and tolerations that put them on accelerator nodes. The base renders each service
 * with its {@link #forService base profile}; the prod overlay patches the {@link #ACCELERATED} roles onto
 * {@link #ACCELERATOR} nodes ({@code deploy/k8s/overlays/prod/accelerators.yaml}, rendered too).
 */
public record ResourceProfile(String name, String cpuRequest, String memoryRequest, String cpuLimit, String memoryLimit,
                              Map<String, String> extendedLimits, Map<String, String> nodeSelector,
                              List<Map<String, String>> tolerations) {

    /** Tool agents: a few events per run, CPU nodes. */
    public static final ResourceProfile TOOL = new ResourceProfile("tool", "100m", "384Mi", "1", "768Mi", Map.of(), Map.of(), List.of());
    /** Training on CPU: the trainer pool in the base. */
    public static final ResourceProfile COMPUTE = new ResourceProfile("compute", "500m", "1Gi", "2", "2Gi", Map.of(), Map.of(), List.of());
    /** Training on a GPU node: one GPU, scheduled only where the GPU operator labels a node, tolerating its taint. */
    public static final ResourceProfile ACCELERATOR = new ResourceProfile("accelerator", "1", "4Gi", "4", "8Gi",
            Map.of("nvidia.com/gpu", "1"), Map.of("nvidia.com/gpu.present", "true"),
            List.of(Map.of("key", "nvidia.com/gpu", "operator", "Exists", "effect", "NoSchedule")));
    /** The schema registry's server. */
    public static final ResourceProfile REGISTRY = new ResourceProfile("registry", "250m", "512Mi", "1", "1Gi", Map.of(), Map.of(), List.of());

    /** Roles the prod overlay runs on accelerator nodes. */
    public static final List<String> ACCELERATED = List.of("trainer");

    public static ResourceProfile forService(String service) {
        return service.equals("trainer") ? COMPUTE : TOOL;
    }

    /** A container's {@code resources}. */
    public Map<String, Object> resources() {
        Map<String, String> limits = new LinkedHashMap<>();
        limits.put("cpu", cpuLimit);
        limits.put("memory", memoryLimit);
        limits.putAll(extendedLimits);
        return Map.of("requests", Map.of("cpu", cpuRequest, "memory", memoryRequest), "limits", limits);
    }

    /** A strategic-merge patch that moves {@code deployment}'s container {@code container} onto this profile. */
    public Map<String, Object> patch(String deployment, String container) {
        Map<String, Object> podSpec = new LinkedHashMap<>();
        if (!nodeSelector.isEmpty()) {
            podSpec.put("nodeSelector", nodeSelector);
        }
        if (!tolerations.isEmpty()) {
            podSpec.put("tolerations", tolerations);
        }
        podSpec.put("containers", List.of(Map.of("name", container, "resources", resources())));
        return Map.of("apiVersion", "apps/v1", "kind", "Deployment", "metadata", Map.of("name", deployment),
                "spec", Map.of("template", Map.of("spec", podSpec)));
    }
}
