package dev.agentmesh.meshctl.deploy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a role runs on, in one place: requests and limits for every service, and for roles that need accelerators the
 * extended resource, node selector and tolerations that put them on accelerator nodes. The base renders each service
 * with its {@link #forService base profile}; the prod overlay adds a trainer pool per resource class in
 * {@link #TRAINER_POOLS}, each on its profile's nodes ({@code deploy/k8s/overlays/prod/trainer-pools.yaml}, rendered
 * too): a grid architecture with {@code resource_class: gpu} is trained there, every other cell on the default pool.
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

    /** Trainer pools the prod overlay runs besides the default one, by resource class. */
    public static final Map<String, ResourceProfile> TRAINER_POOLS = Map.of("gpu", ACCELERATOR);

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

    /** Puts a pod spec on this profile's nodes (node selector, tolerations), if it names any. */
    public void schedule(Map<String, Object> podSpec) {
        if (!nodeSelector.isEmpty()) {
            podSpec.put("nodeSelector", nodeSelector);
        }
        if (!tolerations.isEmpty()) {
            podSpec.put("tolerations", tolerations);
        }
    }
}
