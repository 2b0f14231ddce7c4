package dev.herald.runtime.cdc;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link CdcSource} driven by the test: {@link #emit} hands a batch to the handler on the calling thread and, as a
 * real source does, acknowledges it only once the handler returned; a handler that throws fails the source.
 */
final class FakeCdcSource implements CdcSource {
    /** The batches acknowledged, in order. */
    final List<List<ChangeEvent>> acknowledged = new ArrayList<>();
    private Handler handler;
    private volatile State state = State.STOPPED;
    private volatile String lastError;
    private volatile long lastLsn;
    boolean closed;

    @Override
    public void start(Handler handler) {
        if (this.handler != null) throw new IllegalStateException("already started");
        this.handler = handler;
        state = State.RUNNING;
    }

    void emit(ChangeEvent... batch) {
        if (state != State.RUNNING) throw new IllegalStateException("not running: " + state);
        List<ChangeEvent> list = List.of(batch);
        try {
            handler.onChanges(list);
        } catch (RuntimeException e) {
            fail(e.toString());
            throw e;
        }
        lastLsn = list.get(list.size() - 1).position().lsn();
        acknowledged.add(list);
    }

    /** The source stops with an error (the database went away). */
    void fail(String error) {
        lastError = error;
        state = State.FAILED;
    }

    @Override
    public void close() {
        closed = true;
        if (state != State.FAILED) state = State.STOPPED;
    }

    @Override
    public State state() {
        return state;
    }

    @Override
    public String lastError() {
        return lastError;
    }

    @Override
    public long lastLsn() {
        return lastLsn;
    }
}
