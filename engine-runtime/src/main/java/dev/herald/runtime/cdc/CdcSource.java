package dev.herald.runtime.cdc;

import dev.herald.api.ErrorCode;
import java.util.List;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * A source of committed row changes. Changes reach the handler on the source's own thread, in commit order, in
 * batches; the source records its position (and lets the database release WAL) only after the handler returned for
 * that batch, so a change is never acknowledged before it was fanned out. After a restart the source resumes from
 * the last acknowledged position, so changes the handler already saw may be offered again (at-least-once); the
 * handler de-duplicates by {@link ChangeEvent#position()}.
 */
public interface CdcSource extends AutoCloseable {

    enum State { STOPPED, STARTING, RUNNING, FAILED }

    /**
     * Creates the source for each (re)start of the feed, on the thread that starts it. Creating does no I/O; the
     * source connects in {@link #start}. {@code DebeziumCdcSource::new} is the production factory.
     */
    @FunctionalInterface
    interface Factory {
        /**
         * @param catalog the table shapes to decode rows with
         * @param drops   counts each record the source had to skip (undecodable)
         */
        CdcSource create(DebeziumCdcSource.Settings settings, DataSource dataSource, TableCatalog catalog, Consumer<ErrorCode> drops);
    }

    /** Called with each batch of changes; must not block on clients. */
    interface Handler {
        void onChanges(List<ChangeEvent> batch);
    }

    /** Starts streaming into {@code handler}; returns at once. */
    void start(Handler handler);

    /** Stops streaming and waits for the source to finish its current batch. */
    @Override
    void close();

    State state();

    /** The last error that stopped the source, or null. */
    String lastError();

    /** The LSN of the last change handed to the handler, or 0. */
    long lastLsn();
}
