package dev.agentmesh.service;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A key-value store that keeps what was written since the last commit as objects, and hands it to the store it wraps
 * (serialised, changelogged) when Kafka Streams flushes before committing. A value changed many times between two
 * commits is deserialised once and serialised once, instead of once per change, which is what Kafka Streams' own
 * record cache costs (it holds bytes).
 *
 * <p>Nothing changes for exactly-once: Kafka Streams empties the buffer into the wrapped store before every commit
 * ({@link #flushCache()}, as it does its own record cache: the store is a {@link CachedStateStore}, the one hook it
 * offers), so the changelog records go out in the same transaction as the input offsets; a task closed without a
 * commit drops its buffer with the transaction. Readers on other threads (interactive queries) see the buffer before
 * the wrapped store, so never an older value than the processor sees. Only the stream thread writes.
 */
public final class CommitBufferedStore<K, V> implements KeyValueStore<K, V>, CachedStateStore<K, V> {

    private final KeyValueStore<K, V> inner;
    private final Comparator<? super K> order;
    /** Written since the last flush. */
    private final Map<K, Change<V>> pending = new ConcurrentHashMap<>();

    public CommitBufferedStore(KeyValueStore<K, V> inner, Comparator<? super K> order) {
        this.inner = inner;
        this.order = order;
    }

    /** Wraps what {@code inner} builds (build it with Kafka Streams' caching disabled: this buffer replaces it). */
    public static <K, V> StoreBuilder<KeyValueStore<K, V>> builder(StoreBuilder<KeyValueStore<K, V>> inner,
                                                                  Comparator<? super K> order) {
        return new Builder<>(inner.withCachingDisabled(), order);
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        pending.clear();
        inner.init(context, root);
    }

    @Override
    public void flush() {
        flushCache();
        inner.flush();
    }

    /** Hands everything buffered to the wrapped store (and so to its changelog): before every commit. */
    @Override
    public void flushCache() {
        for (Map.Entry<K, Change<V>> entry : pending.entrySet()) {
            Change<V> change = entry.getValue();
            if (change.value != null) {
                inner.put(entry.getKey(), change.value);
            } else {
                inner.delete(entry.getKey());
            }
            pending.remove(entry.getKey(), change); // readers go on seeing the buffer until the store has it
        }
    }

    /** The task's transaction was aborted: what it buffered goes with it. */
    @Override
    public void clearCache() {
        pending.clear();
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<K, V> listener, boolean sendOldValues) {
        return false; // nothing downstream listens: processors read the store
    }

    @Override
    public void close() {
        pending.clear(); // a clean close flushed first; a dirty one drops what its aborted transaction would have held
        inner.close();
    }

    @Override
    public boolean persistent() {
        return inner.persistent();
    }

    @Override
    public boolean isOpen() {
        return inner.isOpen();
    }

    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
        return inner.query(query, positionBound, config);
    }

    @Override
    public Position getPosition() {
        return inner.getPosition();
    }

    @Override
    public void put(K key, V value) {
        pending.put(key, new Change<>(value));
    }

    @Override
    public V putIfAbsent(K key, V value) {
        V existing = get(key);
        if (existing == null) {
            put(key, value);
        }
        return existing;
    }

    @Override
    public void putAll(List<KeyValue<K, V>> entries) {
        entries.forEach(e -> put(e.key, e.value));
    }

    @Override
    public V delete(K key) {
        V existing = get(key);
        pending.put(key, new Change<>(null));
        return existing;
    }

    @Override
    public V get(K key) {
        Change<V> buffered = pending.get(key);
        return buffered != null ? buffered.value : inner.get(key);
    }

    /** The wrapped store's entries in {@code [from, to]} with the buffer laid over them, as a snapshot. */
    @Override
    public KeyValueIterator<K, V> range(K from, K to) {
        TreeMap<K, V> view = new TreeMap<>(order);
        try (KeyValueIterator<K, V> stored = from == null && to == null ? inner.all() : inner.range(from, to)) {
            stored.forEachRemaining(kv -> view.put(kv.key, kv.value));
        }
        pending.forEach((key, value) -> {
            if ((from == null || order.compare(key, from) >= 0) && (to == null || order.compare(key, to) <= 0)) {
                if (value.value != null) {
                    view.put(key, value.value);
                } else {
                    view.remove(key);
                }
            }
        });
        return new Snapshot<>(view.entrySet().iterator());
    }

    @Override
    public KeyValueIterator<K, V> all() {
        return range(null, null);
    }

    @Override
    public long approximateNumEntries() {
        return inner.approximateNumEntries() + pending.size();
    }

    /** A value written, or a deletion (null); compared by identity, so a flush removes only what it wrote. */
    private static final class Change<V> {
        private final V value;

        Change(V value) {
            this.value = value;
        }
    }

    private static final class Snapshot<K, V> implements KeyValueIterator<K, V> {
        private final Iterator<Map.Entry<K, V>> entries;
        private Map.Entry<K, V> next;

        Snapshot(Iterator<Map.Entry<K, V>> entries) {
            this.entries = entries;
        }

        @Override
        public boolean hasNext() {
            return next != null || entries.hasNext();
        }

        @Override
        public KeyValue<K, V> next() {
            Map.Entry<K, V> e = next != null ? next : entries.next();
            next = null;
            return KeyValue.pair(e.getKey(), e.getValue());
        }

        @Override
        public K peekNextKey() {
            if (next == null) {
                next = entries.next();
            }
            return next.getKey();
        }

        @Override
        public void close() {
        }
    }

    private record Builder<K, V>(StoreBuilder<KeyValueStore<K, V>> inner, Comparator<? super K> order)
            implements StoreBuilder<KeyValueStore<K, V>> {

        @Override
        public StoreBuilder<KeyValueStore<K, V>> withCachingEnabled() {
            return this; // the buffer is the cache
        }

        @Override
        public StoreBuilder<KeyValueStore<K, V>> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<KeyValueStore<K, V>> withLoggingEnabled(Map<String, String> config) {
            return new Builder<>(inner.withLoggingEnabled(config), order);
        }

        @Override
        public StoreBuilder<KeyValueStore<K, V>> withLoggingDisabled() {
            return new Builder<>(inner.withLoggingDisabled(), order);
        }

        @Override
        public KeyValueStore<K, V> build() {
            return new CommitBufferedStore<>(inner.build(), order);
        }

        @Override
        public Map<String, String> logConfig() {
            return inner.logConfig();
        }

        @Override
        public boolean loggingEnabled() {
            return inner.loggingEnabled();
        }

        @Override
        public String name() {
            return inner.name();
        }
    }
}
