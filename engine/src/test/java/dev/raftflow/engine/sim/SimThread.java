package dev.raftflow.engine.sim;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * A cooperative thread of a {@link Simulation}: a real Java thread that runs only while it holds
 * the simulation's baton, so test code written sequentially (like the lab's goroutines) can run
 * "concurrently" on the virtual clock and still replay exactly from a seed.
 *
 * <p>It runs from its start event until it calls {@link Simulation#sleep}, {@link
 * Simulation#await} or ends; the driver resumes it at the matching event. A failure inside the
 * thread fails the whole simulation. {@link Simulation#close()} kills threads still parked.
 */
public final class SimThread {

  /** Unwinds a parked thread when its simulation closes. Not meant to be caught. */
  static final class Killed extends Error {
    Killed() {
      super("simulation closed", null, false, false);
    }
  }

  private final Simulation sim;
  private final String name;
  private final Runnable body;
  final Semaphore turn = new Semaphore(0);
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private Thread thread;
  private volatile boolean killed;
  private volatile boolean finished;
  private long wakeToken;

  SimThread(Simulation sim, String name, Runnable body) {
    this.sim = sim;
    this.name = name;
    this.body = body;
  }

  public String name() {
    return name;
  }

  /** Completes when the body returns; fails with the body's exception. */
  public CompletableFuture<Void> done() {
    return done;
  }

  public boolean isFinished() {
    return finished;
  }

  /** Waits (in virtual time, at most {@code maxMillis}) for the body to end; rethrows its failure. */
  public void join(long maxMillis) {
    sim.await(done, maxMillis);
  }

  Thread thread() {
    return thread;
  }

  void startThread() {
    thread = new Thread(this::main, "sim-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  private void main() {
    turn.acquireUninterruptibly();
    try {
      if (!killed) {
        body.run();
      }
      finished = true;
      done.complete(null);
    } catch (Killed k) {
      finished = true;
      done.cancel(false);
    } catch (Throwable t) {
      finished = true;
      String msg = t instanceof AssertionError ? t.getMessage() : t.toString();
      sim.fail(new SimulationFailure("thread " + name + " failed: " + msg, t));
      done.completeExceptionally(t);
    } finally {
      finished = true;
      sim.driverTurn.release();
    }
  }

  /** Start event: first hand-off. */
  void resumeFromEvent() {
    if (!finished) {
      sim.handOver(this);
    }
  }

  void parkUntil(long deadlineNanos) {
    long token = ++wakeToken;
    sim.scheduleAt(deadlineNanos, () -> wake(token));
    park();
  }

  void parkUntilDone(CompletableFuture<?> future, long deadlineNanos) {
    long token = ++wakeToken;
    SimEvent timeout = sim.scheduleAt(deadlineNanos, () -> wake(token));
    future.whenComplete((r, e) -> {
      if (token == wakeToken && !finished) {
        sim.scheduleAt(sim.nowNanos(), () -> wake(token));
      }
    });
    park();
    timeout.dispose();
  }

  private void wake(long token) {
    if (token == wakeToken && !finished) {
      sim.handOver(this);
    }
  }

  private void park() {
    sim.driverTurn.release();
    turn.acquireUninterruptibly();
    if (killed) {
      throw new Killed();
    }
  }

  /** Ends this thread (driver only): it unwinds with {@link Killed} while the driver waits. */
  void kill() {
    killed = true;
    if (!finished) {
      sim.handOver(this);
    }
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "SimThread[" + name + (finished ? ", finished" : "") + "]";
  }
}
