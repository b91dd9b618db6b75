package dev.agentmesh.grants;

/** Resource names and patterns: {@code *} covers everything, {@code kind:*} covers every resource of that kind. */
public final class Resources {

    private Resources() {
    }

    public static String pipeline(String name) {
        return "pipeline:" + name;
    }

    public static String run(String runId) {
        return "run:" + runId;
    }

    public static String reviewItem(String itemId) {
        return "review:" + itemId;
    }

    /** Whether {@code pattern} covers {@code resource}, which may itself be a pattern. */
    public static boolean covers(String pattern, String resource) {
        if (pattern.equals("*") || pattern.equals(resource)) {
            return true;
        }
        if (pattern.endsWith(":*") && !resource.equals("*")) {
            String kind = pattern.substring(0, pattern.length() - 1);
            return resource.startsWith(kind);
        }
        return false;
    }
}
