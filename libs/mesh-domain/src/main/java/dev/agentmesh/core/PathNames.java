package dev.agentmesh.core;

import java.util.regex.Pattern;

/** Names that arrive in events (run ids, cell ids, model names) as they may appear in a file path or a storage key. */
public final class PathNames {

    private static final Pattern UNSAFE = Pattern.compile("[^A-Za-z0-9._-]");

    private PathNames() {
    }

    /**
     * {@code name} as one path component: letters, digits, '.', '_' and '-' only (any other character becomes '_'),
     * never empty and never starting with '.', so no name can climb out of the directory it is put in.
     */
    public static String component(String name) {
        String safe = UNSAFE.matcher(name).replaceAll("_");
        return safe.isEmpty() || safe.startsWith(".") ? "_" + safe : safe;
    }
}
