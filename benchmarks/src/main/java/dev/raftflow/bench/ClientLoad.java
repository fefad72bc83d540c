package dev.raftflow.bench;

import dev.raftflow.client.RemoteClient;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Closed-loop clients of a {@link ProcessCluster}: each of {@code k} threads has its own {@link
 * RemoteClient} (every member's endpoint) and proposes one command after another, each call bounded
 * by the client timeout ({@code Mono.timeout}, then {@code block}); after a failed call it waits 10
 * ms before the next one. Every call is recorded as (start, end, ok) in {@link System#nanoTime()}
 * units, in start order per client. Thread-safe; {@link #close()} stops the threads and the clients.
 */
final class ClientLoad implements AutoCloseable {

  private static final long RETRY_PAUSE_MS = 10;

  private final List<Worker> workers = new ArrayList<>();
  private volatile boolean running = true;

  ClientLoad(int k, Map<String, InetSocketAddress> endpoints, Duration timeout) {
    for (int i = 0; i < k; i++) {
      Worker w = new Worker(i, new RemoteClient(endpoints), timeout);
      workers.add(w);
      w.thread.start();
    }
  }

  /**
   * The earliest end of an acknowledged call that started after {@code sinceNanos}, over all
   * clients; {@code Long.MAX_VALUE} when there is none yet.
   */
  long firstAckEndAfter(long sinceNanos) {
    long first = Long.MAX_VALUE;
    for (Worker w : workers) {
      first = Math.min(first, w.ops.firstAckEndAfter(sinceNanos));
    }
    return first;
  }

  /** Whether every client had a call acknowledged that ended at or after {@code sinceNanos}. */
  boolean allSucceededSince(long sinceNanos) {
    for (Worker w : workers) {
      if (w.ops.lastAckEnd() < sinceNanos) {
        return false;
      }
    }
    return true;
  }

  long acknowledged() {
    return workers.stream().mapToLong(w -> w.ops.acked()).sum();
  }

  long failed() {
    return workers.stream().mapToLong(w -> w.ops.size() - w.ops.acked()).sum();
  }

  @Override
  public void close() {
    running = false;
    for (Worker w : workers) {
      try {
        w.thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      w.client.close();
    }
  }

  private final class Worker {
    final RemoteClient client;
    final Duration timeout;
    final OpLog ops = new OpLog();
    final Thread thread;
    final int index;

    Worker(int index, RemoteClient client, Duration timeout) {
      this.index = index;
      this.client = client;
      this.timeout = timeout;
      this.thread = new Thread(this::run, "failover-client-" + index);
      thread.setDaemon(true);
    }

    private void run() {
      long n = 0;
      while (running) {
        byte[] command = ("c" + index + "-" + n++).getBytes(StandardCharsets.UTF_8);
        long start = System.nanoTime();
        boolean ok;
        try {
          client.propose(command).timeout(timeout).block();
          ok = true;
        } catch (RuntimeException e) {
          ok = false; // not the leader, no leader yet, a lost connection or the timeout
        }
        ops.add(start, System.nanoTime(), ok);
        if (!ok) {
          try {
            TimeUnit.MILLISECONDS.sleep(RETRY_PAUSE_MS);
          } catch (InterruptedException e) {
            return;
          }
        }
      }
    }
  }

  /** One client's calls, in start order. Appended by its thread, read by others under the monitor. */
  static final class OpLog {
    private long[] starts = new long[1024];
    private long[] ends = new long[1024];
    private boolean[] oks = new boolean[1024];
    private int size;
    private long acked;
    private long lastAckEnd = Long.MIN_VALUE;

    synchronized void add(long start, long end, boolean ok) {
      if (size == starts.length) {
        starts = Arrays.copyOf(starts, size * 2);
        ends = Arrays.copyOf(ends, size * 2);
        oks = Arrays.copyOf(oks, size * 2);
      }
      starts[size] = start;
      ends[size] = end;
      oks[size] = ok;
      size++;
      if (ok) {
        acked++;
        lastAckEnd = end;
      }
    }

    /** The end of the first acknowledged call that started after {@code since}; MAX_VALUE if none. */
    synchronized long firstAckEndAfter(long since) {
      int i = size;
      while (i > 0 && starts[i - 1] > since) { // calls start in order: find the first one after since
        i--;
      }
      for (; i < size; i++) {
        if (oks[i]) {
          return ends[i];
        }
      }
      return Long.MAX_VALUE;
    }

    synchronized long lastAckEnd() {
      return lastAckEnd;
    }

    synchronized long size() {
      return size;
    }

    synchronized long acked() {
      return acked;
    }
  }
}
