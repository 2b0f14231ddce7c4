package dev.herald.runtime.plugin;

import jakarta.persistence.EntityManagerFactory;
import java.util.List;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * The entity manager factory of one {@link dev.herald.api.plugin.UsesJpa} plugin, built on the first {@link #get()}:
 * building takes about a second, and a plugin that never touches an entity should not pay it at boot. Thread-safe;
 * every {@code get()} returns the same factory until {@link #close()}.
 */
final class PluginEntities implements Supplier<EntityManagerFactory> {
    private final String pluginId;
    private final Supplier<DataSource> dataSource;
    private final List<Class<?>> classes;
    private final ClassLoader loader;
    private EntityManagerFactory factory;
    private boolean closed;

    PluginEntities(String pluginId, Supplier<DataSource> dataSource, List<Class<?>> classes, ClassLoader loader) {
        this.pluginId = pluginId;
        this.dataSource = dataSource;
        this.classes = List.copyOf(classes);
        this.loader = loader;
    }

    @Override
    public synchronized EntityManagerFactory get() {
        if (closed) throw new IllegalStateException("plugin " + pluginId + " is closed");
        if (factory == null) factory = Hibernate.build(dataSource.get(), classes, loader);
        return factory;
    }

    synchronized void close() {
        closed = true;
        if (factory != null && factory.isOpen()) factory.close();
    }

    /** Kept apart so Hibernate is only loaded when a plugin asks for entities. */
    private static final class Hibernate {
        static EntityManagerFactory build(DataSource ds, List<Class<?>> classes, ClassLoader loader) {
            if (System.getProperty("org.jboss.logging.provider") == null) System.setProperty("org.jboss.logging.provider", "slf4j");
            Thread t = Thread.currentThread();
            ClassLoader before = t.getContextClassLoader();
            t.setContextClassLoader(loader);
            try {
                org.hibernate.cfg.Configuration cfg = new org.hibernate.cfg.Configuration();
                classes.forEach(cfg::addAnnotatedClass);
                cfg.getProperties().put("hibernate.connection.datasource", ds);
                cfg.setProperty("hibernate.hbm2ddl.auto", "none");
                cfg.setProperty("hibernate.show_sql", "false");
                return cfg.buildSessionFactory();
            } finally {
                t.setContextClassLoader(before);
            }
        }
    }
}
