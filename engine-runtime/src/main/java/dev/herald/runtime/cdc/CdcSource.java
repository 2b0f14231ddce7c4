package dev.herald.runtime.cdc;

import java.util.List;

/**
 * A source of committed row changes. Changes reach the handler on the source's own thread, in commit order, in
 * batches; the source records its position (and lets the database release WAL) only after the handler returned for
 * that batch, so a change is never acknowledged before it was fanned out. After a restart the source resumes from
 * the last acknowledged position, so changes the handler already saw may be offered again (at-least-once); the
 * handler de-duplicates by {@link ChangeEvent#position()}.
 */
public interface CdcSource extends AutoCloseable {

    enum State { STOPPED, STARTING, RUNNING, FAILED }

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
