package dev.agentmesh.judgment;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A judgment: the verdict, one line a person can act on, and the evidence cited, sorted by name (prompts that quote
 * it render the same text in every JVM, so replay finds them).
 */
public record Answer(String verdict, String summary, Map<String, String> evidence) {

    public Answer {
        evidence = Collections.unmodifiableSortedMap(new TreeMap<>(evidence));
    }
}
