package dev.herald.plugins.voice;

import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.TimeoutHandler;
import jakarta.ws.rs.core.Response;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The suspended response of one asynchronous REST call, as the JAX-RS runtime hands it to the resource: the test
 * waits for the resource to resume it and reads what it was resumed with.
 */
final class CapturedResponse implements AsyncResponse {
    private final CountDownLatch resumed = new CountDownLatch(1);
    private final AtomicReference<Object> answer = new AtomicReference<>();

    /** What the resource resumed the call with; fails the test when it was not resumed within a generous bound. */
    Response await() throws InterruptedException {
        assertTrue(resumed.await(30, TimeUnit.SECONDS), "the call was never resumed");
        return (Response) answer.get();
    }

    @Override
    public boolean resume(Object response) {
        if (!answer.compareAndSet(null, response)) return false;
        resumed.countDown();
        return true;
    }

    @Override
    public boolean resume(Throwable response) {
        return resume((Object) response);
    }

    @Override
    public boolean cancel() {
        return false;
    }

    @Override
    public boolean cancel(int retryAfter) {
        return false;
    }

    @Override
    public boolean cancel(Date retryAfter) {
        return false;
    }

    @Override
    public boolean isSuspended() {
        return resumed.getCount() > 0;
    }

    @Override
    public boolean isCancelled() {
        return false;
    }

    @Override
    public boolean isDone() {
        return resumed.getCount() == 0;
    }

    @Override
    public boolean setTimeout(long time, TimeUnit unit) {
        return true;
    }

    @Override
    public void setTimeoutHandler(TimeoutHandler handler) {
    }

    @Override
    public Collection<Class<?>> register(Class<?> callback) {
        return List.of();
    }

    @Override
    public Map<Class<?>, Collection<Class<?>>> register(Class<?> callback, Class<?>... callbacks) {
        return Map.of();
    }

    @Override
    public Collection<Class<?>> register(Object callback) {
        return List.of();
    }

    @Override
    public Map<Class<?>, Collection<Class<?>>> register(Object callback, Object... callbacks) {
        return Map.of();
    }
}
