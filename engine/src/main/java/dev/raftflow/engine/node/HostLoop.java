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
 * and one timer ticks the awake ones; a group that goes quiet leaves the list at its next tick and
 * comes back when it wakes (so idle groups cost nothing per tick). Groups join from any thread; the
 * tick takes them in on the loop thread. Thread-safe.
 */
final class HostLoop implements AutoCloseable {

  private final Scheduler scheduler;
  private final boolean owned;
  private final Scheduler.Worker ticker;
  private final LoopOutbox outbox;
  private final long tickNanos;
  private final Queue<NodeLoop> joining = new ConcurrentLinkedQueue<>();
  private final AtomicInteger size = new AtomicInteger();
  /** The groups to tick: awake ones (confined to the loop thread). */
  private final List<NodeLoop> awake = new ArrayList<>();
  /** Groups with events queued, in the order they became ready (any thread adds; the loop drains). */
  private final Queue<NodeLoop> ready = new ConcurrentLinkedQueue<>();
  private final AtomicInteger readyWip = new AtomicInteger();
  private final Runnable runReady = this::runReady;
  private volatile boolean closed;

  /**
   * A loop on a thread of its own ({@code shared} null), or on {@code shared}, which serializes all
   * its workers; its bursts go to {@code transport} (null: to each group's transport).
   */
  HostLoop(String name, Duration tickInterval, Scheduler shared, dev.raftflow.engine.spi.HostTransport transport) {
    this.owned = shared == null;
    this.scheduler = shared != null ? shared : Schedulers.newSingle(name, true);
    this.ticker = scheduler.createWorker();
    this.outbox = new LoopOutbox(ticker, transport);
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

  /** The group left (closed): it leaves the tick list at its next tick. */
  void remove(NodeLoop node) {
    size.decrementAndGet();
  }

  /** {@code node}, awake, is ticked again (loop thread only; idempotent). */
  void awake(NodeLoop node) {
    if (!node.inAwakeList) {
      node.inAwakeList = true;
      awake.add(node);
    }
  }

  /**
   * {@code node} has events queued (any thread; called once per idle-to-busy change of the node):
   * it is drained in the loop's next round. One task runs a round of every ready group, so a frame
   * carrying many groups' messages wakes the loop thread once, and their replies leave in one burst.
   */
  void ready(NodeLoop node) {
    ready.offer(node);
    if (readyWip.getAndIncrement() == 0) {
      try {
        ticker.schedule(runReady);
      } catch (RejectedExecutionException gone) {
        ready.clear(); // closing: the groups have terminated or will drain nothing more
      }
    }
  }

  /**
   * One round: drains the groups that were ready when it began (those that become ready meanwhile
   * wait for the next round, a task of its own, so ticks and other tasks run in between), then sends
   * the round's messages in one burst.
   */
  private void runReady() {
    outbox.hold();
    try {
      int budget = readyWip.get();
      int done = 0;
      NodeLoop node;
      while (done < budget && (node = ready.poll()) != null) {
        done++;
        node.drain();
      }
      if (readyWip.addAndGet(-done) > 0) {
        ticker.schedule(runReady);
      }
    } catch (RejectedExecutionException gone) {
      // closing
    } finally {
      outbox.release();
    }
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
      awake(n);
    }
    for (int i = 0; i < awake.size(); ) {
      n = awake.get(i);
      n.hostTick();
      if (n.restsAfterTick()) {
        n.inAwakeList = false; // quiet or closed: out until it wakes
        int last = awake.size() - 1;
        awake.set(i, awake.get(last));
        awake.remove(last);
      } else {
        i++;
      }
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
