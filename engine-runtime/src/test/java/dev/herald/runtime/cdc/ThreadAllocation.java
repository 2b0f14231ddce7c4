package dev.herald.runtime.cdc;

import com.sun.management.ThreadMXBean;
import java.lang.management.ManagementFactory;

/**
 * Bytes allocated by all live threads together, from the JVM's per-thread counters: work handed to another thread
 * (a timer, a write completion) counts too. Threads that ended between two readings take their bytes with them.
 */
public final class ThreadAllocation {
    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    private ThreadAllocation() {
    }

    public static long total() {
        long sum = 0;
        for (long bytes : THREADS.getThreadAllocatedBytes(THREADS.getAllThreadIds())) if (bytes > 0) sum += bytes;
        return sum;
    }
}
