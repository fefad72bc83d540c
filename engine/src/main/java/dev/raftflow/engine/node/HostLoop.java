package dev.raftflow.engine.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * One event-loop thread of a {@link RaftHost}: the groups pinned to it run their loops on its thread
 * and one timer ticks them all (a quiet group's tick is one check). Groups join and leave from any
 * thread; the tick takes the changes in on the loop thread. Thread-safe.
 */
final class HostLoop implements AutoCloseable {

  private final Scheduler scheduler;
  private final boolean owned;
  private final Scheduler.Worker ticker;
  private final LoopOutbox outbox;
  private final long tickNanos;
  private final Queue<NodeLoop> joining = new ConcurrentLinkedQueue<>();
  private final Queue<NodeLoop> leaving = new ConcurrentLinkedQueue<>();
  private final AtomicInteger size = new AtomicInteger();
  /** Confined to the loop thread. */
  private final List<NodeLoop> nodes = new ArrayList<>();
  private volatile boolean closed;

  /** A loop on a thread of its own ({@code shared} null), or on {@code shared}, which serializes all its workers. */
  HostLoop(String name, Duration tickInterval, Scheduler shared) {
    this.owned = shared == null;
    this.scheduler = shared != null ? shared : Schedulers.newSingle(name, true);
    this.ticker = scheduler.createWorker();
    this.outbox = new LoopOutbox(ticker);
    this.tickNanos = tickInterval.toNanos();
    scheduleTick();
  }

  Scheduler scheduler() {
    return scheduler;
  }

  /** Where the groups on this loop send their messages (on the loop's thread). */
  LoopOutbox outbox() {
    return outbox;
  }

  /** Groups pinned here. */
  int size() {
    return size.get();
  }

  void add(NodeLoop node) {
    size.incrementAndGet();
    joining.add(node);
  }

  void remove(NodeLoop node) {
    size.decrementAndGet();
    leaving.add(node);
  }

  private void scheduleTick() {
    try {
      ticker.schedule(this::tick, tickNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException gone) {
      // closed
    }
  }

  private void tick() {
    if (closed) {
      return;
    }
    NodeLoop n;
    while ((n = joining.poll()) != null) {
      nodes.add(n);
    }
    if (!leaving.isEmpty()) {
      java.util.Set<NodeLoop> gone = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
      while ((n = leaving.poll()) != null) {
        gone.add(n);
      }
      nodes.removeIf(gone::contains);
    }
    for (int i = 0; i < nodes.size(); i++) {
      nodes.get(i).hostTick();
    }
    scheduleTick(); // fixed delay: a held-up loop gets no burst of overdue ticks
  }

  @Override
  public void close() {
    closed = true;
    ticker.dispose();
    if (owned) {
      scheduler.dispose();
    }
  }
}
