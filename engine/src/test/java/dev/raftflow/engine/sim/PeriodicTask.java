package dev.raftflow.engine.sim;

import reactor.core.Disposable;

/**
 * A fixed-rate repeating action: runs at {@code first}, {@code first + period}, ... until disposed.
 * Each run is an ordinary {@link SimEvent}; disposing cancels the pending one and stops the chain.
 */
final class PeriodicTask implements Disposable, Runnable {

  private final Simulation sim;
  private final Runnable task;
  private final long periodNanos;
  private final Runnable onDone;
  private long nextAt;
  private SimEvent pending;
  private volatile boolean disposed;

  PeriodicTask(Simulation sim, Runnable task, long firstAtNanos, long periodNanos, Runnable onDone) {
    this.sim = sim;
    this.task = task;
    this.periodNanos = periodNanos;
    this.onDone = onDone;
    this.nextAt = firstAtNanos;
    this.pending = sim.scheduleAt(nextAt, this);
  }

  @Override
  public void run() {
    if (disposed) {
      return;
    }
    task.run();
    if (!disposed) {
      nextAt += periodNanos;
      pending = sim.scheduleAt(nextAt, this);
    }
  }

  @Override
  public void dispose() {
    if (!disposed) {
      disposed = true;
      SimEvent p = pending;
      if (p != null) {
        p.dispose();
      }
      onDone.run();
    }
  }

  @Override
  public boolean isDisposed() {
    return disposed;
  }
}
