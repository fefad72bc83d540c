package dev.raftflow.engine.sim;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

/**
 * One member's local clock on a {@link Simulation}: it runs at {@link #rate()} times the virtual
 * (true) time, and the rate may change during a run (the local time stays continuous). A node
 * given {@link #nanos()} as its monotonic clock and {@link #scheduler()} as its scheduler measures
 * every duration in local time: a delay of d local nanoseconds lasts d / rate true nanoseconds, so
 * a clock at rate 1.5 ticks, times out elections and checks its quorum 1.5 times as often, while
 * its lease clock also advances 1.5 times as fast.
 *
 * <p>A delay is converted when it is scheduled, at the rate then in force (a later rate change
 * does not stretch a timer already armed; a node's ticks re-arm at every tick, so they follow at
 * once). Immediate tasks pass through unchanged. Simulation threads only, like the simulation.
 */
public final class DriftingClock {

  private final Simulation sim;
  private double rate = 1.0;
  private long baseTrue;
  private long baseLocal;

  public DriftingClock(Simulation sim) {
    this.sim = sim;
    this.baseTrue = sim.nowNanos();
    this.baseLocal = sim.nowNanos();
  }

  public double rate() {
    return rate;
  }

  /** From now on this clock runs at {@code rate} times true time; rejects rates that are not positive. */
  public void setRate(double rate) {
    if (!(rate > 0) || Double.isInfinite(rate)) {
      throw new IllegalArgumentException("a clock rate must be positive and finite, not " + rate);
    }
    baseLocal = nanosNow();
    baseTrue = sim.nowNanos();
    this.rate = rate;
  }

  /** The local monotonic clock (for {@code RaftNodeBuilder.nanoClock}). */
  public LongSupplier nanos() {
    return this::nanosNow;
  }

  private long nanosNow() {
    return baseLocal + Math.round((sim.nowNanos() - baseTrue) * rate);
  }

  /** The true delay of {@code localNanos} of this clock at its current rate. */
  long trueDelay(long localNanos) {
    return localNanos <= 0 ? localNanos : Math.max(1, Math.round(localNanos / rate));
  }

  /** A scheduler over the simulation's whose delays are durations of this clock. */
  public Scheduler scheduler() {
    return new Local(sim.scheduler());
  }

  private final class Local implements Scheduler {
    private final Scheduler inner;

    Local(Scheduler inner) {
      this.inner = inner;
    }

    @Override
    public Disposable schedule(Runnable task) {
      return inner.schedule(task);
    }

    @Override
    public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
      return inner.schedule(task, trueDelay(unit.toNanos(delay)), TimeUnit.NANOSECONDS);
    }

    @Override
    public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
      throw new UnsupportedOperationException("a drifting clock schedules one-shot tasks only");
    }

    @Override
    public long now(TimeUnit unit) {
      return unit.convert(nanosNow(), TimeUnit.NANOSECONDS);
    }

    @Override
    public Worker createWorker() {
      return new LocalWorker(inner.createWorker());
    }

    @Override
    public void dispose() {
      // the simulation's scheduler is shared by every member: it is not this member's to dispose
    }
  }

  private final class LocalWorker implements Scheduler.Worker {
    private final Scheduler.Worker inner;

    LocalWorker(Scheduler.Worker inner) {
      this.inner = inner;
    }

    @Override
    public Disposable schedule(Runnable task) {
      return inner.schedule(task);
    }

    @Override
    public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
      return inner.schedule(task, trueDelay(unit.toNanos(delay)), TimeUnit.NANOSECONDS);
    }

    @Override
    public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
      throw new UnsupportedOperationException("a drifting clock schedules one-shot tasks only");
    }

    @Override
    public void dispose() {
      inner.dispose();
    }

    @Override
    public boolean isDisposed() {
      return inner.isDisposed();
    }
  }
}
