package dev.agentmesh.runstate;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An immutable map of string keys in their natural order, held in two arrays. The fold replaces one entry per event
 * ({@link #with}): copying two short arrays costs a fraction of copying a tree of entries, which was over half of
 * folding a sweep's events. Equal to any map with the same entries.
 */
final class SortedArrayMap<V> extends AbstractMap<String, V> implements SortedMap<String, V> {

    private static final SortedArrayMap<?> EMPTY = new SortedArrayMap<>(new String[0], new Object[0]);

    private final String[] keys;
    private final Object[] values;

    private SortedArrayMap(String[] keys, Object[] values) {
        this.keys = keys;
        this.values = values;
    }

    @SuppressWarnings("unchecked")
    static <V> SortedArrayMap<V> empty() {
        return (SortedArrayMap<V>) EMPTY;
    }

    /** {@code map} itself when it is one already, else a copy of it in key order. */
    static <V> SortedArrayMap<V> of(Map<String, V> map) {
        if (map instanceof SortedArrayMap<V> same) {
            return same;
        }
        if (map.isEmpty()) {
            return empty();
        }
        SortedMap<String, V> sorted = map instanceof SortedMap<String, V> s && s.comparator() == null ? s : new TreeMap<>(map);
        String[] keys = new String[sorted.size()];
        Object[] values = new Object[keys.length];
        int i = 0;
        for (Map.Entry<String, V> e : sorted.entrySet()) {
            keys[i] = e.getKey();
            values[i++] = e.getValue();
        }
        return new SortedArrayMap<>(keys, values);
    }

    /** This map with {@code key} mapped to {@code value}. */
    SortedArrayMap<V> with(String key, V value) {
        int at = Arrays.binarySearch(keys, key);
        if (at >= 0) {
            if (values[at] == value) {
                return this;
            }
            Object[] changed = values.clone();
            changed[at] = value;
            return new SortedArrayMap<>(keys, changed);
        }
        int insert = -at - 1;
        String[] k = new String[keys.length + 1];
        Object[] v = new Object[keys.length + 1];
        System.arraycopy(keys, 0, k, 0, insert);
        System.arraycopy(values, 0, v, 0, insert);
        k[insert] = key;
        v[insert] = value;
        System.arraycopy(keys, insert, k, insert + 1, keys.length - insert);
        System.arraycopy(values, insert, v, insert + 1, keys.length - insert);
        return new SortedArrayMap<>(k, v);
    }

    @Override
    public int size() {
        return keys.length;
    }

    @Override
    public boolean containsKey(Object key) {
        return key instanceof String k && Arrays.binarySearch(keys, k) >= 0;
    }

    @Override
    @SuppressWarnings("unchecked")
    public V get(Object key) {
        if (!(key instanceof String k)) {
            return null;
        }
        int at = Arrays.binarySearch(keys, k);
        return at >= 0 ? (V) values[at] : null;
    }

    @Override
    public Set<Map.Entry<String, V>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<String, V>> iterator() {
                return new Iterator<>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < keys.length;
                    }

                    @Override
                    @SuppressWarnings("unchecked")
                    public Map.Entry<String, V> next() {
                        if (next >= keys.length) {
                            throw new NoSuchElementException();
                        }
                        int i = next++;
                        return new SimpleImmutableEntry<>(keys[i], (V) values[i]);
                    }
                };
            }

            @Override
            public int size() {
                return keys.length;
            }
        };
    }

    @Override
    public Comparator<? super String> comparator() {
        return null;
    }

    @Override
    public String firstKey() {
        if (keys.length == 0) {
            throw new NoSuchElementException();
        }
        return keys[0];
    }

    @Override
    public String lastKey() {
        if (keys.length == 0) {
            throw new NoSuchElementException();
        }
        return keys[keys.length - 1];
    }

    // views of a part are rare (none in the fold): a tree copy serves them
    @Override
    public SortedMap<String, V> subMap(String fromKey, String toKey) {
        return Collections.unmodifiableSortedMap(new TreeMap<>(this).subMap(fromKey, toKey));
    }

    @Override
    public SortedMap<String, V> headMap(String toKey) {
        return Collections.unmodifiableSortedMap(new TreeMap<>(this).headMap(toKey));
    }

    @Override
    public SortedMap<String, V> tailMap(String fromKey) {
        return Collections.unmodifiableSortedMap(new TreeMap<>(this).tailMap(fromKey));
    }
}
