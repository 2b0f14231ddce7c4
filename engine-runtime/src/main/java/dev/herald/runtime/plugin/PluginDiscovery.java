package dev.herald.runtime.plugin;

import dev.herald.api.plugin.Plugin;
import dev.herald.runtime.config.ConfigException;
import dev.herald.runtime.config.HeraldConfig;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds plugins: on Herald's own class path and in the plugins folder ({@code HERALD_PLUGINS_DIR}, or the
 * {@code plugins} folder beside {@code herald.jar}), each jar of which joins one class loader. Runs once at boot;
 * stateless.
 */
final class PluginDiscovery {
    private static final Logger LOG = LoggerFactory.getLogger(PluginDiscovery.class);

    /** The plugins found and the class loader of the plugins folder. */
    record Found(List<Plugin> plugins, ClassLoader loader) {
    }

    private PluginDiscovery() {
    }

    /** The plugins on Herald's class path and in {@code herald.plugins.dir} (or the folder beside herald.jar). */
    static Found find(HeraldConfig config) {
        ClassLoader parent = PluginDiscovery.class.getClassLoader();
        Path dir = config.pluginsDir() != null ? config.pluginsDir() : besideTheJar();
        ClassLoader loader = dir == null ? parent : folderLoader(dir, parent);
        List<Plugin> found = new ArrayList<>();
        try {
            ServiceLoader.load(Plugin.class, loader).stream().forEach(p -> found.add(p.get()));
        } catch (ServiceConfigurationError e) {
            throw new ConfigException("Cannot load a plugin: " + e.getMessage());
        }
        return new Found(found, loader);
    }

    /** The plugins on Herald's class path and in {@code dir} (may be null), without configuring them (for docs). */
    static List<Plugin> pluginsIn(Path dir) {
        ClassLoader parent = PluginDiscovery.class.getClassLoader();
        ClassLoader loader = dir == null ? parent : folderLoader(dir, parent);
        List<Plugin> found = new ArrayList<>();
        ServiceLoader.load(Plugin.class, loader).stream().forEach(p -> found.add(p.get()));
        return found;
    }

    /**
     * Without {@code herald.plugins.dir}: the {@code plugins} folder next to the jar Herald runs from, or next to its
     * folder ({@code lib/herald.jar} → {@code plugins/} in the standalone archive). Null when there is none (or when
     * Herald does not run from a jar, as in an application server's exploded WAR).
     */
    static Path besideTheJar() {
        try {
            CodeSource source = PluginDiscovery.class.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) return null;
            Path jar = Path.of(source.getLocation().toURI());
            if (!Files.isRegularFile(jar) || !jar.getFileName().toString().equals("herald.jar")) return null;
            Path here = jar.getParent();
            for (Path candidate : new Path[] {here.resolve("plugins"), here.getParent() == null ? null : here.getParent().resolve("plugins")}) {
                if (candidate != null && Files.isDirectory(candidate)) return candidate;
            }
        } catch (RuntimeException | URISyntaxException e) {
            LOG.debug("cannot locate Herald's jar: {}", e.toString());
        }
        return null;
    }

    private static ClassLoader folderLoader(Path dir, ClassLoader parent) {
        if (!Files.isDirectory(dir)) {
            throw new ConfigException("Invalid value for " + HeraldConfig.envName(HeraldConfig.PLUGINS_DIR) + " (" + HeraldConfig.PLUGINS_DIR
                    + "): '" + dir + "' is not a folder");
        }
        List<URL> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList()) jars.add(p.toUri().toURL());
        } catch (IOException e) {
            throw new ConfigException("Cannot read the plugins folder '" + dir + "': " + e.getMessage());
        }
        jars.forEach(j -> LOG.info("plugin jar {}", j));
        return new URLClassLoader("herald-plugins", jars.toArray(URL[]::new), parent);
    }
}
