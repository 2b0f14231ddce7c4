package dev.herald.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The generated configuration reference can only be complete if every key of HeraldConfig is in the catalogue. */
class ConfigCatalogueTest {

    @Test
    void everyKeyIsDocumentedOnce() throws Exception {
        Set<String> keys = new TreeSet<>();
        for (Field f : HeraldConfig.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                String v = (String) f.get(null);
                if (v.startsWith("herald.") && !v.endsWith(".")) keys.add(v);
            }
        }
        Set<String> documented = new HashSet<>();
        for (ConfigCatalogue.Group g : ConfigCatalogue.GROUPS) {
            for (ConfigCatalogue.Entry e : g.entries()) {
                assertTrue(documented.add(e.key()), "documented twice: " + e.key());
                assertTrue(!e.help().isBlank(), "no help for " + e.key());
            }
        }
        Set<String> missing = new TreeSet<>(keys);
        missing.removeAll(documented);
        assertEquals(Set.of(), missing, "keys of HeraldConfig missing from ConfigCatalogue");
        Set<String> unknown = new TreeSet<>(documented);
        unknown.removeAll(keys);
        assertEquals(Set.of(), unknown, "catalogue entries that are not keys of HeraldConfig");
    }
}
