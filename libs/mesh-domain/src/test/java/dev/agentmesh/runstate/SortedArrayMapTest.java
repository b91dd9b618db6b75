package dev.agentmesh.runstate;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

class SortedArrayMapTest {

    @Property
    void behavesLikeATreeMapUnderPuts(@ForAll List<String> keys) {
        TreeMap<String, Integer> tree = new TreeMap<>();
        SortedArrayMap<Integer> array = SortedArrayMap.empty();
        int i = 0;
        for (String k : keys) {
            tree.put(k, i);
            array = array.with(k, i++);
        }
        assertEquals(tree, array);
        assertEquals(array, tree);
        assertEquals(tree.hashCode(), array.hashCode());
        assertEquals(List.copyOf(tree.keySet()), List.copyOf(array.keySet()));
        for (String k : keys) {
            assertEquals(tree.get(k), array.get(k));
            assertTrue(array.containsKey(k));
        }
        if (!keys.isEmpty()) {
            assertEquals(tree.firstKey(), array.firstKey());
            assertEquals(tree.lastKey(), array.lastKey());
        }
    }

    @Test
    void aChangeMakesANewMapAndLeavesTheOldOneAsItWas() {
        SortedArrayMap<String> one = SortedArrayMap.of(Map.of("b", "2", "a", "1"));
        SortedArrayMap<String> two = one.with("a", "one").with("c", "3");
        assertEquals(Map.of("a", "1", "b", "2"), one);
        assertEquals(Map.of("a", "one", "b", "2", "c", "3"), two);
        assertSame(one, one.with("b", one.get("b")));
        assertSame(two, SortedArrayMap.of(two));
        assertNull(one.get("z"));
        assertFalse(one.containsKey(1));
        assertEquals(Map.of("b", "2"), one.tailMap("b"));
    }

    @Test
    void itCannotBeChangedInPlace() {
        SortedArrayMap<String> map = SortedArrayMap.of(Map.of("a", "1"));
        assertThrows(UnsupportedOperationException.class, () -> map.put("b", "2"));
        assertThrows(UnsupportedOperationException.class, () -> map.remove("a"));
        assertThrows(UnsupportedOperationException.class, () -> map.keySet().clear());
        assertThrows(UnsupportedOperationException.class, () -> map.entrySet().iterator().next().setValue("x"));
    }
}
