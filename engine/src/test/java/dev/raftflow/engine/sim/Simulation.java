package dev.raftflow.engine.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import reactor.core.Disposable;

/**
 * A deterministic discrete-event simulation: one virtual clock, one event queue ordered by
 * (virtual time, scheduling order), and cooperative {@link SimThread}s for test code.
 *
 * <p>Threading: exactly one thread runs at any moment. The thread that created the simulation is
 * the <em>driver</em>: its {@link #sleep} and {@link #await} run queued events (node loops,
 * network deliveries, thread wake-ups) in order, advancing virtual time. A {@link SimThread} runs
 * only when the driver hands it the baton at one of its events, and gives it back when it sleeps,
 * awaits or ends. Hence a run is a pure function of the seed. Scheduling from any other thread
 * fails the simulation (it would make the run non-deterministic).
 *
 * <p>Errors: an event that throws, a simulated thread that fails, or an explicit {@link #fail}
 * aborts the run: the driver throws a {@link SimulationFailure} at its next step.
 */
public final class Simulation implements AutoCloseable {

  /** Events allowed at one virtual instant before the run is declared a livelock. */
  static final long MAX_EVENTS_PER_INSTANT = 2_000_000;

  private final long seed;
  private final Random random;
  private final Random seeds;
  private final PriorityQueue<SimEvent> queue = new PriorityQueue<>();
  private final Thread driver;
  private final SimScheduler scheduler;
  final Semaphore driverTurn = new Semaphore(0);
  private final List<SimThread> threads = new ArrayList<>();
  private long nowNanos;
  private long seq;
  private long eventsRun;
  private long instantEvents;
  private long instantNanos = -1;
  private SimThread running;
  private volatile Throwable failure;
  private boolean closed;

  /** A simulation whose every random choice derives from {@code seed}. */
  public Simulation(long seed) {
    this.seed = seed;
    this.random = new Random(seed);
    this.seeds = new Random(seed ^ 0x9E3779B97F4A7C15L);
    this.driver = Thread.currentThread();
    this.scheduler = new SimScheduler(this);
  }

  public long seed() {
    return seed;
  }

  /** The test's own random source (commands, sleeps, victims). */
  public Random random() {
    return random;
  }

  /** A new independent random stream (one per node, one for the network), derived from the seed. */
  public Random newRandom() {
    return new Random(seeds.nextLong());
  }

  /** The Reactor scheduler whose tasks are events of this simulation. */
  public SimScheduler scheduler() {
    return scheduler;
  }

  public long nowNanos() {
    return nowNanos;
  }

  public long nowMillis() {
    return TimeUnit.NANOSECONDS.toMillis(nowNanos);
  }

  /** Number of events run so far (cancelled ones excluded). */
  public long eventsRun() {
    return eventsRun;
  }

  /** Runs {@code action} after {@code delayMillis} of virtual time. */
  public Disposable schedule(long delayMillis, Runnable action) {
    return scheduleAfter(TimeUnit.MILLISECONDS.toNanos(delayMillis), action);
  }

  SimEvent scheduleAfter(long delayNanos, Runnable action) {
    long at = delayNanos <= 0 ? nowNanos : saturatedAdd(nowNanos, delayNanos);
    return scheduleAt(at, action);
  }

  SimEvent scheduleAt(long atNanos, Runnable action) {
    checkSimulationThread();
    SimEvent e = new SimEvent(Math.max(atNanos, nowNanos), seq++, action);
    queue.add(e);
    return e;
  }

  /**
   * Waits {@code millis} of virtual time. On the driver this runs every event up to and including
   * that instant; on a {@link SimThread} it parks until a wake-up event at that instant.
   */
  public void sleep(long millis) {
    long deadline = saturatedAdd(nowNanos, TimeUnit.MILLISECONDS.toNanos(Math.max(0, millis)));
    SimThread me = currentSimThread();
    if (me == null) {
      checkDriver();
      drive(deadline, null);
    } else {
      me.parkUntil(deadline);
    }
  }

  /**
   * Waits until {@code future} completes, at most {@code maxMillis} of virtual time, and returns
   * its value (its failure is rethrown as is, unwrapped). Time advances only as far as needed.
   *
   * @throws SimulationFailure when the future is still pending after {@code maxMillis}
   */
  public <T> T await(CompletableFuture<T> future, long maxMillis) {
    if (!future.isDone()) {
      long deadline = saturatedAdd(nowNanos, TimeUnit.MILLISECONDS.toNanos(maxMillis));
      SimThread me = currentSimThread();
      if (me == null) {
        checkDriver();
        drive(deadline, future::isDone);
      } else {
        me.parkUntilDone(future, deadline);
      }
      if (!future.isDone()) {
        throw new SimulationFailure("future still pending after " + maxMillis + " ms of virtual time (t="
            + nowMillis() + " ms, seed=" + seed + ")", null);
      }
    }
    try {
      return future.get();
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new CompletionException(cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SimulationFailure("interrupted", e);
    }
  }

  /**
   * Starts a simulated thread running {@code body}. It first runs at the current virtual instant,
   * once the driver reaches its start event.
   */
  public SimThread spawn(String name, Runnable body) {
    checkSimulationThread();
    if (closed) {
      throw new IllegalStateException("simulation closed");
    }
    SimThread t = new SimThread(this, name, body);
    threads.add(t);
    t.startThread();
    scheduleAt(nowNanos, t::resumeFromEvent);
    return t;
  }

  /** Aborts the run: the driver throws a {@link SimulationFailure} carrying {@code cause}. */
  public void fail(Throwable cause) {
    if (failure == null) {
      failure = cause;
    }
  }

  /** The first failure recorded, or null. */
  public Throwable failure() {
    return failure;
  }

  /** Throws the recorded failure, if any. */
  public void rethrowFailure() {
    Throwable f = failure;
    if (f != null) {
      String msg = f instanceof AssertionError ? f.getMessage() : f.toString();
      throw new SimulationFailure(msg + " [virtual t=" + nowMillis() + " ms, seed=" + seed + "]", f);
    }
  }

  /** True when called from the driver or from the simulated thread that holds the baton. */
  public boolean isSimulationThread() {
    Thread t = Thread.currentThread();
    return t == driver || (running != null && running.thread() == t);
  }

  /** Runs events up to {@code deadline}, or until {@code done} holds. Driver only. */
  private void drive(long deadline, BooleanSupplier done) {
    while (true) {
      rethrowFailure();
      if (done != null && done.getAsBoolean()) {
        return;
      }
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        throw new SimulationFailure("driver interrupted at virtual t=" + nowMillis() + " ms (test timeout?), seed="
            + seed, null);
      }
      SimEvent e = queue.peek();
      if (e == null || e.timeNanos > deadline) {
        nowNanos = Math.max(nowNanos, deadline == Long.MAX_VALUE ? nowNanos : deadline);
        return;
      }
      queue.poll();
      if (e.isDisposed()) {
        continue;
      }
      advanceTo(e.timeNanos);
      eventsRun++;
      try {
        e.action.run();
      } catch (Throwable t) {
        if (t instanceof SimThread.Killed) {
          throw t;
        }
        fail(new SimulationFailure("event threw at virtual t=" + nowMillis() + " ms: " + t, t));
      }
    }
  }

  private void advanceTo(long t) {
    nowNanos = t;
    if (t != instantNanos) {
      instantNanos = t;
      instantEvents = 0;
    } else if (++instantEvents > MAX_EVENTS_PER_INSTANT) {
      fail(new SimulationFailure("livelock: more than " + MAX_EVENTS_PER_INSTANT
          + " events at virtual t=" + nowMillis() + " ms", null));
    }
  }

  /** Driver side of a hand-off: lets {@code t} run until it parks or ends. */
  void handOver(SimThread t) {
    running = t;
    t.turn.release();
    driverTurn.acquireUninterruptibly();
    running = null;
  }

  SimThread currentSimThread() {
    SimThread r = running;
    return r != null && r.thread() == Thread.currentThread() ? r : null;
  }

  private void checkDriver() {
    if (Thread.currentThread() != driver) {
      throw new IllegalStateException("only the driver thread " + driver.getName() + " or a SimThread may wait; called from "
          + Thread.currentThread().getName());
    }
  }

  private void checkSimulationThread() {
    if (!isSimulationThread()) {
      IllegalStateException e = new IllegalStateException("simulation touched from foreign thread "
          + Thread.currentThread().getName() + ": the run would not be deterministic");
      fail(e);
      throw e;
    }
  }

  /** Stops every simulated thread still alive and drops pending events. Driver only; idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (SimThread t : threads) {
      t.kill();
    }
    threads.clear();
    queue.clear();
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }
}
