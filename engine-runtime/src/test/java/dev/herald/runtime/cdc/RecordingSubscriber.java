package dev.herald.runtime.cdc;

import dev.herald.runtime.protocol.Outbound;
import java.util.ArrayList;
import java.util.List;

/** A {@link Subscriber} that keeps what it is handed, for tests; thread-safe. */
final class RecordingSubscriber implements Subscriber {
    private final String topic;
    final List<Outbound> delivered = new ArrayList<>();
    final List<String> recoveries = new ArrayList<>();
    final List<Exception> failures = new ArrayList<>();

    RecordingSubscriber(String topic) {
        this.topic = topic;
    }

    @Override
    public String topic() {
        return topic;
    }

    @Override
    public synchronized void deliver(Outbound message) {
        delivered.add(message);
    }

    @Override
    public synchronized void changesRecovered(boolean recovered, int count) {
        recoveries.add(recovered + ":" + count);
    }

    @Override
    public synchronized void bindingFailed(Exception error) {
        failures.add(error);
    }
}
