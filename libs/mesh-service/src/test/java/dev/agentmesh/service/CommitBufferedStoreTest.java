package dev.agentmesh.service;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The buffer between commits, over a real in-memory Kafka Streams store that counts its (de)serialisations. */
class CommitBufferedStoreTest {

    final AtomicInteger serialised = new AtomicInteger();
    final AtomicInteger deserialised = new AtomicInteger();
    final Serde<String> counting = Serdes.serdeFrom(
            (topic, v) -> {
                serialised.incrementAndGet();
                return v == null ? null : v.getBytes(StandardCharsets.UTF_8);
            },
            (topic, b) -> {
                deserialised.incrementAndGet();
                return b == null ? null : new String(b, StandardCharsets.UTF_8);
            });
    KeyValueStore<String, String> inner;
    CommitBufferedStore<String, String> store;

    @BeforeEach
    void open() {
        inner = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("runs"), Serdes.String(), counting)
                .withLoggingDisabled().withCachingDisabled().build();
        store = new CommitBufferedStore<>(inner, Comparator.naturalOrder());
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
    }

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void aValueChangedManyTimesBetweenCommitsIsSerialisedOnceAtTheFlushAndReadBackOnce() {
        store.put("run-1", "v0");
        store.flush();
        serialised.set(0);
        deserialised.set(0);
        for (int i = 1; i <= 100; i++) {
            store.put("run-1", store.get("run-1").replaceAll("\\d+$", Integer.toString(i)));
        }
        assertEquals(1, deserialised.get(), "read from the store once, then from the buffer");
        assertEquals(0, serialised.get(), "nothing written before the commit");
        assertEquals("v0", inner.get("run-1"), "the store still holds the committed value");
        store.flush();
        assertEquals(1, serialised.get());
        assertEquals("v100", inner.get("run-1"));
        assertEquals("v100", store.get("run-1"));
    }

    @Test
    void readersSeeTheBufferLaidOverTheStoreAndDeletionsHideStoredValues() {
        store.putAll(List.of(KeyValue.pair("a", "1"), KeyValue.pair("b", "2"), KeyValue.pair("c", "3")));
        store.flush();
        store.put("b", "2'");
        store.delete("c");
        store.put("d", "4");
        assertEquals(List.of("a=1", "b=2'", "d=4"), entries(store.all()));
        assertEquals(List.of("b=2'"), entries(store.range("b", "c")));
        assertNull(store.get("c"));
        assertEquals("3", inner.get("c"), "the deletion reaches the store at the flush");
        assertEquals("2'", store.putIfAbsent("b", "x"), "b is buffered, so not absent");
        store.flush();
        assertNull(inner.get("c"));
        assertEquals(List.of("a=1", "b=2'", "d=4"), entries(inner.all()));
    }

    @Test
    void closingWithoutAFlushDropsWhatTheAbortedTransactionWouldHaveHeld() {
        store.put("run-1", "committed");
        store.flush();
        serialised.set(0);
        store.put("run-1", "uncommitted");
        store.close();
        store = null;
        assertEquals(0, serialised.get(), "nothing of the aborted work reached the store or its changelog");
    }

    static List<String> entries(KeyValueIterator<String, String> it) {
        List<String> out = new ArrayList<>();
        try (it) {
            it.forEachRemaining(kv -> out.add(kv.key + "=" + kv.value));
        }
        return out;
    }
}
