package dev.herald.api.plugin;

import jakarta.persistence.EntityManagerFactory;
import java.util.List;
import java.util.function.Supplier;

/**
 * A plugin that reads and writes its tables through Jakarta Persistence rather than plain JDBC
 * ({@link PluginContext#dataSource()}). It usually {@linkplain OwnsTables owns} those tables as well: Herald never
 * generates schema from entities, the migrations do.
 */
public interface UsesJpa extends Plugin {
    /** The plugin's entity classes. Called once, after {@link Plugin#init}; never empty. */
    List<Class<?>> entityClasses();

    /**
     * Hands the plugin its entity manager factory, once, before {@link Plugin#start}. The factory is built over
     * {@link PluginContext#dataSource()} on the first {@code get()} (which takes about a second) and closed by Herald
     * after {@link Plugin#close}; {@code get()} is thread-safe and returns the same factory every time.
     */
    void entityManagerFactory(Supplier<EntityManagerFactory> factory);
}
