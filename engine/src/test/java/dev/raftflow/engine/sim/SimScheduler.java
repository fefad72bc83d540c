package dev.raftflow.engine.sim;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.Exceptions;
import reactor.core.scheduler.Scheduler;

/**
 * A Reactor {@link Scheduler} on a {@link Simulation}'s virtual clock: every task, delayed task and
 * periodic run is an event of the simulation, run on the driving thread in (time, order) sequence.
 * {@link #now} is virtual time. A disposed task never runs; disposing a {@link Worker} cancels all
 * of its pending tasks and makes it reject new ones, as Reactor's own workers do.
 */
public final class SimScheduler implements Scheduler {

  private final Simulation sim;
  private volatile boolean disposed;

  SimScheduler(Simulation sim) {
    this.sim = sim;
  }

  @Override
  public Disposable schedule(Runnable task) {
    return schedule(task, 0, TimeUnit.NANOSECONDS);
  }

  @Override
  public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
    checkOpen();
    return sim.scheduleAfter(unit.toNanos(delay), task);
  }

  @Override
  public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
    checkOpen();
    return periodic(sim, task, initialDelay, period, unit, () -> {});
  }

  @Override
  public long now(TimeUnit unit) {
    return unit.convert(sim.nowNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public Worker createWorker() {
    checkOpen();
    return new SimWorker();
  }

  @Override
  public void dispose() {
    disposed = true;
  }

  @Override
  public boolean isDisposed() {
    return disposed;
  }

  private void checkOpen() {
    if (disposed) {
      throw Exceptions.failWithRejected();
    }
  }

  static PeriodicTask periodic(Simulation sim, Runnable task, long initialDelay, long period, TimeUnit unit,
      Runnable onDone) {
    if (period <= 0) {
      throw new UnsupportedOperationException("periodic task with period " + period + " " + unit
          + " would spin at one virtual instant");
    }
    long first = sim.nowNanos() + Math.max(0, unit.toNanos(initialDelay));
    return new PeriodicTask(sim, task, first, unit.toNanos(period), onDone);
  }

  /** A worker: its tasks are tracked so that {@link #dispose()} cancels them all. */
  private final class SimWorker implements Worker {
    private final Set<Disposable> tasks = new HashSet<>();
    private boolean workerDisposed;

    @Override
    public Disposable schedule(Runnable task) {
      return schedule(task, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
      checkWorker();
      OneShot t = new OneShot(task);
      tasks.add(t);
      t.event = sim.scheduleAfter(unit.toNanos(delay), t);
      return t;
    }

    @Override
    public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
      checkWorker();
      Disposable[] self = new Disposable[1];
      PeriodicTask p = periodic(sim, task, initialDelay, period, unit, () -> tasks.remove(self[0]));
      self[0] = p;
      tasks.add(p);
      return p;
    }

    private void checkWorker() {
      if (workerDisposed || disposed) {
        throw Exceptions.failWithRejected();
      }
    }

    @Override
    public void dispose() {
      if (!workerDisposed) {
        workerDisposed = true;
        for (Disposable d : List.copyOf(tasks)) {
          d.dispose();
        }
        tasks.clear();
      }
    }

    @Override
    public boolean isDisposed() {
      return workerDisposed;
    }

    /** One delayed task of this worker. */
    private final class OneShot implements Runnable, Disposable {
      private final Runnable task;
      private SimEvent event;
      private boolean over;

      OneShot(Runnable task) {
        this.task = task;
      }

      @Override
      public void run() {
        over = true;
        tasks.remove(this);
        task.run();
      }

      @Override
      public void dispose() {
        if (!over) {
          over = true;
          event.dispose();
          tasks.remove(this);
        }
      }

      @Override
      public boolean isDisposed() {
        return over;
      }
    }
  }
}
