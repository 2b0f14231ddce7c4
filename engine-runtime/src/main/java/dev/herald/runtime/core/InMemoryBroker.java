package dev.herald.runtime.core;

import dev.herald.runtime.protocol.Outbound;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A single-node {@link Broker}: topic → live set of channels. */
public final class InMemoryBroker implements Broker {
    private final ConcurrentHashMap<TopicKey, Set<Channel>> topics = new ConcurrentHashMap<>();

    @Override
    public void subscribe(Channel channel) {
        topics.computeIfAbsent(channel.key(), k -> ConcurrentHashMap.newKeySet()).add(channel);
    }

    @Override
    public void unsubscribe(Channel channel) {
        topics.computeIfPresent(channel.key(), (k, set) -> {
            set.remove(channel);
            return set.isEmpty() ? null : set;
        });
    }

    @Override
    public int publish(TopicKey key, Outbound message, Channel except, boolean presenceOnly) {
        Set<Channel> set = topics.get(key);
        if (set == null) return 0;
        int n = 0;
        for (Channel ch : set) {
            if (ch == except || (presenceOnly && !ch.presenceEnabled())) continue;
            ch.deliver(message);
            n++;
        }
        return n;
    }

    @Override
    public int subscribers(TopicKey key) {
        Set<Channel> set = topics.get(key);
        return set == null ? 0 : set.size();
    }
}
